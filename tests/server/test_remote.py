"""``--endpoint``: ``load`` and ``serve`` on a real ``oxigraph serve`` process (any SPARQL 1.1 store)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from SPARQLWrapper import JSON, SPARQLWrapper

from concord_kg.errors import QueryError, StoreError
from concord_kg.store import ONTOLOGY_GRAPH, RemoteStore, data_graph, ensure_ontology
from tests.conftest import SCRIPT
from tests.server.conftest import Listener, free_port, wait_for
from tests.server.test_live import fetch, query_url

#: The ``oxigraph`` server binary, installed next to Python by the test extra (``oxigraph`` on PyPI).
OXIGRAPH = Path(sys.executable).with_name("oxigraph")


@pytest.fixture
def oxigraph(tmp_path: Path) -> Iterator[str]:
    """Start ``oxigraph serve`` on 127.0.0.1 with the union default graph; return its query URL."""
    assert OXIGRAPH.exists(), f"{OXIGRAPH} not found: pip install -e '.[test]' installs the oxigraph server"
    port = free_port()
    process = subprocess.Popen(
        [
            str(OXIGRAPH),
            "serve",
            "--location",
            str(tmp_path / "oxi"),
            "--bind",
            f"127.0.0.1:{port}",
            "--union-default-graph",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                wait_for(base + "/query?query=ASK%7B%7D", timeout=1)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
        yield base + "/query"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_remote_store_loads_ontology_once(oxigraph: str) -> None:
    store = RemoteStore(oxigraph)
    assert ensure_ontology(store) is True
    assert ONTOLOGY_GRAPH in store.graphs()
    assert ensure_ontology(store) is False


def test_load_command_with_endpoint(oxigraph: str, tmp_path: Path) -> None:
    data = tmp_path / "extra.ttl"
    data.write_text("<urn:a> <urn:b> <urn:c> .\n", encoding="utf-8")
    result = subprocess.run(
        [str(SCRIPT), "load", str(data), "--endpoint", oxigraph], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    store = RemoteStore(oxigraph)
    assert data_graph("extra") in store.graphs()
    assert bool(store.query("ASK { <urn:a> <urn:b> <urn:c> }"))


def test_serve_with_endpoint(oxigraph: str, start_server: Callable[..., str], listener: Listener) -> None:
    base = start_server("--endpoint", oxigraph, "--max-results", "20")
    wrapper = SPARQLWrapper(base + "/sparql")
    wrapper.setQuery("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    wrapper.setReturnFormat(JSON)
    count = int(wrapper.query().convert()["results"]["bindings"][0]["n"]["value"])
    assert count > 1000
    status, headers, body = fetch(query_url(base, "SELECT * WHERE { ?s ?p ?o }"))
    assert status == 200 and headers["X-Concord-Truncated"] == "true"
    assert len(json.loads(body)["results"]["bindings"]) == 20
    status, headers, body = fetch(query_url(base, "CONSTRUCT WHERE { ?s ?p ?o } LIMIT 3"))
    assert status == 200 and headers["Content-Type"].startswith("text/turtle")
    status, _, _ = fetch(
        query_url(base, f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{listener.port}/> {{ ?s ?p ?o }} }}")
    )
    assert status == 403
    status, _, body = fetch(base + "/queries/options-of-domain/run?notation=D3")
    assert status == 200 and json.loads(body)["results"]["bindings"]
    status, _, body = fetch(base + "/health")
    assert status == 200 and json.loads(body)["store"] == oxigraph
    status, _, _ = fetch(base + "/term/Coordinator", headers={"Accept": "text/turtle"})
    assert status == 200
    status, _, _ = fetch(
        base + "/sparql",
        data=b"INSERT DATA { <urn:x> <urn:y> <urn:z> }",
        headers={"Content-Type": "application/sparql-update"},
    )
    assert status == 403
    time.sleep(0.3)
    assert listener.connections == 0


@pytest.mark.parametrize("name", ["search-terms", "options-of-domain", "models-by-coordination-role"])
def test_saved_queries_give_the_same_rows_on_a_remote_store(oxigraph: str, tmp_path: Path, name: str) -> None:
    """Parameters reach the remote store as VALUES at the start of the WHERE group, so FILTERs see them."""
    from concord_kg.saved_queries import run_saved_query
    from concord_kg.store import EmbeddedStore

    remote = RemoteStore(oxigraph)
    ensure_ontology(remote)
    with EmbeddedStore(tmp_path / "local") as local:
        ensure_ontology(local)
        expected = sorted(str(sorted(s)) for s in _rows(run_saved_query(local, name, {})))
    got = sorted(str(sorted(s)) for s in _rows(run_saved_query(remote, name, {})))
    assert got and got == expected


def _rows(result) -> list[list[tuple[str, str]]]:
    return [[(v.value, str(s[v])) for v in result.variables if s[v] is not None] for s in result]


def test_remote_store_errors_keep_the_server_answer(oxigraph: str) -> None:
    """An HTTP error keeps its status and what the server said, not only the exception's type."""
    missing = RemoteStore(oxigraph.removesuffix("/query") + "/nothing-here")
    with pytest.raises(StoreError) as caught:
        missing.query("ASK {}")
    assert "HTTP 404: POST /nothing-here is not supported by this server" in str(caught.value)
    with pytest.raises(QueryError) as caught:
        RemoteStore(oxigraph).query("SELECT * WHERE { ?s ?p }")
    assert str(caught.value).startswith("the endpoint refused the query: HTTP 400: error at 1:25: expected")
