"""The real server (``concord-kg serve``, waitress) on 127.0.0.1, through SPARQLWrapper and plain HTTP."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
from rdflib import Graph
from SPARQLWrapper import CSV, JSON, TURTLE, XML, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

from tests.conftest import SCRIPT
from tests.server.conftest import SLOW_QUERY, Listener

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


def fetch(url: str, *, data: bytes | None = None, headers: dict | None = None) -> tuple[int, dict, bytes]:
    """Send a request; return status, headers and body (also for error statuses)."""
    request = urllib.request.Request(url, data=data, headers=headers or {})  # noqa: S310 - 127.0.0.1
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def query_url(base: str, query: str) -> str:
    return f"{base}/sparql?{urllib.parse.urlencode({'query': query})}"


def test_sparqlwrapper_select_json(live_server: str) -> None:
    wrapper = SPARQLWrapper(live_server + "/sparql")
    wrapper.setQuery(COUNT)
    wrapper.setReturnFormat(JSON)
    result = wrapper.query().convert()
    assert int(result["results"]["bindings"][0]["n"]["value"]) > 1000


def test_domains_query_has_one_row_per_domain(live_server: str) -> None:
    """A newcomer's query without DISTINCT: the six domains and their labels, each once."""
    wrapper = SPARQLWrapper(live_server + "/sparql")
    wrapper.setQuery(
        "PREFIX skos: <http://www.w3.org/2004/02/skos/core#> "
        "SELECT ?domain ?label WHERE { ?domain skos:topConceptOf ?scheme ; skos:prefLabel ?label }"
    )
    wrapper.setReturnFormat(JSON)
    rows = wrapper.query().convert()["results"]["bindings"]
    assert len(rows) == 6
    assert len({row["domain"]["value"] for row in rows}) == 6


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_sparqlwrapper_methods(live_server: str, method: str) -> None:
    wrapper = SPARQLWrapper(live_server + "/sparql")
    wrapper.setMethod(method)
    wrapper.setQuery("ASK { ?s ?p ?o }")
    wrapper.setReturnFormat(JSON)
    assert wrapper.query().convert()["boolean"] is True


def test_sparqlwrapper_xml_and_csv(live_server: str) -> None:
    wrapper = SPARQLWrapper(live_server + "/sparql")
    wrapper.setQuery("SELECT ?s WHERE { ?s ?p ?o } LIMIT 3")
    wrapper.setReturnFormat(XML)
    document = wrapper.query().convert()
    assert len(document.getElementsByTagName("result")) == 3
    wrapper.setReturnFormat(CSV)
    assert wrapper.query().convert().decode().splitlines()[0] == "s"


def test_sparqlwrapper_construct_turtle(live_server: str) -> None:
    wrapper = SPARQLWrapper(live_server + "/sparql")
    wrapper.setQuery("CONSTRUCT WHERE { ?s a <http://www.w3.org/2004/02/skos/core#Concept> } LIMIT 4")
    wrapper.setReturnFormat(TURTLE)
    graph = Graph().parse(data=wrapper.query().convert(), format="turtle")
    assert len(graph) == 4


def test_sparqlwrapper_malformed_query(live_server: str) -> None:
    wrapper = SPARQLWrapper(live_server + "/sparql")
    wrapper.setQuery("SELECT * WHERE { ?s ?p ")
    wrapper.setReturnFormat(JSON)
    with pytest.raises(QueryBadFormed):
        wrapper.query()


def test_http_get_post_and_service_description(live_server: str) -> None:
    status, headers, body = fetch(query_url(live_server, COUNT))
    assert status == 200 and headers["Content-Type"].startswith("application/sparql-results+json")
    status, _, _ = fetch(
        live_server + "/sparql", data=COUNT.encode(), headers={"Content-Type": "application/sparql-query"}
    )
    assert status == 200
    form = urllib.parse.urlencode({"query": COUNT}).encode()
    status, _, _ = fetch(
        live_server + "/sparql", data=form, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert status == 200
    status, headers, body = fetch(live_server + "/sparql")
    assert status == 200 and headers["Content-Type"].startswith("text/turtle") and b"sd:Service" in body


def test_http_415_and_406(live_server: str) -> None:
    status, headers, _ = fetch(live_server + "/sparql", data=b"x", headers={"Content-Type": "text/plain"})
    assert status == 415 and headers["Content-Type"] == "application/problem+json"
    status, _, body = fetch(query_url(live_server, COUNT), headers={"Accept": "image/png"})
    assert status == 406 and b"text/csv" in body


def test_service_never_contacts_the_target(start_server: Callable[..., str], listener: Listener) -> None:
    base = start_server("--query-timeout", "3")
    target = f"http://127.0.0.1:{listener.port}/sparql"
    queries = [
        f"SELECT * WHERE {{ SERVICE <{target}> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ SERVICE SILENT <{target}> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ ?s ?p ?o FILTER EXISTS {{ SERVICE <{target}> {{ ?s ?p ?o }} }} }} LIMIT 1",
        f"SELECT * WHERE {{ BIND(<{target}> AS ?e) SERVICE ?e {{ ?s ?p ?o }} }}",
        rf"SELECT * WHERE {{ \u0053ERVICE <{target}> {{ ?s ?p ?o }} }}",
        # rdflib decodes \u everywhere, pyoxigraph only in strings: an escaped backslash hides SERVICE.
        rf'SELECT * WHERE {{ BIND("\u005C" AS ?a) SERVICE <{target}> {{ ?s ?p ?o }} }} #" AS ?b) }}',
    ]
    for query in queries:
        status, headers, _ = fetch(query_url(base, query))
        assert status in (400, 403), query
        assert headers["Content-Type"] == "application/problem+json"
    for update in (
        f"LOAD <{target}>",
        f"INSERT {{ ?s ?p ?o }} WHERE {{ SERVICE <{target}> {{ ?s ?p ?o }} }}",
        rf'INSERT DATA {{ <urn:a> <urn:b> "\u005C" }} ; LOAD <{target}> #" }}',
    ):
        form = urllib.parse.urlencode({"update": update}).encode()
        status, _, _ = fetch(base + "/sparql", data=form)
        assert status == 403
    time.sleep(0.5)
    assert listener.connections == 0


def test_service_and_load_refused_even_with_updates(
    start_server: Callable[..., str], listener: Listener
) -> None:
    base = start_server("--allow-update", "--update-token", "a-test-token-of-16+")
    auth = {"Authorization": "Bearer a-test-token-of-16+"}
    target = f"http://127.0.0.1:{listener.port}/data.ttl"
    for update in (f"LOAD <{target}>", f"LOAD SILENT <{target}> INTO GRAPH <urn:g>"):
        form = urllib.parse.urlencode({"update": update}).encode()
        status, _, body = fetch(base + "/sparql", data=form, headers=auth)
        assert status == 403 and b"LOAD" in body
    status, _, _ = fetch(
        base + "/sparql",
        data=b"INSERT DATA { GRAPH <https://w3id.org/concord-kg/graph/data/x> { <urn:a> <urn:b> <urn:c> } }",
        headers={"Content-Type": "application/sparql-update", **auth},
    )
    assert status == 204
    status, _, body = fetch(query_url(base, "ASK { <urn:a> <urn:b> <urn:c> }"))
    assert json.loads(body).get("boolean") is True, body
    time.sleep(0.5)
    assert listener.connections == 0


def test_update_is_403(live_server: str) -> None:
    status, headers, body = fetch(
        live_server + "/sparql",
        data=b"INSERT DATA { <urn:a> <urn:b> <urn:c> }",
        headers={"Content-Type": "application/sparql-update"},
    )
    assert status == 403 and headers["Content-Type"] == "application/problem+json"
    assert json.loads(body)["status"] == 403


def test_body_over_1mb_is_413(live_server: str) -> None:
    body = ("SELECT * WHERE { ?s ?p ?o } #" + "x" * (1024 * 1024 + 1)).encode()
    status, headers, _ = fetch(
        live_server + "/sparql", data=body, headers={"Content-Type": "application/sparql-query"}
    )
    assert status == 413 and headers["Content-Type"] == "application/problem+json"


def test_truncation(live_server: str) -> None:
    status, headers, body = fetch(query_url(live_server, "SELECT * WHERE { ?s ?p ?o }"))
    assert status == 200 and headers["X-Concord-Truncated"] == "true"
    document = json.loads(body)
    assert len(document["results"]["bindings"]) == 50 and document["truncated"] is True


@pytest.mark.slow
def test_slow_query_is_stopped_and_server_stays_responsive(live_server: str) -> None:
    outcome: dict = {}

    def slow() -> None:
        started = time.monotonic()
        outcome["status"], _, outcome["body"] = fetch(query_url(live_server, SLOW_QUERY))
        outcome["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=slow)
    thread.start()
    time.sleep(0.5)
    started = time.monotonic()
    status, _, _ = fetch(live_server + "/health")
    assert status == 200 and time.monotonic() - started < 1.0
    thread.join(timeout=30)
    assert outcome["status"] == 503 and outcome["seconds"] < 10
    assert json.loads(outcome["body"])["title"]
    status, _, _ = fetch(query_url(live_server, COUNT))
    assert status == 200


def test_first_query_on_a_store_built_at_start_succeeds(
    start_server: Callable[..., str], tmp_path: Path
) -> None:
    """The first start loads the ontology into an empty store; workers must not see half-compacted files."""
    base = start_server(store=tmp_path / "new-store")
    status, _, body = fetch(query_url(base, "ASK { ?m <http://www.w3.org/2004/02/skos/core#notation> 'M3' }"))
    assert status == 200, body
    assert json.loads(body)["boolean"] is True


@pytest.mark.parametrize("mode", ["memory", "disk"])
def test_data_loaded_while_the_server_runs_becomes_visible(
    start_server: Callable[..., str], tmp_path: Path, mode: str
) -> None:
    """`concord-kg load` from another process: the server notices the store's files changed.

    In memory mode new workers copy the new data while the old ones keep answering.
    """
    import subprocess

    store = tmp_path / "shared-store"
    base = start_server("--store-mode", mode, store=store)
    assert json.loads(fetch(base + "/health")[2])["store_mode"] == mode
    examples = Path(__file__).parents[2] / "examples" / "scenarios.csv"
    subprocess.run(
        [str(SCRIPT), "load", "--store", str(store), str(examples)], check=True, capture_output=True
    )
    query = (
        "SELECT (COUNT(*) AS ?n) WHERE { GRAPH <https://w3id.org/concord-kg/graph/data/scenarios> "
        "{ ?s a <https://w3id.org/concord-kg/Scenario> } }"
    )
    deadline = time.monotonic() + 10
    while True:
        status, _, body = fetch(query_url(base, query))
        if status == 200 and json.loads(body)["results"]["bindings"][0]["n"]["value"] == "12":
            break
        assert time.monotonic() < deadline, body
        time.sleep(0.5)
