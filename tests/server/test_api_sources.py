"""The API and the harmonise page read requests in memory (no temporary files); errors come as raised."""

from __future__ import annotations

import io
import re
import tempfile
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from concord_kg.decision import load_decision_model
from concord_kg.ontology import load_ontology
from concord_kg.server.api import validate_body

ROOT = Path(__file__).parent.parent.parent
#: The id column, then one column per situation question, as the ontology names them.
COLUMNS = ("id", *(variable.column for variable in load_decision_model(load_ontology()).variables))


def _item(ident: str, answer: str = "yes") -> dict[str, str]:
    return {"id": ident, **dict.fromkeys(COLUMNS[1:], answer)}


@pytest.fixture
def no_temporary_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point the temporary folder at a path that does not exist: any temporary file fails."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "missing"))


def test_classify_needs_no_temporary_file(client: FlaskClient, no_temporary_folder: None) -> None:
    response = client.post("/api/classify", json=[_item("a"), _item("b", "no")])
    assert response.status_code == 200, response.get_data(as_text=True)
    assert [r["model"] for r in response.get_json()] == ["M1", "M10"]


def test_validate_csv_needs_no_temporary_file(no_temporary_folder: None) -> None:
    body = (",".join(COLUMNS) + "\n" + ",".join(_item("a").values()) + "\n").encode()
    assert validate_body(body, "text/csv", "scenario", 1000)["conforms"] is True
    registry = (ROOT / "examples" / "registry.csv").read_bytes()
    assert validate_body(registry, "text/csv", "registry", 100_000)["conforms"] is True


def test_classify_counts_the_errors_past_the_listed_ones(client: FlaskClient) -> None:
    """Every error is counted, not only the listed ones (the errors reach the client as raised)."""
    items = [_item(f"p{n}", "maybe") for n in range(60)]
    response = client.post("/api/classify", json=items)
    assert response.status_code == 422
    body = response.get_json()
    assert len(body["errors"]) == 50
    assert body["detail"].endswith("… and 250 more errors (60 rows affected)")
    assert body["errors"][0]["source"] == "item 0" and body["errors"][-1]["source"] == "item 9"
    assert all("line" not in error or error["line"] is None for error in body["errors"])


def test_classify_blank_hint_names_the_query_parameter(client: FlaskClient) -> None:
    response = client.post("/api/classify", json=[_item("a") | {"can_travel": ""}])
    assert response.status_code == 422
    detail = response.get_json()["errors"][0]["detail"]
    assert detail == "column can_travel: blank value (use ?allow_partial=true to accept unknowns)"


def test_classify_reads_the_union_of_the_objects_keys(client: FlaskClient) -> None:
    first, second = _item("a"), _item("b") | {"note": "kept"}
    response = client.post("/api/classify", json=[first, second])
    assert response.status_code == 200
    assert [r.get("extra") for r in response.get_json()] == [{"note": ""}, {"note": "kept"}]


def test_validate_csv_errors_name_the_request_body(client: FlaskClient) -> None:
    body = (",".join(COLUMNS) + "\n" + ",".join(_item("a", "maybe").values()) + "\n").encode()
    response = client.post("/api/validate", data=body, content_type="text/csv")
    assert response.status_code == 422
    details = response.get_json()["detail"].splitlines()
    assert len(details) == 5 and all(d.startswith("request body:2: column ") for d in details)


def _harmonise(client: FlaskClient, data: bytes, name: str, **fields: str) -> TestResponse:
    form = {"file": (io.BytesIO(data), name), **fields}
    return client.post("/harmonise", data=form, content_type="multipart/form-data")


def test_harmonise_page_needs_no_temporary_file(client: FlaskClient, no_temporary_folder: None) -> None:
    dataset = (ROOT / "examples" / "dataset.csv").read_bytes()
    page = _harmonise(client, dataset, "survey.csv", column="who_coordinates_your_care")
    assert page.status_code == 200, page.get_data(as_text=True)
    packed = re.search(r'name="data" value="([^"]+)"', page.get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    form = {
        "data": packed,
        "filename": "survey.csv",
        "column": "who_coordinates_your_care",
        "format": "dataset",
    }
    download = client.post("/harmonise/download", data=form)
    assert download.status_code == 200
    header = download.get_data(as_text=True).splitlines()[0]
    assert "who_coordinates_your_care,who_coordinates_your_care_notation" in header


def test_harmonise_page_errors_name_the_uploaded_file(client: FlaskClient) -> None:
    page = _harmonise(client, b"role\ncaf\xe9\n", "survey.csv", column="role")
    assert page.status_code == 400
    text = page.get_data(as_text=True)
    assert "survey.csv:2" in text and tempfile.gettempdir() not in text


def _registry(
    client: FlaskClient, extract: tuple[bytes, str], answers: tuple[bytes, str] | None = None
) -> TestResponse:
    form = {"extract": (io.BytesIO(extract[0]), extract[1])}
    if answers is not None:
        form["answers"] = (io.BytesIO(answers[0]), answers[1])
    return client.post("/registry", data=form, content_type="multipart/form-data")


def test_registry_page_needs_no_temporary_file(client: FlaskClient, no_temporary_folder: None) -> None:
    fhir = ROOT / "examples" / "fhir"
    extract = ((fhir / "registry-phenopackets.json").read_bytes(), "cohort.json")
    response = _registry(client, extract, ((fhir / "registry-answers.csv").read_bytes(), "answers.csv"))
    assert response.status_code == 200 and "<h2>20 patients</h2>" in response.get_data(as_text=True)


def test_registry_page_errors_name_the_uploaded_answers(client: FlaskClient) -> None:
    fhir = ROOT / "examples" / "fhir"
    answers = (fhir / "registry-answers.csv").read_bytes().replace(b",yes,", b",maybe,", 1)
    extract = ((fhir / "registry-phenopackets.json").read_bytes(), "cohort.json")
    response = _registry(client, extract, (answers, "my answers.csv"))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "my answers.csv:2: column " in page and tempfile.gettempdir() not in page
