"""Issue 13: bounded errors, Excel-style tables, answers people write, validate, readable files, query, API.

Bad-input cases are files under ``tests/data/scenarios/`` and ``tests/data/validate/``, each with the
``.expected`` stderr lines (``{file}`` stands for the path; a ``.args`` file holds extra options).
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from markupsafe import escape
from openpyxl import Workbook
from rdflib.namespace import OWL, RDF, SKOS

import concord_kg
from concord_kg.build import build_release
from concord_kg.classify import classify_file
from concord_kg.cli import main
from concord_kg.errors import MAX_LISTED_ERRORS, InputErrors
from concord_kg.files import write_atomic
from concord_kg.ontology import CKG, load_ontology
from tests.conftest import SCRIPT

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
SCENARIOS = DATA / "scenarios"
HEADER = (
    "id,access_to_specialist_centre,lives_near_specialist_centre,can_travel,"
    "can_coordinate_own_care,clear_who_to_see"
)


def _models(csv_text: str) -> dict[str, str]:
    return {row["id"]: row["model"] for row in csv.DictReader(io.StringIO(csv_text))}


@pytest.fixture(scope="module")
def reference() -> dict[str, str]:
    """The models of the reference scenarios, which every valid variant must reproduce."""
    result = CliRunner().invoke(main, ["classify", str(SCENARIOS / "reference.csv")])
    assert result.exit_code == 0, result.stderr
    return _models(result.stdout)


# --- 1. Bounded error output -------------------------------------------------------------------


def _all_invalid(path: Path, rows: int) -> Path:
    with path.open("w", encoding="utf-8") as handle:
        handle.write(HEADER + "\n")
        for n in range(rows):
            handle.write(f"s{n},maybe,perhaps,sometimes,often,never\n")
    return path


def test_errors_past_fifty_are_counted_not_listed(tmp_path: Path) -> None:
    src = _all_invalid(tmp_path / "bad.csv", 3000)
    result = CliRunner().invoke(main, ["classify", str(src), "-o", str(tmp_path / "out.csv")])
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert len(lines) == MAX_LISTED_ERRORS + 1 == 51
    assert all(line.startswith(f"{src}:") for line in lines[:-1])
    assert lines[-1] == f"… and {3000 * 5 - 50} more errors (3000 rows affected)"
    assert not (tmp_path / "out.csv").exists()


def test_the_reader_keeps_only_the_listed_errors(tmp_path: Path) -> None:
    """The exception holds 50 errors and counts, however many rows are bad (errors are not accumulated)."""
    from concord_kg.decision import load_decision_model
    from concord_kg.scenarios import read_csv_scenarios

    decision = load_decision_model(load_ontology())
    src = _all_invalid(tmp_path / "bad.csv", 20_000)
    with pytest.raises(InputErrors) as caught:
        list(read_csv_scenarios(src, decision))
    assert len(caught.value.errors) == MAX_LISTED_ERRORS
    assert (caught.value.total, caught.value.rows) == (100_000, 20_000)
    assert len(str(caught.value).splitlines()) == MAX_LISTED_ERRORS + 1


def test_duplicates_and_wrong_widths_past_the_limit_are_counted(tmp_path: Path) -> None:
    src = tmp_path / "mixed.csv"
    body = "".join(f"s{n},yes,yes,yes,yes,maybe\n" for n in range(60))
    src.write_text(HEADER + "\n" + body + "s1,yes,yes,yes,yes,yes\ns70,yes\n", encoding="utf-8")
    with pytest.raises(InputErrors) as caught:
        classify_file(src, tmp_path / "out.csv")
    # 60 bad values, one duplicate id, one short row.
    assert (caught.value.total, caught.value.rows) == (62, 62)


# --- 2. Excel-style files ----------------------------------------------------------------------


def _valid_files() -> list[Path]:
    return sorted((SCENARIOS / "valid").iterdir())


@pytest.mark.parametrize("path", _valid_files(), ids=lambda p: p.name)
def test_delimiters_bom_and_spellings_are_read(path: Path, reference: dict[str, str]) -> None:
    result = CliRunner().invoke(main, ["classify", str(path)])
    assert result.exit_code == 0, result.stderr
    assert _models(result.stdout) == reference


def _invalid_files() -> list[Path]:
    return sorted((SCENARIOS / "invalid").glob("*.csv"))


@pytest.mark.parametrize("path", _invalid_files(), ids=lambda p: p.name)
def test_bad_tables_say_what_and_where(path: Path, tmp_path: Path) -> None:
    args_file = path.with_suffix(".args")
    args = args_file.read_text(encoding="utf-8").splitlines() if args_file.exists() else []
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(main, ["classify", str(path), "-o", str(out), *args])
    assert result.exit_code == 2
    expected = path.with_suffix(".expected").read_text(encoding="utf-8").format(file=path)
    assert result.stderr == expected
    assert not out.exists()
    assert not list(tmp_path.glob("*.partial"))


def test_a_cp1252_export_reads_with_its_encoding(reference: dict[str, str]) -> None:
    path = SCENARIOS / "invalid" / "encoding-cp1252-001.csv"
    result = CliRunner().invoke(main, ["classify", str(path), "--encoding", "cp1252", "--format", "json"])
    assert result.exit_code == 0, result.stderr
    assert [r["extra"]["description"] for r in json.loads(result.stdout)] == ["José", "Marón"]


def _xlsx(path: Path, rows: list[list[object]], *, sheet: str = "Sheet1") -> Path:
    book = Workbook()
    book.active.title = sheet
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


@pytest.fixture
def scenarios_xlsx(tmp_path: Path) -> Path:
    with (SCENARIOS / "reference.csv").open(encoding="utf-8", newline="") as handle:
        rows: list[list[object]] = list(csv.reader(handle))
    # Excel keeps 1/0 as numbers and TRUE as a boolean; blank trailing cells are absent.
    rows[1][1:6] = [1, 1, 1, 1, True]
    return _xlsx(tmp_path / "scenarios.xlsx", rows, sheet="Answers")


def test_classify_reads_xlsx(scenarios_xlsx: Path, reference: dict[str, str]) -> None:
    result = CliRunner().invoke(main, ["classify", str(scenarios_xlsx)])
    assert result.exit_code == 0, result.stderr
    assert _models(result.stdout) == reference
    missing = CliRunner().invoke(main, ["classify", str(scenarios_xlsx), "--sheet", "Other"])
    assert missing.exit_code == 2 and "no worksheet 'Other' (sheets: Answers)" in missing.stderr


def test_link_and_harmonise_read_xlsx(tmp_path: Path) -> None:
    with (ROOT / "examples" / "registry.csv").open(encoding="utf-8", newline="") as handle:
        registry = _xlsx(tmp_path / "registry.xlsx", list(csv.reader(handle)))
    from_csv = CliRunner().invoke(main, ["link", str(ROOT / "examples" / "registry.csv")])
    from_xlsx = CliRunner().invoke(main, ["link", str(registry)])
    assert from_xlsx.exit_code == 0, from_xlsx.stderr
    assert from_xlsx.stdout == from_csv.stdout
    dataset = _xlsx(tmp_path / "d.xlsx", [["who"], ["key worker"], ["hub and spoke"]])
    result = CliRunner().invoke(main, ["harmonise", str(dataset), "--column", "who"])
    assert result.exit_code == 0, result.stderr
    assert "key worker" in result.stdout


def test_harmonise_sniffs_a_semicolon_dataset(tmp_path: Path) -> None:
    src = tmp_path / "d.csv"
    src.write_text("id;who\n1;key worker\n2;care navigator\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["harmonise", str(src), "--column", "who"])
    assert result.exit_code == 0, result.stderr
    assert "care navigator" in result.stdout


# --- 3. Answers people write -------------------------------------------------------------------


def test_unknown_markers_are_unknown_under_allow_partial() -> None:
    path = SCENARIOS / "partial" / "unknown-markers-001.csv"
    result = CliRunner().invoke(main, ["classify", str(path), "--allow-partial", "--format", "json"])
    assert result.exit_code == 0, result.stderr
    results = {r["id"]: r for r in json.loads(result.stdout)}
    assert results["p4"]["model"] == "M1"
    # p1 leaves two questions open: the models still possible are listed, none is chosen.
    assert results["p1"]["model"] is None and len(results["p1"]["candidates"]) > 1


def test_the_accepted_spellings_are_kept_in_one_place() -> None:
    from concord_kg import answers

    help_text = " ".join(CliRunner().invoke(main, ["classify", "--help"]).stdout.split())
    assert "1/0" in help_text and "don't know" in help_text
    assert answers.read_answer("1") == "yes" and answers.read_answer("0") == "no"


# --- 4. validate -------------------------------------------------------------------------------


def test_validate_checks_a_scenario_csv_as_classify_does() -> None:
    result = CliRunner().invoke(main, ["validate", str(ROOT / "examples" / "scenarios.csv")])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == "conforms"
    bad = SCENARIOS / "invalid" / "value-not-an-answer-001.csv"
    result = CliRunner().invoke(main, ["validate", str(bad)])
    assert result.exit_code == 2
    assert result.stderr == (bad.with_suffix(".expected")).read_text(encoding="utf-8").format(file=bad)


def test_validate_checks_a_registry_csv() -> None:
    result = CliRunner().invoke(
        main, ["validate", str(ROOT / "examples" / "registry.csv"), "--shapes", "registry"]
    )
    assert result.exit_code == 0, result.stderr


@pytest.mark.parametrize(
    "path",
    sorted(p for p in (DATA / "validate" / "invalid").iterdir() if p.suffix != ".expected"),
    ids=lambda p: p.name,
)
def test_validate_names_what_is_wrong_with_unreadable_rdf(path: Path) -> None:
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 2
    expected = path.with_suffix(".expected").read_text(encoding="utf-8").format(file=path)
    assert result.stderr == expected
    assert "Traceback" not in result.output and "b'" not in result.stderr


def test_validate_the_built_ontology_with_its_shapes_conforms(tmp_path: Path) -> None:
    written = build_release(tmp_path / "dist")
    result = CliRunner().invoke(main, ["validate", str(written["turtle"]), "--shapes", "ontology"])
    assert "Violation" not in result.stdout
    assert result.exit_code == 0, result.stdout


# --- 6. Files others can read ------------------------------------------------------------------


@pytest.fixture
def umask_022() -> Iterator[None]:
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def test_written_files_respect_the_umask(tmp_path: Path, umask_022: None) -> None:
    write_atomic(tmp_path / "plain.txt", "x")
    classify_file(ROOT / "examples" / "scenarios.csv", tmp_path / "out" / "classified.csv")
    written = build_release(tmp_path / "dist")
    paths = [tmp_path / "plain.txt", tmp_path / "out" / "classified.csv", *written.values()]
    assert {p.name: oct(p.stat().st_mode & 0o777) for p in paths} == {p.name: "0o644" for p in paths}
    os.umask(0o077)
    write_atomic(tmp_path / "private.txt", "x")
    assert (tmp_path / "private.txt").stat().st_mode & 0o777 == 0o600


# --- 7. query ----------------------------------------------------------------------------------


def test_query_data_takes_the_csv_that_load_takes() -> None:
    result = CliRunner().invoke(
        main, ["query", "scenarios-per-model", "--data", str(ROOT / "examples" / "scenarios.csv")]
    )
    assert result.exit_code == 0, result.stderr
    counts = {row["notation"]: int(row["scenarios"]) for row in csv.DictReader(io.StringIO(result.stdout))}
    assert sum(counts.values()) == 12


@pytest.mark.parametrize("spelling", ["yes", "Y", "1", "true", "ckg:SpecialistCentreAccessYes"])
def test_answer_parameters_read_yes_no_spellings(spelling: str) -> None:
    result = CliRunner().invoke(main, ["query", "models-for-situation", "-p", f"access={spelling}"])
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["notation"] for r in rows] == ["M4"]


def test_a_mistyped_answer_parameter_is_refused_with_the_allowed_values() -> None:
    result = CliRunner().invoke(main, ["query", "models-for-situation", "-p", "access=maybe"])
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "saved query 'models-for-situation': 'maybe' is not an answer for 'access' (give yes/y/true/1, "
        "no/n/false/0, or ckg:SpecialistCentreAccessYes, ckg:SpecialistCentreAccessNo)"
    )


# --- 8. Small things ---------------------------------------------------------------------------


def test_classify_keeps_extra_columns(tmp_path: Path) -> None:
    src = ROOT / "examples" / "scenarios.csv"
    result = CliRunner().invoke(main, ["classify", str(src)])
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    with src.open(encoding="utf-8", newline="") as handle:
        descriptions = [row["description"] for row in csv.DictReader(handle)]
    assert [r["description"] for r in rows] == descriptions


@pytest.mark.parametrize("command", ["classify", "link", "harmonise"])
def test_out_help_says_folders_are_created(command: str) -> None:
    help_text = " ".join(CliRunner().invoke(main, [command, "--help"]).stdout.split())
    assert "missing parent folders are created" in help_text


def test_pellet_is_not_offered() -> None:
    result = CliRunner().invoke(
        main, ["classify", str(ROOT / "examples" / "scenarios.csv"), "--engine", "pellet"]
    )
    assert result.exit_code == 2
    assert "pellet" not in CliRunner().invoke(main, ["classify", "--help"]).stdout.lower()
    assert "pellet" not in (ROOT / "README.md").read_text(encoding="utf-8").lower()


# --- 9. README ---------------------------------------------------------------------------------


def _sh_blocks(text: str) -> list[str]:
    return [b.strip() for b in re.findall(r"```sh\n(.*?)```", text, flags=re.S)]


def test_readme_first_commands_serve_with_runtime_deps_then_test() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first, second = _sh_blocks(readme)[:2]
    assert first == "python3 -m venv .venv && .venv/bin/pip install -e . && .venv/bin/concord-kg serve"
    assert second == ".venv/bin/pip install -e '.[test]' && .venv/bin/pytest"
    ci_lines = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert second in ci_lines


def test_readme_commands_name_the_venv_and_the_built_docs() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for block in _sh_blocks(readme):
        for line in block.splitlines():
            words = shlex.split(line, comments=True)
            assert not words or words[0] != "concord-kg", line
    assert re.search(r"(?<!dist/)docs/index\.html", readme) is None
    assert "dist/docs/index.html" in readme and "dist/docs/vocabulary.html" in readme


def test_runtime_dependencies_serve_without_the_test_extra() -> None:
    """``serve`` and the commands import nothing from the test extra (pandas, sssom, playwright...)."""
    code = (
        "import sys, concord_kg.cli, concord_kg.service_cli, concord_kg.server, concord_kg.api\n"
        "from concord_kg.server import create_app\n"
        "bad = sorted(m for m in ('pandas', 'sssom', 'playwright', 'pytest', 'linkml') if m in sys.modules)\n"
        "print(bad)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert done.stdout.strip() == "[]"


# --- 10. Python API ----------------------------------------------------------------------------


def test_the_package_exposes_the_notebook_jobs() -> None:
    assert set(concord_kg.__all__) >= {
        "load_ontology",
        "classify_rows",
        "classify_dataframe",
        "harmonise_column",
        "link_registry",
        "run_query",
    }
    for name in concord_kg.__all__:
        assert getattr(concord_kg, name) is not None


def test_classify_rows_reports_bad_rows_like_a_table() -> None:
    rows = [{"id": "p1", "access_to_specialist_centre": "maybe"}]
    with pytest.raises(InputErrors, match="column lives_near_specialist_centre: missing from the header"):
        concord_kg.classify_rows(rows)


def test_the_vocabulary_guide_lists_every_property_with_its_definition(tmp_path: Path) -> None:
    written = build_release(tmp_path / "dist")
    assert written["vocabulary"] == tmp_path / "dist" / "docs" / "vocabulary.html"
    html = written["vocabulary"].read_text(encoding="utf-8")
    graph = load_ontology()
    properties = [
        p
        for kind in (OWL.ObjectProperty, OWL.AnnotationProperty, OWL.DatatypeProperty)
        for p in graph.subjects(RDF.type, kind)
        if str(p).startswith(str(CKG))
    ]
    assert CKG.taxonomyLevel in properties
    for prop in properties:
        assert f"ckg:{str(prop).removeprefix(str(CKG))}</code>" in html
        definition = graph.value(prop, SKOS.definition)
        if definition is not None:
            assert str(escape(str(definition))) in html


def test_the_readme_python_section_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    (block,) = re.findall(r"```python\n(.*?)```", readme, flags=re.S)
    monkeypatch.chdir(ROOT)
    exec(compile(block, "README.md", "exec"), {})  # noqa: S102 - the README's own example


# --- 5. serve on a busy port ----------------------------------------------------------------------


def test_serve_on_a_busy_port_says_so_in_one_line(tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [str(SCRIPT), "serve", "--port", str(port), "--store", str(tmp_path / "store")],
            capture_output=True,
            text=True,
            timeout=300,
        )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"port {port} on 127.0.0.1 is already in use (choose another with --port)"
    ]
