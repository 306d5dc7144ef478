"""``/api/classify`` and ``/api/validate``: the command line's answers over HTTP."""

from __future__ import annotations

import io
import json

from flask.testing import FlaskClient

from concord_kg.classify import classify_file

COLUMNS = (
    "id",
    "access_to_specialist_centre",
    "lives_near_specialist_centre",
    "can_travel",
    "can_coordinate_own_care",
    "clear_who_to_see",
)
ROWS = [
    ("amira", "yes", "yes", "yes", "yes", "yes"),
    ("ben", "yes", "yes", "yes", "no", "yes"),
    ("cara", "no", "no", "no", "no", "no"),
]


def test_classify_matches_cli_json(client: FlaskClient, tmp_path) -> None:
    items = [dict(zip(COLUMNS, row, strict=True)) for row in ROWS]
    response = client.post("/api/classify", json=items)
    assert response.status_code == 200
    path = tmp_path / "s.csv"
    path.write_text(",".join(COLUMNS) + "\n" + "\n".join(",".join(r) for r in ROWS) + "\n", encoding="utf-8")
    expected = io.StringIO()
    classify_file(path, fmt="json", stdout=expected)
    assert response.get_json() == json.loads(expected.getvalue())


def test_classify_accepts_booleans(client: FlaskClient) -> None:
    item = {"id": "x", **dict.fromkeys(COLUMNS[1:], True)}
    response = client.post("/api/classify", json=[item])
    assert response.status_code == 200 and response.get_json()[0]["model"]


def test_classify_lists_every_error_as_422(client: FlaskClient) -> None:
    good = dict(zip(COLUMNS, ROWS[0], strict=True))
    bad = {**good, "id": "b", "can_travel": "maybe", "clear_who_to_see": ""}
    worse = {**good, "id": "b", "access_to_specialist_centre": "perhaps"}
    response = client.post("/api/classify", json=[good, bad, worse])
    assert response.status_code == 422
    body = response.get_json()
    assert response.mimetype == "application/problem+json"
    details = [(e["source"], e["detail"]) for e in body["errors"]]
    accepted = (
        "(accepted: yes/y/true/1, no/n/false/0; "
        "with --allow-partial also blank/NA/N/A/unknown/don't know/not known/?/-)"
    )
    assert ("item 1", f"column can_travel: 'maybe' is not one of yes/no {accepted}") in details
    assert any(s == "item 1" and "clear_who_to_see" in d for s, d in details)
    assert any(s == "item 2" and "duplicate id" in d for s, d in details)
    assert any(s == "item 2" and "perhaps" in d for s, d in details)


def test_classify_partial(client: FlaskClient) -> None:
    item = dict(zip(COLUMNS, ("p", "yes", "", "", "", ""), strict=True))
    assert client.post("/api/classify", json=[item]).status_code == 422
    response = client.post("/api/classify?allow_partial=true", json=[item])
    assert response.status_code == 200 and response.get_json()[0]["candidates"]


def test_classify_needs_a_json_array(client: FlaskClient) -> None:
    response = client.post("/api/classify", json={"id": "x"})
    assert response.status_code == 400 and response.mimetype == "application/problem+json"


def test_validate_turtle_report(client: FlaskClient) -> None:
    body = b"<urn:a> a <https://w3id.org/concord-kg/Scenario> ."
    response = client.post("/api/validate?shapes=scenario", data=body, content_type="text/turtle")
    assert response.status_code == 200
    report = response.get_json()
    assert report["conforms"] is False and report["counts"]["Violation"] >= 5
    assert {"severity", "focus", "path", "message"} <= set(report["results"][0])


def test_validate_csv_scenarios(client: FlaskClient) -> None:
    body = (",".join(COLUMNS) + "\n" + ",".join(ROWS[0]) + "\n").encode()
    response = client.post("/api/validate", data=body, content_type="text/csv")
    assert response.status_code == 200 and response.get_json()["conforms"] is True


def test_validate_bad_turtle_is_400(client: FlaskClient) -> None:
    response = client.post("/api/validate", data=b"<urn:a> a ", content_type="text/turtle")
    assert response.status_code == 400 and response.mimetype == "application/problem+json"


def test_validate_unknown_shapes_and_media_type(client: FlaskClient) -> None:
    assert client.post("/api/validate?shapes=nope", data=b"", content_type="text/turtle").status_code == 400
    assert client.post("/api/validate", data=b"x", content_type="image/png").status_code == 415


def test_validate_refuses_json_ld_with_a_remote_context(client: FlaskClient, listener) -> None:
    for context in (f"http://127.0.0.1:{listener.port}/ctx.jsonld", [f"http://127.0.0.1:{listener.port}/c"]):
        body = json.dumps({"@context": context, "@id": "urn:s", "@type": "Scenario"})
        response = client.post(
            "/api/validate?shapes=scenario", data=body, headers={"Content-Type": "application/ld+json"}
        )
        assert response.status_code == 400, response.get_json()
        assert "not fetched" in response.get_json()["detail"]
    assert listener.connections == 0


def test_validate_json_ld_with_an_inline_context(client: FlaskClient) -> None:
    body = json.dumps(
        {
            "@context": {"ckg": "https://w3id.org/concord-kg/"},
            "@id": "urn:s",
            "@type": "ckg:Scenario",
            "ckg:hasSpecialistCentreAccess": {"@id": "ckg:TravelAbilityNo"},
        }
    )
    response = client.post(
        "/api/validate?shapes=scenario", data=body, headers={"Content-Type": "application/ld+json"}
    )
    assert response.status_code == 200
    assert response.get_json()["conforms"] is False


def test_validate_refuses_data_over_the_triple_limit(app, client: FlaskClient) -> None:
    app.config["MAX_VALIDATE_TRIPLES"] = 10
    rdf_type = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
    lines = "".join(f"<urn:s{n}> {rdf_type} <https://w3id.org/concord-kg/Scenario> .\n" for n in range(11))
    response = client.post("/api/validate", data=lines, headers={"Content-Type": "application/n-triples"})
    assert response.status_code == 413
    assert "at most 10" in response.get_json()["detail"]
