"""Name formats one way: file extension or media type → RDF syntax or SPARQL results format, and back.

Every command and route that reads or writes RDF or query results asks this module, so
``validate``, ``classify``, ``load``, ``query --data`` and the server agree on what a file is.
It is built on pyoxigraph's :class:`~pyoxigraph.RdfFormat` and :class:`~pyoxigraph.QueryResultsFormat`
(``from_extension``, ``from_media_type``, ``media_type``); the few names the project adds are below.

>>> rdf_format(Path("scenarios.json")).name
'JSON-LD'
>>> rdflib_format(rdf_format(Path("ontology.owl")))
'xml'
>>> results_format("application/json").name
'SPARQL Results in JSON'
"""

from __future__ import annotations

from pathlib import Path

from pyoxigraph import QueryResultsFormat, RdfFormat

from concord_kg.errors import ConcordError, DataLoadError

__all__ = [
    "RDF_EXTENSIONS",
    "GRAPH_MEDIA_TYPES",
    "SOLUTION_MEDIA_TYPES",
    "rdf_format",
    "rdf_format_of",
    "is_rdf_file",
    "graph_format",
    "results_format",
    "media_type_of",
    "rdflib_format",
    "format_parameter",
]

#: Extensions read as RDF beyond pyoxigraph's own: Protégé saves RDF/XML as ``.owl``.
_EXTRA_EXTENSIONS = {"owl": RdfFormat.RDF_XML}

#: The file extensions the commands read as RDF (the syntax is pyoxigraph's for the extension, or
#: ``_EXTRA_EXTENSIONS``); any other file is a table or unknown.
RDF_EXTENSIONS = (".ttl", ".nt", ".nq", ".trig", ".jsonld", ".json", ".rdf", ".owl")

#: Media types the server answers CONSTRUCT/DESCRIBE (and other graphs) in, the default first.
GRAPH_MEDIA_TYPES = tuple(
    f.media_type for f in (RdfFormat.TURTLE, RdfFormat.N_TRIPLES, RdfFormat.RDF_XML, RdfFormat.JSON_LD)
)

#: Media types the server answers SELECT/ASK in, the default first. ``application/json`` and
#: ``application/xml`` are kept for clients that ask for them (pyoxigraph reads them as the results formats).
SOLUTION_MEDIA_TYPES = (
    QueryResultsFormat.JSON.media_type,
    "application/json",
    QueryResultsFormat.XML.media_type,
    "application/xml",
    "text/csv",
    "text/tab-separated-values",
)

#: rdflib's name of each syntax, for the places that parse or serialise with rdflib.
_RDFLIB_NAMES = {
    RdfFormat.TURTLE: "turtle",
    RdfFormat.N_TRIPLES: "nt",
    RdfFormat.N_QUADS: "nquads",
    RdfFormat.TRIG: "trig",
    RdfFormat.N3: "n3",
    RdfFormat.JSON_LD: "json-ld",
    RdfFormat.RDF_XML: "xml",
}

#: ``format=`` request parameter values that are neither an extension nor a media type.
_FORMAT_NAMES = {
    "turtle": RdfFormat.TURTLE,
    "ntriples": RdfFormat.N_TRIPLES,
    "rdfxml": RdfFormat.RDF_XML,
    "json-ld": RdfFormat.JSON_LD,
}


def _extension(path: Path | str) -> str:
    """Return the extension without dot, lower-cased: ``Path("a.TTL")`` and ``".ttl"`` give ``ttl``."""
    suffix = path.suffix if isinstance(path, Path) else path
    return suffix.lstrip(".").lower()


def rdf_format(path: Path | str) -> RdfFormat | None:
    """Return the RDF syntax of a file by its extension (or of an extension), ``None`` if not RDF.

    >>> rdf_format(".ttl").name, rdf_format(Path("a.csv")), rdf_format(Path("notes.txt"))
    ('Turtle', None, None)
    """
    extension = _extension(path)
    if f".{extension}" not in RDF_EXTENSIONS:  # pyoxigraph also takes .txt as N-Triples: a table here
        return None
    return RdfFormat.from_extension(extension) or _EXTRA_EXTENSIONS.get(extension)


def is_rdf_file(path: Path) -> bool:
    """Say whether the commands read ``path`` as RDF (by extension); other files are tables."""
    return rdf_format(path) is not None


def rdf_format_of(
    path: Path, *, error: type[ConcordError] = DataLoadError, hint: str | None = None
) -> RdfFormat:
    """Return the RDF syntax of ``path``, or raise ``error`` naming the file and the extensions read.

    :param hint: what to say instead of the list of RDF extensions.
    :raises DataLoadError: (or ``error``) the extension is no RDF syntax.
    """
    fmt = rdf_format(path)
    if fmt is None:
        suffix = path.suffix.lower() or "(no extension)"
        hint = hint or "use RDF (" + ", ".join(RDF_EXTENSIONS) + ")"
        raise error(f"unknown file type {suffix!r}", source=str(path), hint=hint)
    return fmt


def graph_format(media_type: str) -> RdfFormat | None:
    """Return the RDF syntax of a media type (parameters such as ``charset`` ignored), else ``None``."""
    return RdfFormat.from_media_type(media_type)


def results_format(media_type: str) -> QueryResultsFormat | None:
    """Return the SPARQL results format of a media type, else ``None``."""
    return QueryResultsFormat.from_media_type(media_type)


def media_type_of(fmt: RdfFormat | QueryResultsFormat) -> str:
    """Return a format's media type without parameters (``text/csv``, not ``text/csv; charset=utf-8``)."""
    return fmt.media_type.split(";", 1)[0].strip()


def rdflib_format(fmt: RdfFormat | str) -> str:
    """Return rdflib's name for an RDF syntax or its media type (rdflib names them its own way).

    >>> rdflib_format("application/ld+json")
    'json-ld'

    :raises ValueError: not an RDF syntax rdflib reads and writes.
    """
    syntax = graph_format(fmt) if isinstance(fmt, str) else fmt
    if syntax not in _RDFLIB_NAMES:
        raise ValueError(f"rdflib does not read or write {fmt}")
    return _RDFLIB_NAMES[syntax]


def format_parameter(value: str) -> str:
    """Return the media type a ``format=`` request parameter names, or the value itself.

    Clients send an extension (``json``, ``ttl``, ``csv``), a name (``turtle``, ``json-ld``) or a
    media type; a results format wins over an RDF syntax (``json`` and ``xml`` mean SPARQL results).

    >>> format_parameter("json"), format_parameter("turtle"), format_parameter("text/csv")
    ('application/sparql-results+json', 'text/turtle', 'text/csv')
    """
    key = value.strip().lower()
    if "/" in key:
        return value
    fmt = QueryResultsFormat.from_extension(key) or RdfFormat.from_extension(key) or _FORMAT_NAMES.get(key)
    return media_type_of(fmt) if fmt is not None else value
