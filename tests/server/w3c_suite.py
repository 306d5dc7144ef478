"""Run the W3C SPARQL test suites (vendored under ``tests/w3c/``) against a live SPARQL server over HTTP.

Syntax tests POST each query: a positive test must run (2xx) or be refused by policy (403); a
negative one must get 400. Evaluation tests load the test's data into the server (one update that
drops everything first), ask the query, and compare the answer with the expected result
(``.srx``/``.srj``/``.csv``/``.tsv``/``.ttl``) as multisets of solutions, blank-node aware.

The server's default graph is the union of its graphs, so the test's default graph is loaded into
a named graph and selected with the protocol's ``default-graph-uri`` (``named-graph-uri`` for the
test's named graphs); every server that implements the SPARQL 1.1 Protocol gets the W3C dataset.

Also a command: ``python -m tests.server.w3c_suite QUERY_URL UPDATE_URL`` prints the pass counts
(``CONCORD_UPDATE_TOKEN`` in the environment is sent with updates).
"""

from __future__ import annotations

import sys
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.compare import isomorphic

#: The vendored suites.
ROOT = Path(__file__).resolve().parents[1] / "w3c"
#: The base IRI of data, queries and expected results: the vendored files' own IRIs (expected
#: results with relative IRIs, e.g. graph names, are read against their file IRI).
WEB_BASE = ROOT.as_uri() + "/"
#: The named graph that stands for a test's default graph.
DEFAULT_GRAPH = "urn:x-w3c-test:default"

SYNTAX_SUITES = [
    "sparql/sparql10/syntax-sparql1",
    "sparql/sparql10/syntax-sparql2",
    "sparql/sparql10/syntax-sparql3",
    "sparql/sparql10/syntax-sparql4",
    "sparql/sparql10/syntax-sparql5",
    "sparql/sparql11/syntax-query",
    "sparql/sparql11/syntax-fed",
]
EVALUATION_SUITES = [
    f"sparql/sparql11/{name}"
    for name in (
        "aggregates",
        "bind",
        "bindings",
        "cast",
        "construct",
        "exists",
        "functions",
        "grouping",
        "negation",
        "project-expression",
        "property-path",
        "subquery",
        "csv-tsv-res",
        "json-res",
    )
]

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
QT = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-query#")
_RS = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/result-set#")
_POSITIVE = {MF.PositiveSyntaxTest, MF.PositiveSyntaxTest11}
_NEGATIVE = {MF.NegativeSyntaxTest, MF.NegativeSyntaxTest11}
_EVALUATION = {MF.QueryEvaluationTest, MF.CSVResultFormatTest}


@dataclass(frozen=True)
class Case:
    """One W3C test: its id (``suite/name``), kind, query file, data files and expected result."""

    id: str
    kind: str  # "positive", "negative" or "evaluation"
    query: Path
    data: tuple[Path, ...] = ()
    graph_data: tuple[Path, ...] = ()
    result: Path | None = None

    def web_iri(self, path: Path) -> str:
        """Return the IRI of a test file on the web (its base IRI)."""
        return WEB_BASE + path.relative_to(ROOT).as_posix()


def _local(iri: URIRef | object) -> Path:
    # Manifests have no @base: rdflib gives their file IRIs; map them back to paths.
    return Path(urllib.parse.unquote(urllib.parse.urlparse(str(iri)).path))


def read_cases(suites: list[str]) -> list[Case]:
    """Read the manifests of ``suites`` (folders under :data:`ROOT`) in entry order."""
    cases = []
    for suite in suites:
        manifest = ROOT / suite / "manifest.ttl"
        graph = Graph().parse(manifest, format="turtle", publicID=manifest.as_uri())
        head = graph.value(URIRef(manifest.as_uri()), MF.entries)
        for entry in Collection(graph, head):
            types = set(graph.objects(entry, URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")))
            name = str(entry).rsplit("#", 1)[-1]
            action = graph.value(entry, MF.action)
            result = graph.value(entry, MF.result)
            case_id = f"{suite.rsplit('/', 1)[-1]}/{name}"
            if types & (_POSITIVE | _NEGATIVE):
                kind = "positive" if types & _POSITIVE else "negative"
                cases.append(Case(case_id, kind, _local(action)))
            elif types & _EVALUATION:
                cases.append(
                    Case(
                        case_id,
                        "evaluation",
                        _local(graph.value(action, QT.query)),
                        tuple(_local(d) for d in graph.objects(action, QT.data)),
                        tuple(sorted(_local(d) for d in graph.objects(action, QT.graphData))),
                        _local(result) if result is not None else None,
                    )
                )
    return cases


@dataclass
class Server:
    """A SPARQL server under test: query and update endpoint URLs."""

    query_url: str
    update_url: str
    timeout: float = 30.0
    #: Bearer token for updates (concord-kg asks for one; Oxigraph ignores it).
    token: str | None = None

    def post(self, url: str, body: bytes, content_type: str, accept: str = "*/*") -> tuple[int, bytes]:
        """POST ``body``; return the status and the body (also for 4xx/5xx)."""
        headers = {"Content-Type": content_type, "Accept": accept}
        if self.token and content_type == "application/sparql-update":
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(  # noqa: S310 - a local test server
            url, data=body, method="POST", headers=headers
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def query(
        self,
        text: str,
        *,
        accept: str = "*/*",
        default: list[str] | None = None,
        named: list[str] | None = None,
    ) -> tuple[int, bytes]:
        """Send a query (``application/sparql-query``) with optional dataset parameters."""
        params = [("default-graph-uri", g) for g in default or ()]
        params += [("named-graph-uri", g) for g in named or ()]
        url = self.query_url + ("?" + urllib.parse.urlencode(params) if params else "")
        return self.post(url, text.encode(), "application/sparql-query", accept)

    def load(self, case: Case) -> None:
        """Replace the server's data by the test's default graph and named graphs (one update)."""
        parts = ["DROP SILENT ALL ;"]
        for path in case.data:
            parts.append(_insert(path, case.web_iri(path), DEFAULT_GRAPH))
        for path in case.graph_data:
            parts.append(_insert(path, case.web_iri(path), case.web_iri(path)))
        status, body = self.post(self.update_url, "\n".join(parts).encode(), "application/sparql-update")
        if status >= 300:
            raise AssertionError(f"loading the test data failed ({status}): {body[:300]!r}")


def _insert(path: Path, base: str, graph: str) -> str:
    fmt = ox.RdfFormat.RDF_XML if path.suffix == ".rdf" else ox.RdfFormat.TURTLE
    triples = list(ox.parse(path=path, format=fmt, base_iri=base))
    if not triples:
        # An empty graph still has to exist for default-graph-uri; a throwaway triple would change
        # answers, so an empty data file is given as an empty named graph where the store allows it.
        return f"CREATE SILENT GRAPH <{graph}> ;"
    body = "\n".join(f"{t.subject} {t.predicate} {t.object} ." for t in triples)
    return f"INSERT DATA {{ GRAPH <{graph}> {{ {body} }} }} ;"


def run_syntax(server: Server, case: Case) -> str | None:
    """Run a syntax test; return ``None`` when it passes, else what went wrong."""
    text = case.query.read_bytes()
    status, body = server.post(server.query_url, text, "application/sparql-query")
    if case.kind == "positive":
        if status < 300 or status == 403:
            return None
        return f"valid query answered {status}: {body[:200]!r}"
    if status == 400:
        return None
    return f"invalid query answered {status} instead of 400"


def run_evaluation(server: Server, case: Case) -> str | None:
    """Run an evaluation test; return ``None`` when the answer matches, else the difference."""
    server.load(case)
    text = f"BASE <{case.web_iri(case.query)}>\n" + case.query.read_text(encoding="utf-8")
    assert case.result is not None
    suffix = case.result.suffix
    accept = {
        ".srx": "application/sparql-results+xml",
        ".srj": "application/sparql-results+json",
        ".csv": "text/csv",
        ".tsv": "text/tab-separated-values",
        ".ttl": "text/turtle, application/sparql-results+xml;q=0.5",
        ".rdf": "text/turtle, application/sparql-results+xml;q=0.5",
    }[suffix]
    named = [case.web_iri(p) for p in case.graph_data]
    uses_dataset = any(word in text.upper() for word in ("FROM ", "FROM<"))
    status, body = server.query(
        text,
        accept=accept,
        default=None if uses_dataset or not case.data else [DEFAULT_GRAPH],
        named=None if uses_dataset or not named else named,
    )
    if status >= 300:
        return f"answered {status}: {body[:300]!r}"
    if suffix in (".ttl", ".rdf") and not _is_result_set(case.result):
        expected = Graph().parse(
            case.result, format="xml" if suffix == ".rdf" else "turtle", publicID=case.web_iri(case.result)
        )
        actual = Graph().parse(data=body, format="turtle")
        return None if isomorphic(expected, actual) else "graphs differ"
    if suffix == ".csv":
        # CSV keeps only lexical forms (pyoxigraph will not read it back): compare the cells.
        expected_rows, actual_rows = _csv_rows(case.result.read_bytes()), _csv_rows(body)
        return _difference(expected_rows, actual_rows)
    expected_rows = _expected_solutions(case)
    fmt = {
        ".csv": ox.QueryResultsFormat.CSV,
        ".tsv": ox.QueryResultsFormat.TSV,
        ".srj": ox.QueryResultsFormat.JSON,
    }.get(suffix, ox.QueryResultsFormat.XML)
    actual_rows = _solutions(ox.parse_query_results(body, format=fmt))
    return _difference(expected_rows, actual_rows)


def _difference(expected: list[Row] | bool, actual: list[Row] | bool) -> str | None:
    if same_solutions(expected, actual):
        return None
    return f"expected {expected!r}, got {actual!r}"


Row = tuple[tuple[str, object], ...]


def _solutions(result: ox.QuerySolutions | ox.QueryBoolean) -> list[Row] | bool:
    if isinstance(result, ox.QueryBoolean):
        return bool(result)
    names = [v.value for v in result.variables]
    return [tuple((n, s[n]) for n in names if s[n] is not None) for s in result]


def _csv_rows(data: bytes) -> list[Row]:
    import csv
    import io

    reader = csv.reader(io.StringIO(data.decode("utf-8"), newline=""))
    names = next(reader)
    return [
        tuple(
            (n, ox.BlankNode(v[2:]) if v.startswith("_:") else v)
            for n, v in zip(names, row, strict=True)
            if v
        )
        for row in reader
    ]


def _is_result_set(path: Path) -> bool:
    return b"result-set#" in path.read_bytes()


def _expected_solutions(case: Case) -> list[Row] | bool:
    path = case.result
    assert path is not None
    if path.suffix in (".ttl", ".rdf"):
        return _rdf_result_set(path)
    fmt = {
        ".srx": ox.QueryResultsFormat.XML,
        ".srj": ox.QueryResultsFormat.JSON,
        ".csv": ox.QueryResultsFormat.CSV,
        ".tsv": ox.QueryResultsFormat.TSV,
    }[path.suffix]
    return _solutions(ox.parse_query_results(path=path, format=fmt))


def _rdf_result_set(path: Path) -> list[Row] | bool:
    """Read a result set written in the DAWG result-set vocabulary (``rs:ResultSet``)."""
    graph = Graph().parse(path, format="xml" if path.suffix == ".rdf" else "turtle")
    result_set = next(graph.subjects(URIRef(str(_RS) + "resultVariable"), None), None) or next(
        graph.subjects(None, _RS.ResultSet)
    )
    boolean = graph.value(result_set, _RS.boolean)
    if boolean is not None:
        return bool(boolean.toPython())
    rows = []
    for solution in graph.objects(result_set, _RS.solution):
        cells = []
        for binding in graph.objects(solution, _RS.binding):
            name = str(graph.value(binding, _RS.variable))
            cells.append((name, _ox_term(graph.value(binding, _RS.value))))
        rows.append(tuple(sorted(cells)))
    return rows


def _ox_term(term: object) -> object:
    from rdflib import BNode, Literal

    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    return ox.NamedNode(str(term))


def same_solutions(expected: list[Row] | bool, actual: list[Row] | bool) -> bool:
    """Compare two solution multisets (or booleans), mapping blank nodes one-to-one."""
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected == actual
    if len(expected) != len(actual):
        return False
    expected = [tuple(sorted(((n, _by_value(v)) for n, v in r), key=lambda c: c[0])) for r in expected]
    actual = [tuple(sorted(((n, _by_value(v)) for n, v in r), key=lambda c: c[0])) for r in actual]
    plain_e = Counter(r for r in expected if not _has_bnode(r))
    plain_a = Counter(r for r in actual if not _has_bnode(r))
    if plain_e != plain_a:
        return False
    return _match([r for r in expected if _has_bnode(r)], [r for r in actual if _has_bnode(r)], {}, {})


_XSD = "http://www.w3.org/2001/XMLSchema#"
_NUMERIC = {_XSD + name for name in ("integer", "decimal", "double", "float")}


def _by_value(term: object) -> object:
    """Compare numbers by value within their datatype (``1.0`` and ``1.00`` are the same decimal)."""
    if isinstance(term, ox.Literal) and term.datatype.value in _NUMERIC:
        from decimal import Decimal, InvalidOperation

        try:
            return (term.datatype.value, Decimal(term.value))
        except InvalidOperation:
            return term
    return term


def _has_bnode(row: Row) -> bool:
    return any(isinstance(v, ox.BlankNode) for _, v in row)


def _match(expected: list[Row], actual: list[Row], forward: dict, backward: dict) -> bool:
    """Backtracking search for a blank-node bijection that maps ``expected`` onto ``actual``."""
    if not expected:
        return not actual
    first, rest = expected[0], expected[1:]
    for index, candidate in enumerate(actual):
        mapping = _unify(first, candidate, forward, backward)
        if mapping is not None and _match(rest, actual[:index] + actual[index + 1 :], *mapping):
            return True
    return False


def _unify(row: Row, other: Row, forward: dict, backward: dict) -> tuple[dict, dict] | None:
    if len(row) != len(other):
        return None
    forward, backward = dict(forward), dict(backward)
    for (name, value), (other_name, other_value) in zip(row, other, strict=True):
        if name != other_name:
            return None
        if isinstance(value, ox.BlankNode) and isinstance(other_value, ox.BlankNode):
            if forward.setdefault(value, other_value) != other_value:
                return None
            if backward.setdefault(other_value, value) != value:
                return None
        elif value != other_value:
            return None
    return forward, backward


def run_case(server: Server, case: Case) -> str | None:
    """Run one test of any kind; ``None`` means it passed."""
    if case.kind == "evaluation":
        return run_evaluation(server, case)
    return run_syntax(server, case)


def run_all(server: Server) -> Iterator[tuple[Case, str | None]]:
    """Run every vendored test against ``server``."""
    for case in read_cases(SYNTAX_SUITES + EVALUATION_SUITES):
        try:
            yield case, run_case(server, case)
        except Exception as exc:  # noqa: BLE001 - a report counts every failure
            yield case, f"{type(exc).__name__}: {exc}"


def main(argv: list[str]) -> int:
    """Print pass counts (syntax and evaluation) of the server at ``QUERY_URL UPDATE_URL``."""
    import os

    server = Server(argv[0], argv[1], token=os.environ.get("CONCORD_UPDATE_TOKEN"))
    counts: Counter[tuple[str, bool]] = Counter()
    for case, failure in run_all(server):
        group = "evaluation" if case.kind == "evaluation" else "syntax"
        counts[group, failure is None] += 1
        if failure is not None and "-v" in argv:
            print(f"FAIL {case.id}: {failure[:200]}")  # noqa: T201
    for group in ("syntax", "evaluation"):
        passed, failed = counts[group, True], counts[group, False]
        print(f"{group}: {passed} passed, {failed} failed")  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
