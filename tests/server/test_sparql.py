"""SPARQL 1.1 Protocol through the Flask test client: operations, negotiation, errors, security."""

from __future__ import annotations

import csv
import io
import json

import pytest
from flask.testing import FlaskClient
from rdflib import Graph

from tests.server.conftest import SLOW_QUERY

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
LABELS = (
    "PREFIX skos: <http://www.w3.org/2004/02/skos/core#> SELECT ?c ?l WHERE { ?c skos:prefLabel ?l } LIMIT 5"
)
CONSTRUCT = "CONSTRUCT WHERE { ?s a <http://www.w3.org/2004/02/skos/core#Concept> } LIMIT 5"


def problem(response) -> dict:
    assert response.mimetype == "application/problem+json"
    body = response.get_json(force=True)
    assert {"type", "title", "status", "detail"} <= set(body)
    assert body["status"] == response.status_code
    assert "Traceback" not in body["detail"]
    return body


def test_get_query_returns_sparql_json_by_default(client: FlaskClient) -> None:
    response = client.get("/sparql", query_string={"query": COUNT})
    assert response.status_code == 200
    assert response.mimetype == "application/sparql-results+json"
    assert int(response.get_json()["results"]["bindings"][0]["n"]["value"]) > 1000


def test_post_form(client: FlaskClient) -> None:
    response = client.post("/sparql", data={"query": COUNT})
    assert response.status_code == 200
    assert response.get_json()["head"]["vars"] == ["n"]


def test_post_direct(client: FlaskClient) -> None:
    response = client.post("/sparql", data=COUNT, content_type="application/sparql-query")
    assert response.status_code == 200


def test_post_other_content_type_is_415(client: FlaskClient) -> None:
    response = client.post("/sparql", data=COUNT, content_type="text/plain")
    assert response.status_code == 415
    assert "application/sparql-query" in problem(response)["detail"]


@pytest.mark.parametrize(
    ("accept", "mimetype"),
    [
        ("application/sparql-results+xml", "application/sparql-results+xml"),
        ("text/csv", "text/csv"),
        ("text/tab-separated-values", "text/tab-separated-values"),
        ("application/json", "application/json"),
        ("*/*", "application/sparql-results+json"),
        ("text/html,application/xhtml+xml,*/*;q=0.8", "application/sparql-results+json"),
    ],
)
def test_select_negotiation(client: FlaskClient, accept: str, mimetype: str) -> None:
    response = client.get("/sparql", query_string={"query": LABELS}, headers={"Accept": accept})
    assert response.status_code == 200
    assert response.mimetype == mimetype


def test_csv_and_tsv_shapes(client: FlaskClient) -> None:
    text = client.get("/sparql", query_string={"query": LABELS}, headers={"Accept": "text/csv"}).text
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["c", "l"] and len(rows) == 6 and rows[1][0].startswith("https://")
    tsv = client.get(
        "/sparql", query_string={"query": LABELS}, headers={"Accept": "text/tab-separated-values"}
    )
    lines = tsv.text.splitlines()
    assert lines[0] == "?c\t?l" and lines[1].startswith("<https://")


def test_select_as_turtle_is_406_listing_types(client: FlaskClient) -> None:
    response = client.get("/sparql", query_string={"query": LABELS}, headers={"Accept": "text/turtle"})
    assert response.status_code == 406
    assert "application/sparql-results+json" in problem(response)["detail"]


@pytest.mark.parametrize(
    ("accept", "fmt"),
    [
        ("text/turtle", "turtle"),
        ("application/n-triples", "nt"),
        ("application/rdf+xml", "xml"),
        ("application/ld+json", "json-ld"),
    ],
)
def test_construct_negotiation(client: FlaskClient, accept: str, fmt: str) -> None:
    response = client.get("/sparql", query_string={"query": CONSTRUCT}, headers={"Accept": accept})
    assert response.status_code == 200
    assert response.mimetype == accept
    assert len(Graph().parse(data=response.data, format=fmt)) == 5


def test_construct_as_csv_is_406(client: FlaskClient) -> None:
    response = client.get("/sparql", query_string={"query": CONSTRUCT}, headers={"Accept": "text/csv"})
    assert response.status_code == 406
    assert "text/turtle" in problem(response)["detail"]


def test_describe(client: FlaskClient) -> None:
    query = "DESCRIBE <https://w3id.org/concord-kg/Coordinator>"
    response = client.get("/sparql", query_string={"query": query})
    assert response.mimetype == "text/turtle"
    assert len(Graph().parse(data=response.data, format="turtle")) > 3


def test_ask(client: FlaskClient) -> None:
    response = client.get("/sparql", query_string={"query": "ASK { ?s ?p ?o }"})
    assert response.get_json() == {"head": {}, "boolean": True}


def test_service_description(client: FlaskClient) -> None:
    response = client.get("/sparql")
    assert response.status_code == 200 and response.mimetype == "text/turtle"
    graph = Graph().parse(data=response.data, format="turtle")
    sd = "http://www.w3.org/ns/sparql-service-description#"
    assert graph.query(f"ASK {{ ?s a <{sd}Service> ; <{sd}endpoint> ?e ; <{sd}resultFormat> ?f }}").askAnswer
    names = {str(o) for o in graph.objects(None, graph.namespace_manager.expand_curie("sd:name"))}
    assert "https://w3id.org/concord-kg/graph/ontology" in names


def test_malformed_query_is_400_with_message(client: FlaskClient) -> None:
    response = client.get("/sparql", query_string={"query": "SELECT * WHERE { ?s ?p "})
    assert response.status_code == 400
    assert "malformed SPARQL" in problem(response)["detail"]


def test_cors_headers_and_preflight(client: FlaskClient) -> None:
    response = client.get("/sparql", query_string={"query": COUNT}, headers={"Origin": "https://example.org"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "X-Concord-Truncated" in response.headers["Access-Control-Expose-Headers"]
    preflight = client.options(
        "/sparql",
        headers={
            "Origin": "https://example.org",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert preflight.status_code == 200
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert "content-type" in preflight.headers["Access-Control-Allow-Headers"].lower()


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
        "SELECT * WHERE { SERVICE SILENT <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
        "SELECT * WHERE { ?s ?p ?o FILTER EXISTS { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } } }",
        "SELECT * WHERE { { SELECT ?s WHERE { SERVICE ?x { ?s ?p ?o } } } }",
        r"SELECT * WHERE { \u0053ERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }",
    ],
    ids=["plain", "silent", "in-exists", "in-subquery", "escaped"],
)
def test_service_is_403(client: FlaskClient, query: str) -> None:
    response = client.get("/sparql", query_string={"query": query})
    assert response.status_code == 403
    assert "SERVICE" in problem(response)["detail"]


@pytest.mark.parametrize(
    "update",
    ["INSERT DATA { <urn:a> <urn:b> <urn:c> }", "LOAD <http://127.0.0.1:9/data.ttl>", "CLEAR ALL"],
)
def test_update_is_403_when_read_only(client: FlaskClient, update: str) -> None:
    response = client.post("/sparql", data={"update": update})
    assert response.status_code == 403
    assert "read-only" in problem(response)["detail"]


def test_update_sent_as_query_is_refused(client: FlaskClient) -> None:
    response = client.get("/sparql", query_string={"query": "INSERT DATA { <urn:a> <urn:b> <urn:c> }"})
    assert response.status_code == 400
    assert "update" in problem(response)["detail"]


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * FROM <http://example.org/elsewhere> WHERE { ?s ?p ?o }",
        "SELECT * FROM NAMED <http://example.org/elsewhere> WHERE { GRAPH ?g { ?s ?p ?o } }",
        "SELECT * WHERE { GRAPH <http://example.org/elsewhere> { ?s ?p ?o } }",
    ],
    ids=["from", "from-named", "graph"],
)
def test_graphs_not_in_store_are_refused(client: FlaskClient, query: str) -> None:
    response = client.get("/sparql", query_string={"query": query})
    assert response.status_code == 400
    assert "http://example.org/elsewhere" in problem(response)["detail"]


def test_graph_in_store_is_allowed(client: FlaskClient) -> None:
    query = "SELECT (COUNT(*) AS ?n) FROM <https://w3id.org/concord-kg/graph/skos> WHERE { ?s ?p ?o }"
    response = client.get("/sparql", query_string={"query": query})
    assert response.status_code == 200


def test_default_graph_uri_parameter(client: FlaskClient) -> None:
    skos = "https://w3id.org/concord-kg/graph/skos"
    count = client.get("/sparql", query_string={"query": COUNT, "default-graph-uri": skos}).get_json()
    total = client.get("/sparql", query_string={"query": COUNT}).get_json()
    value = int(count["results"]["bindings"][0]["n"]["value"])
    assert 0 < value < int(total["results"]["bindings"][0]["n"]["value"])


def test_contradictory_dataset_is_400(client: FlaskClient) -> None:
    skos = "https://w3id.org/concord-kg/graph/skos"
    query = f"SELECT * FROM <{skos}> WHERE {{ ?s ?p ?o }}"  # noqa: S608 - SPARQL, not SQL
    response = client.get("/sparql", query_string={"query": query, "default-graph-uri": skos})
    assert response.status_code == 400
    assert "FROM" in problem(response)["detail"]


@pytest.mark.parametrize("app_config", [{"MAX_RESULTS": 10}])
def test_results_are_capped_and_flagged(client: FlaskClient) -> None:
    response = client.get("/sparql", query_string={"query": "SELECT * WHERE { ?s ?p ?o }"})
    assert response.headers["X-Concord-Truncated"] == "true"
    body = response.get_json()
    assert len(body["results"]["bindings"]) == 10 and body["truncated"] is True
    small = client.get("/sparql", query_string={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 3"})
    assert "X-Concord-Truncated" not in small.headers and "truncated" not in small.get_json()


@pytest.mark.parametrize("app_config", [{"MAX_RESULTS": 10}])
def test_construct_is_capped(client: FlaskClient) -> None:
    response = client.get("/sparql", query_string={"query": "CONSTRUCT WHERE { ?s ?p ?o }"})
    assert response.headers["X-Concord-Truncated"] == "true"
    assert len(Graph().parse(data=response.data, format="turtle")) == 10


def test_body_over_1mb_is_413(client: FlaskClient) -> None:
    query = "SELECT * WHERE { ?s ?p ?o } #" + "x" * (1024 * 1024 + 10)
    response = client.post("/sparql", data=query, content_type="application/sparql-query")
    assert response.status_code == 413
    problem(response)


@pytest.mark.slow
@pytest.mark.parametrize("app_config", [{"QUERY_TIMEOUT": 1.0}])
def test_slow_query_is_stopped(client: FlaskClient) -> None:
    response = client.get("/sparql", query_string={"query": SLOW_QUERY})
    assert response.status_code == 503
    assert "stopped" in problem(response)["detail"]
    again = client.get("/sparql", query_string={"query": COUNT})
    assert again.status_code == 200


@pytest.mark.parametrize("app_config", [{"ALLOW_UPDATE": True, "UPDATE_TOKEN": "a-test-token-of-16+"}])
def test_update_when_allowed(client: FlaskClient) -> None:
    auth = {"Authorization": "Bearer a-test-token-of-16+"}
    response = client.post(
        "/sparql",
        data="INSERT DATA { GRAPH <https://w3id.org/concord-kg/graph/data/t> { <urn:a> <urn:b> 'c' } }",
        content_type="application/sparql-update",
        headers=auth,
    )
    assert response.status_code == 204
    found = client.get("/sparql", query_string={"query": "SELECT ?o WHERE { <urn:a> <urn:b> ?o }"})
    assert json.loads(found.data)["results"]["bindings"][0]["o"]["value"] == "c"
    load = client.post("/sparql", data={"update": "LOAD <http://127.0.0.1:9/x.ttl>"}, headers=auth)
    assert load.status_code == 403


def test_error_text_that_looks_like_a_storage_error_is_a_400(client: FlaskClient) -> None:
    """A query cannot pass for a stale store (which would make the pool replace its workers)."""
    for _ in range(2):
        response = client.get("/sparql", query_string={"query": "SELECT (<http://x/Corruption>(1) AS ?x) {}"})
        assert response.status_code == 400, response.get_json()
        assert response.mimetype == "application/problem+json"
