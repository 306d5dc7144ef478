"""The /harmonise review page in Chromium: upload, review, change one mapping, download, re-apply it."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: A column name and values with colons, quotes and non-ASCII letters.
COLUMN = 'Q3: who "coordinates" your care? — équipe'
VALUES = [
    "Key worker",
    "Key worker",
    "Key worker",
    "GP",
    "GP",
    'Nurse "Sue": co-ordinator',
    "Médecin généraliste (GP)",
    "Patient charity",
    "Video consultation (Attend Anywhere)",
    "Chest pain",
    "N/A",
]


def _dataset(folder: Path) -> Path:
    path = folder / "survey été.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["respondent", COLUMN])
        for n, value in enumerate(VALUES):
            writer.writerow([f"R{n:02d}", value])
    return path


def _row(page: Page, value: str):
    return (
        page.locator(f'tr[data-value="{value}"]') if '"' not in value else page.locator("tr", has_text=value)
    )


def _review(page: Page, dataset: Path) -> dict[str, str]:
    """Upload, pick the column, change one mapping and reject one; return the expected notation per value."""
    page.goto("/harmonise")
    page.locator("#file").set_input_files(str(dataset))
    page.get_by_role("button", name="Map values").click()
    page.locator("#column").select_option(COLUMN)
    page.get_by_role("button", name="Map values").click()
    expect(page.locator("#summary")).to_contain_text("8 distinct value(s) in 11 row(s)")
    key_worker = _row(page, "Key worker")
    expect(key_worker.locator(".proposal")).to_contain_text("D3.2.1.2")
    expect(key_worker.locator("td").first).to_have_text("3")
    assert key_worker.locator(".confidence").inner_text().strip() != ""
    assert key_worker.locator(".alternatives .notation").count() == 3
    # Change one mapping with the term search box, reject another, accept the rest.
    key_worker.get_by_label("Change to").check()
    key_worker.get_by_label("Term for Key worker").fill("D3.1.2 Point of contact for patients")
    _row(page, "Patient charity").get_by_label("Reject").check()
    expected = {}
    for row in page.locator("tbody tr").all():
        value = row.get_attribute("data-value") or ""
        proposal = row.locator(".proposal .notation")
        expected[value] = proposal.inner_text() if proposal.count() else ""
    expected["Key worker"], expected["Patient charity"] = "D3.1.2", ""
    return expected


def _download(page: Page, button: str, folder: Path) -> Path:
    with page.expect_download() as info:
        page.get_by_role("button", name=button).click()
    download = info.value
    target = folder / download.suggested_filename
    download.save_as(target)
    return target


def _cli(*args: str) -> subprocess.CompletedProcess:
    script = shutil.which("concord-kg", path=str(Path(sys.executable).parent))
    assert script is not None
    return subprocess.run([script, *args], capture_output=True, text=True, check=False, timeout=300)


def test_review_round_trip_and_cli_reapplies_the_reviewed_mappings(
    page_without_js: Page, tmp_path: Path
) -> None:
    dataset = _dataset(tmp_path)
    expected = _review(page_without_js, dataset)
    sssom = _download(page_without_js, "Reviewed mappings (SSSOM)", tmp_path)
    assert sssom.name.endswith("reviewed.sssom.tsv")
    harmonised = _download(page_without_js, "Harmonised dataset (CSV)", tmp_path)
    rows = list(csv.reader(harmonised.open(encoding="utf-8", newline="")))
    assert rows[0] == ["respondent", COLUMN, f"{COLUMN}_notation", f"{COLUMN}_iri", f"{COLUMN}_label"]
    assert {r[1]: r[2] for r in rows[1:]} == expected  # the dataset carries the reviewed answers
    # The same file through the CLI with the reviewed SSSOM: every reviewed decision comes back.
    done = _cli("harmonise", str(dataset), "--column", COLUMN, "--mappings", str(sssom), "--format", "json")
    assert done.returncode == 0, done.stderr
    got = {r["value"]: r["notation"] for r in json.loads(done.stdout)}
    assert got == expected
    assert all(r["match_type"] == "reviewed" for r in json.loads(done.stdout))
    # Without the reviewed mappings the CLI gives its own proposal for the changed value.
    plain = _cli("harmonise", str(dataset), "--column", COLUMN, "--format", "json")
    assert {r["value"]: r["notation"] for r in json.loads(plain.stdout)}["Key worker"] == "D3.2.1.2"


def test_review_page_with_javascript_on(page: Page, tmp_path: Path) -> None:
    expected = _review(page, _dataset(tmp_path))
    sssom = _download(page, "Reviewed mappings (SSSOM)", tmp_path)
    text = sssom.read_text(encoding="utf-8")
    assert "semapv:ManualMappingCuration" in text and "\tNot\t" in text
    assert expected["Key worker"] == "D3.1.2"
