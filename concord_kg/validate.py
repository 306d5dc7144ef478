"""Validate RDF data with the project's SHACL shapes and return a typed report."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from pyshacl import validate as shacl_validate
from rdflib import BNode, Graph, Namespace, URIRef
from rdflib import Literal as RDFLiteral
from rdflib.namespace import RDF, RDFS

from concord_kg.errors import ConcordError, DataLoadError, ShapesLoadError, parse_error, read_error
from concord_kg.formats import RDF_EXTENSIONS, rdf_format_of
from concord_kg.links import shorten
from concord_kg.ontology import CKG, load_graph, load_ontology
from concord_kg.resources import shapes_dir
from concord_kg.tables import TABLE_SUFFIXES, TableFormat

if TYPE_CHECKING:
    from pyoxigraph import Quad, Triple

__all__ = [
    "Finding",
    "Report",
    "class_hierarchy",
    "load_shapes",
    "validate_graph",
    "validate_scenarios",
    "validate_file",
    "read_rdf_file",
    "rdflib_graph",
    "shape_files",
]

SH = Namespace("http://www.w3.org/ns/shacl#")
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def shape_files() -> dict[str, Path]:
    """Return the shapes files by kind (file stem): ``ontology``, ``scenario``, ``registry``..."""
    return {p.stem: p for p in sorted(shapes_dir().glob("*.ttl"))}


@dataclass(frozen=True)
class Finding:
    """One SHACL result: severity, the node and property at fault, the value and the message."""

    severity: str
    focus: str
    path: str
    value: str
    message: str
    shape: str

    def __str__(self) -> str:
        where = f"{self.focus} {self.path}".strip()
        return f"{self.severity}: {where}: {self.message}"


@dataclass
class Report:
    """The outcome of a validation: conforms or not, and every finding (machine and human forms)."""

    conforms: bool
    results: list[Finding] = field(default_factory=list)

    def count(self, severity: str) -> int:
        """Return how many findings have this severity (``Violation``, ``Warning``, ``Info``)."""
        return sum(1 for r in self.results if r.severity == severity)

    def __str__(self) -> str:
        if not self.results:
            return "conforms"
        return "\n".join(str(r) for r in self.results)


def load_shapes(kind: str) -> Graph:
    """Load one shapes file by kind (``ontology``, ``scenario``, ``registry``).

    :raises ShapesLoadError: no such shapes file, or it is not valid Turtle.
    """
    files = shape_files()
    if kind not in files:
        raise ShapesLoadError(f"no shapes named {kind!r}", hint="one of " + ", ".join(files))
    return load_graph([files[kind]], error=ShapesLoadError)


def validate_graph(data: Graph, shapes: Graph, *, ontology: Graph | None = None) -> Report:
    """Validate ``data`` against ``shapes`` (pySHACL, no inference) and return a :class:`Report`.

    :param ontology: class hierarchy to use for ``sh:class`` checks (mixed into the data graph).
    """
    conforms, results_graph, _ = shacl_validate(
        data, shacl_graph=shapes, ont_graph=ontology, inference="none", advanced=True, allow_warnings=True
    )
    findings = []
    for result in results_graph.subjects(RDF.type, SH.ValidationResult):
        findings.append(
            Finding(
                severity=_local(results_graph.value(result, SH.resultSeverity)),
                focus=_short(results_graph.value(result, SH.focusNode)),
                path=_short(results_graph.value(result, SH.resultPath)),
                value=_short(results_graph.value(result, SH.value)),
                message=str(results_graph.value(result, SH.resultMessage) or ""),
                shape=_short(results_graph.value(result, SH.sourceShape)),
            )
        )
    order = {"Violation": 0, "Warning": 1, "Info": 2}
    findings.sort(key=lambda f: (order.get(f.severity, 3), f.focus, f.path, f.message))
    return Report(conforms=bool(conforms), results=findings)


def validate_scenarios(data: Graph, *, complete: bool = True) -> Report:
    """Validate scenario data with ``shapes/scenario.ttl``.

    :param complete: also require a value for every decision variable (the complete-scenario shape).
    """
    shapes = load_shapes("scenario")
    if not complete:
        shapes.remove((CKG.CompleteScenarioShape, SH.targetClass, None))
    return validate_graph(data, shapes, ontology=_scenario_vocabulary())


def read_rdf_file(path: Path, *, error: type[ConcordError] = DataLoadError) -> Graph:
    """Parse an RDF data file (syntax from its extension); it must hold at least one triple.

    pyoxigraph parses it: its errors give the line, column and reason, it reads binary junk as a
    syntax error (not a decoding crash) and never fetches a JSON-LD context. The quads of a
    dataset (N-Quads, TriG) are merged into one graph, as ``load`` stores them.

    :param error: what a bad file is (``ScenarioError`` when scenarios are read).
    :raises DataLoadError: (or ``error``) unknown extension, unreadable file, syntax error, no triples.
    """
    from pyoxigraph import parse

    source = str(path)
    fmt = rdf_format_of(
        path,
        error=error,
        hint=f"validate takes RDF ({', '.join(RDF_EXTENSIONS)}) or a table (.csv, .tsv, .xlsx)",
    )
    try:
        graph = rdflib_graph(parse(path=source, format=fmt), error=error, source=source)
    except OSError as exc:
        raise read_error(exc, error=error, source=source) from exc
    except SyntaxError as exc:
        raise parse_error(exc, error=error, source=source, syntax=fmt.name) from exc
    if not graph:
        raise error(f"no data: the file holds no {fmt.name} triples", source=source)
    return graph


def rdflib_graph(
    triples: Iterable[Triple | Quad], *, error: type[ConcordError] = DataLoadError, source: str | None = None
) -> Graph:
    """Return what pyoxigraph parsed as one rdflib graph (the graphs of quads merged).

    Plain literals stay plain (rdflib's ``Literal("x")``, as rdflib's own parsers give them), so
    they equal the literals of the shapes.

    :raises DataLoadError: (or ``error``) an RDF-star quoted triple, which rdflib cannot hold.
    """
    from pyoxigraph import BlankNode, Literal, NamedNode

    def term(node: object) -> URIRef | BNode | RDFLiteral:
        if isinstance(node, NamedNode):
            return URIRef(node.value)
        if isinstance(node, BlankNode):
            return BNode(node.value)
        if isinstance(node, Literal):
            plain = node.language or node.datatype.value == _XSD_STRING
            return RDFLiteral(
                node.value, lang=node.language, datatype=None if plain else URIRef(node.datatype.value)
            )
        raise error("RDF-star quoted triples are not supported", source=source)

    graph = Graph()
    for triple in triples:
        graph.add((term(triple.subject), term(triple.predicate), term(triple.object)))
    return graph


def validate_file(path: Path, kind: str = "scenario", *, table_format: TableFormat | None = None) -> Report:
    """Validate an RDF file, or a scenario/registry table, with the shapes file ``kind``.

    A table is read as ``classify`` (``kind="scenario"``) or ``link`` (``kind="registry"``) read it,
    so bad rows raise the same errors; its scenarios are then validated as the RDF those commands
    write. With ``kind="ontology"`` the data is validated alone (it is the ontology).

    :raises DataLoadError: the file cannot be read or parsed, or holds no triples.
    :raises InputErrors: a table has bad rows.
    :raises ShapesLoadError: no such shapes file.
    """
    shapes = load_shapes(kind)
    if path.suffix.lower() in TABLE_SUFFIXES:
        data = _table_graph(path, kind, table_format)
    else:
        data = read_rdf_file(path)
    # The ontology is mixed in for sh:class checks on data; merging it into itself would duplicate
    # its blank-node axioms (two owl:equivalentClass per model, false violations).
    ontology = None if kind == "ontology" else class_hierarchy()
    return validate_graph(data, shapes, ontology=ontology)


def _table_graph(path: Path, kind: str, table_format: TableFormat | None) -> Graph:
    """Read a scenario or registry table as the commands that take it do, and return its RDF."""
    from concord_kg.classify import Classifier, classified_graph

    classifier = Classifier()
    if kind == "registry":
        from concord_kg.registry import link_registry, registry_graph

        return registry_graph(
            link_registry(path, classifier=classifier, table_format=table_format), classifier
        )
    if kind != "scenario":
        raise DataLoadError(
            f"a table can be validated with --shapes scenario or registry, not {kind!r}",
            source=str(path),
            hint=f"give RDF ({', '.join(RDF_EXTENSIONS)}) for other shapes",
        )
    return classified_graph(path, classifier=classifier, table_format=table_format)


def _scenario_vocabulary() -> Graph:
    """Return the ontology's class hierarchy, which ``sh:class`` checks need."""
    return class_hierarchy()


@cache
def class_hierarchy() -> Graph:
    """Return what ``sh:class`` checks need of the ontology: its ``rdf:type`` and ``rdfs:subClassOf``.

    pySHACL copies the ``ont_graph`` into the data for every validation; the whole ontology (with
    its OWL lists) costs seconds per call, the named types and subclasses a fraction of that.
    Treat the result as read-only (it is shared).
    """
    hierarchy = Graph()
    for predicate in (RDF.type, RDFS.subClassOf):
        for subject, _, obj in load_ontology().triples((None, predicate, None)):
            if isinstance(subject, URIRef) and isinstance(obj, URIRef):
                hierarchy.add((subject, predicate, obj))
    return hierarchy


def _local(node: object) -> str:
    text = str(node or "")
    return text.rsplit("#", 1)[-1]


def _short(node: object) -> str:
    if node is None:
        return ""
    return shorten(str(node)) if isinstance(node, URIRef) else str(node)
