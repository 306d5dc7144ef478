"""Evaluate one SPARQL query on a store and serialise at most N results in the negotiated format.

pyoxigraph serialises a whole result iterator and cannot stop after N rows, so solutions are
written here (SPARQL JSON/XML/CSV/TSV, a few lines each) while graphs go through
``pyoxigraph.serialize`` on the first N triples. Both the query workers and the remote-store path
call :func:`execute`, so answers look the same whichever store is behind the server.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox

from concord_kg.errors import ConcordError
from concord_kg.formats import GRAPH_MEDIA_TYPES, SOLUTION_MEDIA_TYPES, graph_format, results_format

from .guard import check_query

if TYPE_CHECKING:
    from concord_kg.store import Store

__all__ = [
    "Job",
    "Answer",
    "NotAcceptableAnswer",
    "execute",
]


@dataclass(frozen=True)
class Job:
    """A query to evaluate: text, dataset, bound parameters, answer formats and row cap.

    :ivar media_type: the answer format for SELECT/ASK (and for graphs if ``graph_media_type`` is
        unset); ``None`` when the client accepts none (a solutions answer is then 406).
    :ivar known_graphs: when set, the text is guarded first (:func:`server.guard.check_query`) where
        the query runs, under its time limit, and may name only these graphs.
    """

    query: str
    media_type: str | None
    max_results: int
    default_graph: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()
    substitutions: Mapping[str, ox.NamedNode | ox.Literal | ox.BlankNode] = field(default_factory=dict)
    #: Resolves relative IRIs of a query without ``BASE`` (SPARQL 1.1 Protocol: the request URL).
    base_iri: str | None = None
    graph_media_type: str | None = None
    known_graphs: tuple[str, ...] | None = None


class NotAcceptableAnswer(ConcordError):
    """The answer's kind (solutions or a graph) has no format the client accepts."""


@dataclass(frozen=True)
class Answer:
    """A serialised answer: body, media type, whether rows were cut at the cap, and the row count."""

    body: bytes
    media_type: str
    truncated: bool = False
    count: int = 0


def execute(store: Store, job: Job) -> Answer:
    """Run ``job`` on ``store`` (a :class:`concord_kg.store.Store`) and serialise the capped result.

    :raises QueryError: the guard or the store refuses the query.
    :raises NotAcceptableAnswer: the answer's kind has no acceptable format.
    """
    if job.known_graphs is not None:
        dataset = {"default_graph": job.default_graph, "named_graphs": job.named_graphs}
        check_query(job.query, job.known_graphs, base=job.base_iri, **dataset)
    result = store.query(
        job.query,
        default_graph=job.default_graph or None,
        named_graphs=job.named_graphs or None,
        substitutions=job.substitutions or None,
        base_iri=job.base_iri,
    )
    if isinstance(result, ox.QueryBoolean | ox.QuerySolutions):
        media_type = _acceptable(job.media_type, SOLUTION_MEDIA_TYPES)
        if isinstance(result, ox.QueryBoolean):
            return Answer(result.serialize(format=_results_format(media_type)) or b"", media_type)
        variables = [v.value for v in result.variables]
        rows = list(itertools.islice(result, job.max_results + 1))
        truncated = len(rows) > job.max_results
        rows = rows[: job.max_results]
        body = _solutions(variables, rows, media_type, truncated)
        return Answer(body, media_type, truncated, len(rows))
    media_type = _acceptable(job.graph_media_type or job.media_type, GRAPH_MEDIA_TYPES)
    triples = list(itertools.islice(iter(result), job.max_results + 1))
    truncated = len(triples) > job.max_results
    triples = triples[: job.max_results]
    fmt = _graph_format(media_type)
    body = ox.serialize(triples, format=fmt, prefixes=_prefixes(fmt)) or b""
    return Answer(body, media_type, truncated, len(triples))


def _acceptable(media_type: str | None, supported: tuple[str, ...]) -> str:
    if media_type is None or media_type not in supported:
        raise NotAcceptableAnswer("this answer can be given as: " + ", ".join(supported))
    return media_type


def _prefixes(fmt: ox.RdfFormat) -> dict[str, str] | None:
    if fmt != ox.RdfFormat.TURTLE:
        return None
    from concord_kg.ontology import prefixes

    return {k: v for k, v in prefixes().items() if k}


def _graph_format(media_type: str) -> ox.RdfFormat:
    fmt = graph_format(media_type)
    if fmt is None:  # only media types of GRAPH_MEDIA_TYPES get here
        raise NotAcceptableAnswer(f"no RDF syntax is {media_type}")
    return fmt


def _results_format(media_type: str) -> ox.QueryResultsFormat:
    fmt = results_format(media_type)
    if fmt is None:  # only media types of SOLUTION_MEDIA_TYPES get here
        raise NotAcceptableAnswer(f"no SPARQL results format is {media_type}")
    return fmt


def _solutions(
    variables: Sequence[str], rows: Sequence[ox.QuerySolution], media_type: str, truncated: bool
) -> bytes:
    fmt = _results_format(media_type)
    if fmt == ox.QueryResultsFormat.JSON:
        return _json(variables, rows, truncated)
    if fmt == ox.QueryResultsFormat.XML:
        return _xml(variables, rows)
    if fmt == ox.QueryResultsFormat.CSV:
        return _csv(variables, rows)
    return _tsv(variables, rows)


def _cells(variables: Sequence[str], rows: Iterable[ox.QuerySolution]) -> Iterable[list[object | None]]:
    for row in rows:
        yield [row[name] for name in variables]


def _json_term(term: object) -> dict[str, object]:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out: dict[str, object] = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
            out["datatype"] = term.datatype.value
        return out
    if isinstance(term, ox.Triple):
        return {
            "type": "triple",
            "value": {k: _json_term(getattr(term, k)) for k in ("subject", "predicate", "object")},
        }
    raise TypeError(f"unexpected term {term!r}")


def _json(variables: Sequence[str], rows: Sequence[ox.QuerySolution], truncated: bool) -> bytes:
    bindings = [
        {name: _json_term(value) for name, value in zip(variables, cells, strict=True) if value is not None}
        for cells in _cells(variables, rows)
    ]
    document: dict[str, object] = {"head": {"vars": list(variables)}, "results": {"bindings": bindings}}
    if truncated:
        # Extra top-level members are ignored by SPARQL JSON readers; people and scripts can check it.
        document["truncated"] = True
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def _xml_term(term: object) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<uri>{escape(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{escape(term.value)}</bnode>"
    if isinstance(term, ox.Literal):
        if term.language:
            return f"<literal xml:lang={quoteattr(term.language)}>{escape(term.value)}</literal>"
        if term.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
            return f"<literal datatype={quoteattr(term.datatype.value)}>{escape(term.value)}</literal>"
        return f"<literal>{escape(term.value)}</literal>"
    if isinstance(term, ox.Triple):
        parts = "".join(
            f"<{k}>{_xml_term(getattr(term, k))}</{k}>" for k in ("subject", "predicate", "object")
        )
        return f"<triple>{parts}</triple>"
    raise TypeError(f"unexpected term {term!r}")


def _xml(variables: Sequence[str], rows: Sequence[ox.QuerySolution]) -> bytes:
    out = io.StringIO()
    out.write('<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#"><head>')
    out.writelines(f"<variable name={quoteattr(v)}/>" for v in variables)
    out.write("</head><results>")
    for cells in _cells(variables, rows):
        out.write("<result>")
        for name, value in zip(variables, cells, strict=True):
            if value is not None:
                out.write(f"<binding name={quoteattr(name)}>{_xml_term(value)}</binding>")
        out.write("</result>")
    out.write("</results></sparql>\n")
    return out.getvalue().encode()


def _csv_text(term: object | None) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if isinstance(term, ox.NamedNode | ox.Literal):
        return term.value
    return str(term)


def _csv(variables: Sequence[str], rows: Sequence[ox.QuerySolution]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(variables)
    for cells in _cells(variables, rows):
        writer.writerow([_csv_text(c) for c in cells])
    return out.getvalue().encode()


def _tsv(variables: Sequence[str], rows: Sequence[ox.QuerySolution]) -> bytes:
    # TSV cells are terms in Turtle/N-Triples syntax, which is what str() of a pyoxigraph term gives.
    lines = ["\t".join(f"?{v}" for v in variables)]
    lines.extend("\t".join("" if c is None else str(c) for c in cells) for cells in _cells(variables, rows))
    return ("\n".join(lines) + "\n").encode()
