"""Load the authored ontology modules, merge them, and look terms up by notation, name or IRI."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import SKOS

from concord_kg.errors import ConcordError, OntologyLoadError, UnknownTermError, parse_error, read_error
from concord_kg.formats import rdf_format_of, rdflib_format
from concord_kg.links import expand, label
from concord_kg.resources import ontology_dir

__all__ = [
    "CKG",
    "ONTOLOGY_IRI",
    "Term",
    "prefixes",
    "module_paths",
    "load_ontology",
    "load_graph",
    "resolve_term",
    "term_info",
    "taxonomy_terms",
]

#: The ontology namespace; every term IRI starts with it.
CKG = Namespace("https://w3id.org/concord-kg/")
#: The ontology's own IRI.
ONTOLOGY_IRI = URIRef(str(CKG))

#: The header module, read first so that its metadata leads the merged file.
_HEADER = "concord-kg.ttl"


@cache
def prefixes() -> dict[str, str]:
    """Return the project's prefix map (``ontology/context.json``), the one list of prefixes."""
    with (ontology_dir() / "context.json").open(encoding="utf-8") as handle:
        return dict(json.load(handle)["@context"])


def module_paths(directory: Path | None = None) -> list[Path]:
    """Return the ontology's Turtle modules, header first, then by name.

    :param directory: a folder of modules (default: the project's ``ontology/``).
    """
    directory = directory or ontology_dir()
    paths = sorted(directory.glob("*.ttl"), key=lambda p: (p.name != _HEADER, p.name))
    if not paths:
        raise OntologyLoadError("no Turtle modules found", source=str(directory))
    return paths


def load_graph(paths: Iterable[Path], *, error: type[ConcordError] = OntologyLoadError) -> Graph:
    """Parse RDF files (syntax by extension) into one graph.

    :param error: what a bad file is (:class:`OntologyLoadError`, ``ShapesLoadError``, ``DataLoadError``...).
    :raises OntologyLoadError: (or ``error``) a file is unreadable, of an unknown type, or not valid
        in its syntax; the error names the file and, where the parser says, the line.
    """
    graph = Graph()
    for prefix, iri in prefixes().items():
        graph.bind(prefix, iri, override=True)
    for path in paths:
        fmt = rdf_format_of(path, error=error)
        try:
            graph.parse(path, format=rdflib_format(fmt))
        except OSError as exc:
            raise read_error(exc, error=error, source=str(path)) from exc
        except Exception as exc:  # rdflib raises several parser-specific types
            raise parse_error(exc, error=error, source=str(path), syntax=fmt.name) from exc
    return graph


def load_ontology(directory: Path | None = None) -> Graph:
    """Load and merge every module of the ontology into one rdflib graph.

    :param directory: a folder of modules (default: the project's ``ontology/``).
    :raises OntologyLoadError: a module is missing or not valid Turtle.
    """
    return load_graph(module_paths(directory))


@dataclass(frozen=True)
class Term:
    """A term of the ontology with the annotations people read."""

    iri: URIRef
    label: str
    notation: str | None
    definition: str | None

    @property
    def local_name(self) -> str:
        """Return the part of the IRI after the namespace."""
        return str(self.iri).removeprefix(str(CKG))


def term_info(graph: Graph, iri: URIRef) -> Term:
    """Return the label, notation and definition of ``iri`` in ``graph``."""
    notation = graph.value(iri, SKOS.notation)
    definition = graph.value(iri, SKOS.definition)
    return Term(
        iri=iri,
        label=label(graph, iri),
        notation=str(notation) if notation is not None else None,
        definition=str(definition) if definition is not None else None,
    )


def resolve_term(graph: Graph, key: str) -> URIRef:
    """Find a term by notation (``D3.2.1``, ``M4``), local name (``Coordinator``), CURIE or full IRI.

    :raises UnknownTermError: nothing in the ontology matches ``key``.
    """
    key = key.strip()
    for notation in (Literal(key), Literal(key.upper())):
        for subject in graph.subjects(SKOS.notation, notation):
            if isinstance(subject, URIRef):
                return subject
    iri = key if "://" in key else expand(key)
    candidate = URIRef(iri) if iri else CKG[key]
    if (candidate, None, None) in graph:
        return candidate
    raise UnknownTermError(f"no term with notation, name or IRI {key!r}", term=key)


def taxonomy_terms(graph: Graph) -> list[Term]:
    """Return the taxonomy's terms (those with a taxonomy level), ordered by notation."""
    subjects = {s for s in graph.subjects(CKG.taxonomyLevel, None) if isinstance(s, URIRef)}
    terms = [term_info(graph, s) for s in subjects]
    return sorted(terms, key=lambda t: _notation_key(t.notation or ""))


def _notation_key(notation: str) -> tuple[object, ...]:
    """Sort D1.10 after D1.9 and M10 after M9."""
    parts = notation.replace("D", "").replace("M", "").split(".")
    return tuple(int(p) if p.isdigit() else 0 for p in parts)
