"""The /registry page (cohort chart of an uploaded extract) and mappings on term pages."""

from __future__ import annotations

import io
import json
import tempfile
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from markupsafe import escape

ROOT = Path(__file__).parent.parent.parent
EXAMPLES = ROOT / "examples"
#: Registry extracts that must be refused, with the errors they give (tests/data/registry/README.md).
INVALID = sorted((ROOT / "tests" / "data" / "registry" / "invalid").glob("*.csv"))


def _upload(client: FlaskClient, path: Path, **form: str):
    data = {"extract": (io.BytesIO(path.read_bytes()), path.name), **form}
    return client.post("/registry", data=data, content_type="multipart/form-data")


def _temporary_folders() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob("concord-registry-*")}


def test_form_is_served(client: FlaskClient) -> None:
    response = client.get("/registry")
    assert response.status_code == 200
    assert b'enctype="multipart/form-data"' in response.data and b'name="extract"' in response.data


@pytest.mark.parametrize("name", ["registry.csv", "fhir/registry-bundle.json"])
def test_upload_shows_the_cohort_chart_and_table(client: FlaskClient, name: str) -> None:
    before = _temporary_folders()
    response = _upload(client, EXAMPLES / name)
    assert response.status_code == 200, response.data[:500]
    page = response.get_data(as_text=True)
    assert "<h2>20 patients</h2>" in page
    assert 'src="data:image/svg+xml;base64,' in page
    assert "<td>ORPHA:558</td><td>Marfan syndrome</td>" in page
    assert _temporary_folders() == before  # the upload is not kept


def test_phenopackets_with_answers(client: FlaskClient) -> None:
    data = {
        "extract": (io.BytesIO((EXAMPLES / "fhir" / "registry-phenopackets.json").read_bytes()), "pp.json"),
        "answers": (io.BytesIO((EXAMPLES / "fhir" / "registry-answers.csv").read_bytes()), "answers.csv"),
    }
    response = client.post("/registry", data=data, content_type="multipart/form-data")
    assert response.status_code == 200 and "<h2>20 patients</h2>" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("fmt", "media_type", "magic"), [("svg", "image/svg+xml", b"<?xml"), ("png", "image/png", b"\x89PNG")]
)
def test_chart_alone(client: FlaskClient, fmt: str, media_type: str, magic: bytes) -> None:
    response = _upload(client, EXAMPLES / "registry.csv", format=fmt)
    assert response.status_code == 200
    assert response.mimetype == media_type and response.data.startswith(magic)


@pytest.mark.parametrize("path", INVALID, ids=[p.name for p in INVALID])
def test_bad_extract_lists_every_error_by_the_uploaded_name(client: FlaskClient, path: Path) -> None:
    """Each bad extract of ``tests/data/registry/invalid/`` gives its errors, named by the uploaded file."""
    expected = path.with_suffix(".expected").read_text(encoding="utf-8").format(file="mine.csv").splitlines()
    data = {"extract": (io.BytesIO(path.read_bytes()), "mine.csv")}
    response = client.post("/registry", data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    for line in expected:
        assert str(escape(line)) in page
    assert tempfile.gettempdir() not in page
    svg = client.post(
        "/registry",
        data={"extract": (io.BytesIO(path.read_bytes()), "mine.csv"), "format": "svg"},
        content_type="multipart/form-data",
    )
    assert svg.status_code == 422 and svg.mimetype == "application/problem+json"
    assert [e["source"] for e in svg.get_json()["errors"]] == ["mine.csv"] * len(expected)


def test_missing_or_wrong_file_is_a_client_error(client: FlaskClient) -> None:
    assert client.post("/registry", data={}, content_type="multipart/form-data").status_code == 422
    response = client.post(
        "/registry",
        data={"extract": (io.BytesIO(b"x"), "a.exe"), "format": "svg"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422 and "expected a .csv" in response.get_json()["detail"]


@pytest.mark.parametrize("app_config", [{"MAX_CONTENT_LENGTH": 2048}])
def test_upload_above_the_size_limit_is_413(client: FlaskClient) -> None:
    body = io.BytesIO(b"patient_id,orphacode\n" + b"P,558\n" * 2000)
    response = client.post(
        "/registry", data={"extract": (body, "big.csv")}, content_type="multipart/form-data"
    )
    assert response.status_code == 413


def test_term_page_shows_equivalents_in_other_vocabularies(client: FlaskClient) -> None:
    page = client.get("/term/TelephoneMode", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert "<dt>Equivalent in other vocabularies</dt>" in page
    assert "skos:closeMatch" in page and ">telephone</a>" in page
    assert "http://terminology.hl7.org/CodeSystem/v3-ParticipationMode#PHONE" in page
    turtle = client.get("/term/TelephoneMode", headers={"Accept": "text/turtle"}).get_data(as_text=True)
    assert "v3-ParticipationMode#PHONE" in turtle


def test_search_does_not_offer_other_vocabularies_terms(client: FlaskClient) -> None:
    results = json.loads(client.get("/search?q=telephone").data)["results"]
    assert results and all(r["iri"].startswith("https://w3id.org/concord-kg/") for r in results)
