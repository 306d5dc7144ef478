"""The guard: what it refuses before a store sees the text, on both its fast path and the full parse."""

from __future__ import annotations

import threading

import pytest

from concord_kg.errors import ForbiddenQueryError, QueryError
from concord_kg.server.guard import analyse_query, analyse_update, check_graphs


@pytest.mark.parametrize(
    ("query", "form"),
    [
        ("SELECT * WHERE { ?s ?p ?o }", "SELECT"),
        ("PREFIX ex: <http://example.org/> # comment\nask { ex:a ?p ?o }", "ASK"),
        ("BASE <http://example.org/> CONSTRUCT WHERE { ?s ?p ?o }", "CONSTRUCT"),
        ("DESCRIBE <http://example.org/a>", "DESCRIBE"),
        ("SELECT * FROM <http://example.org/g> WHERE { ?s ?p ?o }", "SELECT"),
    ],
)
def test_form(query: str, form: str) -> None:
    assert analyse_query(query).form == form


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }",
        "select * where { service <http://127.0.0.1:9/> { ?s ?p ?o } }",
        "SELECT * WHERE { SeRvIcE <http://127.0.0.1:9/> { ?s ?p ?o } }",
        r"SELECT * WHERE { \u0053ERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }",
        r"SELECT * WHERE { \U00000053ERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }",
        "# SELECT\nSELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }",
    ],
)
def test_service_refused_in_any_spelling(query: str) -> None:
    with pytest.raises(QueryError):  # ForbiddenQueryError, or a parse error for spellings rdflib rejects
        analyse_query(query)


def test_service_is_forbidden_not_malformed() -> None:
    with pytest.raises(ForbiddenQueryError):
        analyse_query("select * where { service <http://127.0.0.1:9/> { ?s ?p ?o } }")


def test_graph_names_are_collected() -> None:
    operation = analyse_query(
        "PREFIX g: <http://example.org/g/> SELECT * FROM g:a FROM NAMED g:b WHERE { GRAPH g:c { ?s ?p ?o } }"
    )
    assert operation.graphs == {"http://example.org/g/a", "http://example.org/g/b", "http://example.org/g/c"}
    with pytest.raises(QueryError, match="http://example.org/g/c"):
        check_graphs(operation, ["http://example.org/g/a", "http://example.org/g/b"])


@pytest.mark.parametrize("update", ["LOAD <http://127.0.0.1:9/x>", "load silent <http://127.0.0.1:9/x>"])
def test_load_forbidden(update: str) -> None:
    with pytest.raises(ForbiddenQueryError):
        analyse_update(update)


def test_full_parse_is_thread_safe() -> None:
    """rdflib's grammar breaks under concurrent parses; the guard serialises them."""
    errors: list[Exception] = []

    def work(n: int) -> None:
        for i in range(20):
            text = f"SELECT * WHERE {{ GRAPH <urn:g{n}-{i}> {{ ?s ?p ?o }} . ?s ?p ?o . ?o ?q ?r }}"
            try:
                assert analyse_query(text).graphs == {f"urn:g{n}-{i}"}
            except Exception as exc:  # noqa: BLE001 - collected for the assertion below
                errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
