"""The installed `concord-kg` script runs as a user would run it (one subprocess per command)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import SCRIPT

EXAMPLES = Path(__file__).parents[2] / "examples"
#: Scenario tables classify must refuse, with the errors they give (tests/data/scenarios/README.md).
BAD_TABLES = Path(__file__).parents[1] / "data" / "scenarios" / "invalid"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(SCRIPT), *args], capture_output=True, text=True, timeout=300, check=False)


def test_version_and_help() -> None:
    assert run("--version").stdout.startswith("concord-kg, version ")
    help_text = run("--help").stdout
    for command in ("build", "check", "classify", "validate"):
        assert command in help_text


def test_build_writes_every_artefact(tmp_path: Path) -> None:
    result = run("build", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    for name in (
        "concord-kg.ttl",
        "concord-kg.owl",
        "concord-kg.jsonld",
        "concord-kg-skos.ttl",
        "docs/index.html",
    ):
        assert (tmp_path / name).stat().st_size > 1000, name


@pytest.mark.reasoner
def test_check_passes_and_reports_each_part() -> None:
    result = run("check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 violation(s)" in result.stdout
    assert "HermiT: consistent, 0 unsatisfiable" in result.stdout
    assert result.stdout.rstrip().splitlines()[-2] == "PASS"


def test_check_exits_1_on_a_broken_ontology(tmp_path: Path) -> None:
    import shutil

    from concord_kg.resources import ontology_dir

    broken = tmp_path / "ontology"
    shutil.copytree(ontology_dir(), broken)
    path = broken / "taxonomy.ttl"
    path.write_text(
        path.read_text(encoding="utf-8").replace('skos:notation "D3.2.2"', 'skos:notation "D3.2.1"')
    )
    result = run("check", "--no-reasoner", "--ontology", str(broken))
    assert result.returncode == 1
    assert "ckg:ClinicalLead" in result.stdout and "D3.2.1" in result.stdout


def test_classify_the_example_scenarios() -> None:
    result = run("classify", str(EXAMPLES / "scenarios.csv"))
    assert result.returncode == 0, result.stderr
    rows = result.stdout.splitlines()
    assert rows[0] == "id,model,label,iri,description"  # the input's extra column is kept
    assert len(rows) == 13
    assert {row.split(",")[1] for row in rows[1:]} == {f"M{n}" for n in range(1, 11)}
    assert "classified 12 scenario(s)" in result.stderr


def test_bad_input_is_one_line_per_error_and_exit_2() -> None:
    src = BAD_TABLES / "several-errors-001.csv"
    result = run("classify", str(src))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr == src.with_suffix(".expected").read_text(encoding="utf-8").format(file=src)
