"""The /harmonise review page through the Flask test client: forms, limits, downloads, nothing kept."""

from __future__ import annotations

import base64
import csv
import io
import random
import re
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent.parent
DATASET = ROOT / "examples" / "dataset.csv"
COLUMN = "who_coordinates_your_care"


def _upload(client, data: bytes, name: str = "survey.csv", **fields):
    form = {"file": (io.BytesIO(data), name), **fields}
    return client.post("/harmonise", data=form, content_type="multipart/form-data")


def _packed(html: str) -> str:
    return re.search(r'name="data" value="([^"]+)"', html).group(1)


def _leftovers() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob("concord-harmonise-*")}


def test_upload_form_is_a_plain_html_form(client):
    page = client.get("/harmonise")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<form action="/harmonise" method="post" enctype="multipart/form-data"' in html
    assert 'name="domain" value="D3"' in html
    assert "<script" not in html


def test_without_a_column_the_header_is_offered(client):
    page = _upload(client, DATASET.read_bytes())
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f"<option>{COLUMN}</option>" in html and 'name="data"' in html


def test_unknown_column_is_422_with_the_choice_again(client):
    page = _upload(client, DATASET.read_bytes(), column="nope")
    assert page.status_code == 422
    assert "The file has no column “nope”" in page.get_data(as_text=True)


def test_review_lists_every_distinct_value_with_count_proposal_confidence_alternatives(client):
    before = _leftovers()
    page = _upload(client, DATASET.read_bytes(), column=COLUMN, domain="D3")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    rows = re.findall(r'<tr id="v(\d+)" data-value="([^"]*)">', html)
    assert len(rows) == 18
    assert 'data-value="Key worker"' in html
    assert html.count('class="alternatives"') == 18
    assert 'list="terms"' in html and "<datalist" in html
    assert _leftovers() == before  # the upload is not kept


def test_upload_over_the_limit_is_413(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    page = _upload(client, b"a,b\n" + b"x,y\n" * 40_000, column="a")
    assert page.status_code == 413
    assert page.mimetype == "application/problem+json"


def test_upload_too_large_to_carry_in_the_review_form_is_413_with_a_reason(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    # Under the request limit, but barely compressible: once packed into the review form it would not fit.
    noise = base64.b64encode(random.Random(1).randbytes(36_000))  # noqa: S311 - test data, not secrets
    rows = b"\n".join(b"r," + noise[at : at + 60] for at in range(0, len(noise), 60))
    assert len(rows) < 60 * 1024
    page = _upload(client, b"a,b\n" + rows, column="a")
    assert page.status_code == 413
    assert "too large to review here" in page.get_json()["detail"]


def test_damaged_carried_data_is_a_400(client):
    page = client.post("/harmonise/download", data={"data": "!!!", "column": COLUMN, "format": "sssom"})
    assert page.status_code == 400
    assert "upload the file again" in page.get_json()["detail"]


def test_unknown_changed_term_is_a_400(client):
    html = _upload(client, DATASET.read_bytes(), column=COLUMN).get_data(as_text=True)
    form = {"data": _packed(html), "filename": "survey.csv", "column": COLUMN, "format": "sssom"}
    page = client.post("/harmonise/download", data={**form, "d0": "change", "t0": "D99 Nothing"})
    assert page.status_code == 400
    assert "no term 'D99 Nothing'" in page.get_json()["detail"]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_dataset_download_follows_the_upload_format(client, suffix):
    from openpyxl import Workbook, load_workbook

    if suffix == ".xlsx":
        book = Workbook()
        for row in csv.reader(DATASET.open(encoding="utf-8")):
            book.active.append(row)
        buffer = io.BytesIO()
        book.save(buffer)
        data = buffer.getvalue()
    else:
        data = DATASET.read_bytes()
    html = _upload(client, data, name=f"survey{suffix}", column=COLUMN).get_data(as_text=True)
    form = {"data": _packed(html), "filename": f"survey{suffix}", "column": COLUMN, "format": "dataset"}
    page = client.post("/harmonise/download", data=form)
    assert page.status_code == 200
    assert f'filename="survey-harmonised{suffix}"' in page.headers["Content-Disposition"]
    if suffix == ".xlsx":
        assert page.data[:2] == b"PK"
        rows = [
            list(r) for r in load_workbook(io.BytesIO(page.data)).worksheets[0].iter_rows(values_only=True)
        ]
    else:
        rows = list(csv.reader(io.StringIO(page.get_data(as_text=True))))
    at = rows[0].index(COLUMN)
    assert rows[0][at + 1 : at + 4] == [f"{COLUMN}_notation", f"{COLUMN}_iri", f"{COLUMN}_label"]
    assert len(rows) == 21


def test_a_crafted_review_field_cannot_balloon(client) -> None:
    """The carried dataset is inflated only up to what an upload may be (a zip bomb is a 413)."""
    import base64
    import zlib

    bomb = base64.b64encode(zlib.compress(b"a" * (50 * 1024 * 1024), 9)).decode()
    response = client.post("/harmonise", data={"data": bomb, "filename": "x.csv", "column": "a"})
    assert response.status_code == 413
    assert "larger than an upload may be" in response.get_data(as_text=True)
