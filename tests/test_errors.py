"""Errors: parse errors worded one way, a remote store's answer kept, HTTP statuses only in the server."""

from __future__ import annotations

import inspect
import pickle
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from concord_kg import errors
from concord_kg.cli import main
from concord_kg.errors import (
    ConcordError,
    DataLoadError,
    ForbiddenQueryError,
    InputErrors,
    OntologyLoadError,
    QueryError,
    ReasonerError,
    ScenarioError,
    StoreError,
    UnknownTermError,
)
from concord_kg.ontology import load_graph
from concord_kg.saved_queries import UnknownQueryError
from concord_kg.server.api import TooLargeToValidate
from concord_kg.server.pool import PoolBusy, QueryTimeout, WorkerDied
from concord_kg.server.problems import status_of
from concord_kg.server.results import NotAcceptableAnswer
from concord_kg.store import Batch, RemoteStore
from concord_kg.validate import read_rdf_file, validate_file

DATA = Path(__file__).parent / "data"

#: Bad RDF files and the line each reader names: rdflib (ontology, shapes) and pyoxigraph (data).
#: ``None`` where that parser gives no line.
BAD_RDF = {
    "turtle-line-5.ttl": (5, 5),
    "ntriples-line-2.nt": (None, 2),
    "rdfxml-line-4.rdf": (4, None),
    "jsonld-line-4.jsonld": (4, 4),
}


#: The two readers: rdflib's (ontology modules, shapes) and pyoxigraph's (data files).
READERS = {"rdflib": lambda path: load_graph([path]), "pyoxigraph": read_rdf_file}


@pytest.mark.parametrize("reader", list(READERS))
@pytest.mark.parametrize("name", list(BAD_RDF))
def test_parse_errors_name_file_and_line_one_way(name: str, reader: str) -> None:
    """rdflib's and pyoxigraph's errors are worded alike: ``file:line: not valid <syntax>: <reason>``."""
    path = DATA / "errors" / name
    with pytest.raises(ConcordError) as caught:
        READERS[reader](path)
    error = caught.value
    assert (error.source, error.line) == (str(path), BAD_RDF[name][list(READERS).index(reader)])
    assert error.message.startswith("not valid ")
    assert "\n" not in str(error) and "b'" not in str(error) and "^" not in str(error)


def test_a_bad_ontology_module_is_an_ontology_error_and_a_bad_data_file_a_data_error() -> None:
    path = DATA / "errors" / "turtle-line-5.ttl"
    with pytest.raises(OntologyLoadError):
        load_graph([path])
    with pytest.raises(DataLoadError) as caught:
        validate_file(path)
    assert not isinstance(caught.value, OntologyLoadError)
    assert str(caught.value).startswith(f"{path}:5: not valid Turtle: ")


def test_validate_cli_reports_a_bad_data_file_by_name_and_line() -> None:
    path = DATA / "errors" / "turtle-line-5.ttl"
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{path}:5: not valid Turtle: Parser error at line 5")


def test_rdf_star_in_data_is_a_data_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "star.ttl"
    path.write_text("<< <http://e/a> <http://e/b> <http://e/c> >> <http://e/d> <http://e/e> .\n")
    with pytest.raises(DataLoadError) as caught:
        validate_file(path)
    assert str(caught.value) == f"{path}: RDF-star quoted triples are not supported"


def _core_error_classes() -> list[type[ConcordError]]:
    return [c for _, c in inspect.getmembers(errors, inspect.isclass) if issubclass(c, ConcordError)]


@pytest.mark.parametrize("cls", _core_error_classes(), ids=lambda c: c.__name__)
def test_core_errors_carry_no_http_status(cls: type[ConcordError]) -> None:
    """The library says what is wrong; the server alone maps that to a status (server.problems)."""
    assert not any("http_status" in vars(klass) for klass in cls.__mro__)


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (ConcordError("x"), 400),
        (DataLoadError("x"), 400),
        (QueryError("x"), 400),
        (OntologyLoadError("x"), 400),
        (ScenarioError("x"), 422),
        (UnknownTermError("x"), 404),
        (UnknownQueryError("x"), 404),
        (ForbiddenQueryError("x"), 403),
        (NotAcceptableAnswer("x"), 406),
        (TooLargeToValidate("x"), 413),
        (StoreError("x"), 503),
        (ReasonerError("x"), 503),
        (QueryTimeout("x"), 503),
        (PoolBusy("x"), 503),
        (WorkerDied("x"), 503),
        (InputErrors([DataLoadError("x"), ScenarioError("y")]), 422),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, ConcordError) else str(v),
)
def test_status_by_class_as_before(error: ConcordError, status: int) -> None:
    assert status_of(error) == status


@pytest.mark.parametrize(
    "error",
    [
        ScenarioError("bad value", source="a.csv", line=3, column="can_travel", term="x", hint="yes or no"),
        TooLargeToValidate("too big", hint="split it"),
        InputErrors([ScenarioError("a", source="f.csv", line=2), UnknownTermError("b", term="D9")], total=5),
    ],
    ids=lambda e: type(e).__name__,
)
def test_errors_cross_processes_whole(error: ConcordError) -> None:
    """The query workers send errors back pickled: class, message and where must survive."""
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own bytes
    assert type(copy) is type(error) and str(copy) == str(error) and vars(copy).keys() == vars(error).keys()
    assert status_of(copy) == status_of(error)


#: What the stand-in endpoint answers, by the first part of the path: status and body.
ANSWERS = {
    "/fail500": (500, "Internal failure: the disk is full at /var/lib/store"),
    "/fail503": (503, "The store is compacting; retry in a minute"),
    "/fail400": (400, "error at 1:10: expected one of LATERAL, SERVICE"),
    "/fail415": (415, "Unsupported Content-Type text/plain for the graph store"),
}


class _Failing(BaseHTTPRequestHandler):
    """Answer every request with the status and body :data:`ANSWERS` gives for its path."""

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        status, body = ANSWERS["/" + self.path.split("/")[1].split("?")[0]]
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = _answer

    def log_message(self, *args: object) -> None:
        """Keep the test output quiet."""


@pytest.fixture
def failing_endpoint() -> Iterator[str]:
    """A real HTTP server on 127.0.0.1 that answers with errors; return its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Failing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("path", ["/fail500", "/fail503"])
def test_remote_store_keeps_the_endpoint_answer(failing_endpoint: str, path: str) -> None:
    status, body = ANSWERS[path]
    with pytest.raises(StoreError) as caught:
        RemoteStore(failing_endpoint + path + "/query").query("ASK {}")
    assert f"HTTP {status}" in str(caught.value) and body in str(caught.value)
    assert "\n" not in str(caught.value)


def test_remote_store_refused_query_keeps_the_reason(failing_endpoint: str) -> None:
    with pytest.raises(QueryError) as caught:
        RemoteStore(failing_endpoint + "/fail400/query").query("SELECT * WHERE { ?s ?p }")
    assert str(caught.value) == f"the endpoint refused the query: HTTP 400: {ANSWERS['/fail400'][1]}"


def test_remote_store_refused_data_keeps_the_reason(failing_endpoint: str) -> None:
    store = RemoteStore(failing_endpoint + "/fail415/query")
    batch = Batch(
        b"<http://e/a> <http://e/b> <http://e/c> .\n", "application/n-triples", "http://e/g", source="x.nt"
    )
    with pytest.raises(StoreError) as caught:
        store.load_many([batch])
    assert "HTTP 415" in str(caught.value) and ANSWERS["/fail415"][1] in str(caught.value)
    assert caught.value.source == "x.nt"
