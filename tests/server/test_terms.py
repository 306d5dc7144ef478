"""Term pages (HTML and RDF by Accept), search and health."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from rdflib import Graph, URIRef

CKG = "https://w3id.org/concord-kg/"


@pytest.mark.parametrize("key", ["Coordinator", "D3.2.1", "ckg:Coordinator", CKG + "Coordinator"])
def test_term_page_html(client: FlaskClient, key: str) -> None:
    response = client.get(f"/term/{key}", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.text
    assert "<h1>Coordinator" in page and "D3.2.1" in page
    assert "Parents" in page and "Children" in page and "Evidence concerning this term" in page
    assert "https://doi.org/" in page


@pytest.mark.parametrize(
    ("accept", "fmt"),
    [("text/turtle", "turtle"), ("application/ld+json", "json-ld"), ("application/n-triples", "nt")],
)
def test_term_rdf(client: FlaskClient, accept: str, fmt: str) -> None:
    response = client.get("/term/Coordinator", headers={"Accept": accept})
    assert response.status_code == 200 and response.mimetype == accept
    graph = Graph().parse(data=response.data, format=fmt)
    term = URIRef(CKG + "Coordinator")
    assert (term, None, None) in graph
    assert (None, URIRef(CKG + "concerns"), term) in graph


def test_unknown_term_is_404_problem(client: FlaskClient) -> None:
    response = client.get("/term/NoSuchThing")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["term"] == "NoSuchThing"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("coordinator", "Coordinator"),
        ("co-ordinator", "Coordinator"),
        ("CO-ORDINATOR", "Coordinator"),
        ("care co-ordinator", "Care coordinator"),
        ("organization of care", "Ways of organising care"),
        ("organisation of care", "Ways of organising care"),
        ("D3", "Responsibility for coordination"),
    ],
)
def test_search_ranks_label_matches_first(client: FlaskClient, query: str, expected: str) -> None:
    response = client.get("/search", query_string={"q": query})
    assert response.status_code == 200
    results = response.get_json()["results"]
    assert results and results[0]["label"] == expected
    assert [r["score"] for r in results] == sorted((r["score"] for r in results), reverse=True)


def test_search_without_match(client: FlaskClient) -> None:
    assert client.get("/search", query_string={"q": "xyzzy"}).get_json()["results"] == []


def test_health(client: FlaskClient) -> None:
    body = client.get("/health").get_json()
    assert body["status"] == "ok" and body["store"] == "embedded" and body["graphs"] >= 3


@pytest.mark.parametrize(
    ("name", "label", "linked"),
    [
        ("SpecialistCentre", "Specialist centre", "Care delivered and coordinated centrally"),
        ("CarePlan", "Care plan", "Written information sharing"),
        ("Transition", "Transition between services", "Preference for transition methods"),
        ("CharacteristicMeetingsBetweenProfessionals", "Characteristic (iv)", "MDT meetings"),
    ],
)
def test_term_page_of_a_concept_the_models_rely_on(
    client: FlaskClient, name: str, label: str, linked: str
) -> None:
    response = client.get(f"/term/{name}", headers={"Accept": "text/html"})
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.text
    assert f"<h1>{label}" in page
    assert linked in page
    assert "https://doi.org/" in page


def test_search_finds_a_hidden_label(client: FlaskClient) -> None:
    # "key worker" is not the papers' wording, so it is a hidden label of D3.2.1.2 (issue 15)
    results = client.get("/search", query_string={"q": "key worker"}).get_json()["results"]
    assert results and results[0]["label"] == "Care coordinator"
