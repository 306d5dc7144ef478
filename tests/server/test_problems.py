"""Problem documents: an error keeps its kind and place on the way back from a query worker."""

from __future__ import annotations

from pathlib import Path

from flask.testing import FlaskClient

from concord_kg.server import create_app
from tests.server.test_api import COLUMNS
from tests.test_errors import ANSWERS, failing_endpoint  # noqa: F401 - fixture

HEADER = ",".join(COLUMNS)
PROBLEMS = "https://w3id.org/concord-kg/problems/"


def test_bad_rdf_body_is_a_data_error_naming_the_line(client: FlaskClient) -> None:
    """Parsed in a worker: the answer says data error (not query error), where, and why."""
    body = b"<urn:a> <urn:b> <urn:c> .\n<urn:a> <urn:b> .\n"
    response = client.post("/api/validate", data=body, content_type="application/n-triples")
    assert response.status_code == 400 and response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["type"] == PROBLEMS + "data-load-error"
    assert (problem["source"], problem["line"]) == ("request body", 2)
    assert problem["detail"].startswith("request body:2: not valid N-Triples: Parser error at line 2")


def test_too_large_body_is_413_by_its_class(app, client: FlaskClient) -> None:
    app.config["MAX_VALIDATE_TRIPLES"] = 1
    body = b"<urn:a> <urn:b> <urn:c> .\n<urn:a> <urn:b> <urn:d> .\n"
    response = client.post("/api/validate", data=body, content_type="application/n-triples")
    assert response.status_code == 413
    assert response.get_json()["type"] == PROBLEMS + "too-large-to-validate"


def test_bad_rows_come_back_as_a_list(client: FlaskClient) -> None:
    body = f"{HEADER}\ns1,yes,maybe,yes,yes,yes\ns2,yes,yes,perhaps,yes,yes\n".encode()
    response = client.post("/api/validate", data=body, content_type="text/csv")
    assert response.status_code == 422
    problem = response.get_json()
    assert [(e["source"], e["line"]) for e in problem["errors"]] == [("request body", 2), ("request body", 3)]


def test_a_remote_store_failure_shows_no_remote_detail(failing_endpoint: str, store_dir: Path) -> None:  # noqa: F811
    """The endpoint's error page (stack traces, its paths) is logged, never sent to the client."""
    app = create_app({"STORE_DIR": str(store_dir), "ENDPOINT": failing_endpoint + "/fail500/query"})
    try:
        response = app.test_client().get("/sparql", query_string={"query": "ASK {}"})
    finally:
        app.extensions["concord"].close()
    assert response.status_code == 503 and response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["type"] == PROBLEMS + "store-error"
    assert ANSWERS["/fail500"][1] not in response.get_data(as_text=True)
    assert failing_endpoint not in response.get_data(as_text=True)
    assert "source" not in problem
