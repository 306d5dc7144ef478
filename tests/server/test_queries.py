"""Saved queries over HTTP: listed with their headers, run by name with parameters, every file runs."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from concord_kg.saved_queries import list_saved_queries

NAMES = [q.name for q in list_saved_queries()]


def test_list(client: FlaskClient) -> None:
    body = client.get("/queries").get_json()
    names = [q["name"] for q in body["queries"]]
    assert names == NAMES
    assert all(q["title"] and q["description"] for q in body["queries"])


@pytest.mark.parametrize("name", NAMES)
def test_every_saved_query_runs(client: FlaskClient, name: str) -> None:
    response = client.get(f"/queries/{name}/run")
    assert response.status_code == 200, response.get_data(as_text=True)


def test_show_text(client: FlaskClient) -> None:
    response = client.get(f"/queries/{NAMES[0]}", headers={"Accept": "application/sparql-query"})
    assert response.mimetype == "application/sparql-query" and "SELECT" in response.text.upper()


def test_parameter_is_bound(client: FlaskClient) -> None:
    d3 = client.get("/queries/options-of-domain/run", query_string={"notation": "D3"}).get_json()
    d1 = client.get("/queries/options-of-domain/run", query_string={"notation": "D1"}).get_json()
    notations = {b["termNotation"]["value"] for b in d3["results"]["bindings"]}
    assert notations and all(n.startswith("D3.") for n in notations)
    assert {b["termNotation"]["value"] for b in d1["results"]["bindings"]} != notations


def test_injection_stays_a_literal(client: FlaskClient) -> None:
    evil = '"D3" } } ; DROP ALL ; SELECT * { ?s ?p ?o #'
    response = client.get("/queries/options-of-domain/run", query_string={"notation": evil})
    assert response.status_code == 200 and response.get_json()["results"]["bindings"] == []


def test_unknown_query_and_parameter(client: FlaskClient) -> None:
    assert client.get("/queries/nope/run").status_code == 404
    response = client.get("/queries/options-of-domain/run", query_string={"nope": "1"})
    assert response.status_code == 400 and response.mimetype == "application/problem+json"


def test_csv(client: FlaskClient) -> None:
    response = client.get("/queries/options-of-domain/run", headers={"Accept": "text/csv"})
    assert response.mimetype == "text/csv" and response.text.startswith("notation,")
