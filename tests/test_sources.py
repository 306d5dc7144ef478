"""Files are one source among others: tables read from streams and rows; output written one way."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from openpyxl import Workbook

from concord_kg.classify import Classifier, classify_file, write_classifications
from concord_kg.errors import InputErrors, MappingError, ScenarioError
from concord_kg.files import atomic_path
from concord_kg.harmonised import write_harmonised
from concord_kg.registry import link_registry
from concord_kg.scenarios import read_csv_scenarios, read_row_scenarios
from concord_kg.tables import TableFormat, open_table

ROOT = Path(__file__).parent.parent
SCENARIOS = ROOT / "examples" / "scenarios.csv"
REGISTRY = ROOT / "examples" / "registry.csv"


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    return Classifier()


def _table(source: Path | io.BytesIO, name: str | None = None) -> tuple[list[str], list[list[str]]]:
    with open_table(source, name=name) as table:
        return table.header, list(table.rows)


# ---------------------------------------------------------------- tables


def test_a_stream_reads_as_the_file_does() -> None:
    stream = io.BytesIO(SCENARIOS.read_bytes())
    assert _table(stream, "upload.csv") == _table(SCENARIOS)
    assert not stream.closed  # the caller's stream is left open


def test_a_stream_is_read_from_where_it_stands() -> None:
    stream = io.BytesIO(b"preamble\n" + SCENARIOS.read_bytes())
    stream.readline()
    assert _table(stream) == _table(SCENARIOS)


def test_a_stream_names_itself_in_errors() -> None:
    with pytest.raises(InputErrors, match=r"^request body:1: empty file"):
        _table(io.BytesIO(b""), "request body")
    with pytest.raises(InputErrors, match=r"^stream:1: empty file"):
        _table(io.BytesIO(b""))


def test_an_undecodable_stream_names_the_line() -> None:
    body = b"id,value\na,caf\xe9\n"
    with pytest.raises(InputErrors) as caught:
        _table(io.BytesIO(body), "upload.csv")
    error = caught.value.errors[0]
    assert (error.source, error.line) == ("upload.csv", 2)
    assert "byte 0xe9" in error.message


def test_a_stream_takes_the_table_format() -> None:
    stream = io.BytesIO("id;value\na;caf\xe9\n".encode("cp1252"))
    with open_table(stream, table_format=TableFormat(delimiter=";", encoding="cp1252")) as table:
        assert (table.header, list(table.rows)) == (["id", "value"], [["a", "caf\xe9"]])


def test_a_workbook_stream_is_read_by_its_name() -> None:
    book = Workbook()
    book.active.append(["id", "value"])
    book.active.append(["a", 1.0])
    data = io.BytesIO()
    book.save(data)
    data.seek(0)
    assert _table(data, "upload.xlsx") == (["id", "value"], [["a", "1"]])


# ---------------------------------------------------------------- scenarios


def test_scenarios_from_a_stream_equal_those_from_the_file(classifier: Classifier) -> None:
    from_file = list(read_csv_scenarios(SCENARIOS, classifier.decision))
    stream = io.BytesIO(SCENARIOS.read_bytes())
    from_stream = list(read_csv_scenarios(stream, classifier.decision, name="upload.csv"))
    assert from_stream == from_file


def test_scenario_errors_name_the_stream(classifier: Classifier) -> None:
    body = SCENARIOS.read_bytes().replace(b",yes,", b",maybe,", 1)
    with pytest.raises(InputErrors) as caught:
        list(read_csv_scenarios(io.BytesIO(body), classifier.decision, name="upload.csv"))
    assert [(e.source, e.line) for e in caught.value.errors] == [("upload.csv", 2)]


def test_rows_can_be_named_as_items_not_lines(classifier: Classifier) -> None:
    columns = ["id", *(v.column for v in classifier.decision.variables)]
    good = dict.fromkeys(columns[1:], "yes") | {"id": "a"}
    bad = good | {"id": "b", columns[1]: "maybe"}
    with pytest.raises(InputErrors) as caught:
        list(read_row_scenarios([good, bad], classifier.decision, row_name=lambda n: f"item {n}"))
    error = caught.value.errors[0]
    assert (error.source, error.line) == ("item 1", None)
    assert str(error).startswith(f"item 1: column {columns[1]}: 'maybe'")


def test_rows_take_the_columns_given(classifier: Classifier) -> None:
    """An object without a column has a blank cell there (the union of every object's keys)."""
    columns = ["id", *(v.column for v in classifier.decision.variables), "note"]
    first = dict.fromkeys(columns[1:-1], "no") | {"id": "a"}
    second = first | {"id": "b", "note": "kept"}
    scenarios = list(read_row_scenarios([first, second], classifier.decision, columns=columns))
    assert [s.extra for s in scenarios] == [{"note": ""}, {"note": "kept"}]


def test_row_errors_past_the_listed_ones_are_counted_per_row(classifier: Classifier) -> None:
    """Errors named by item carry no line; the rows affected are still counted once each."""
    columns = ["id", *(v.column for v in classifier.decision.variables)]
    rows = [dict.fromkeys(columns[1:], "maybe") | {"id": f"r{n}"} for n in range(30)]
    with pytest.raises(InputErrors) as caught:
        list(read_row_scenarios(rows, classifier.decision, row_name=lambda n: f"item {n}"))
    errors = 30 * (len(columns) - 1)
    assert (caught.value.total, caught.value.rows) == (errors, 30)
    assert str(caught.value).endswith(f"… and {errors - 50} more errors (30 rows affected)")


def test_a_registry_extract_reads_from_a_stream(classifier: Classifier) -> None:
    from_file = link_registry(REGISTRY, classifier=classifier)
    stream = io.BytesIO(REGISTRY.read_bytes())
    from_stream = link_registry(stream, name="extract.csv", classifier=classifier)
    assert from_stream.per_model == from_file.per_model


# ---------------------------------------------------------------- output


def test_classifications_of_rows_are_written_as_the_file_ones(classifier: Classifier) -> None:
    with open_table(SCENARIOS) as table:
        rows = [dict(zip(table.header, row, strict=True)) for row in table.rows]
    from_rows, from_file = io.StringIO(), io.StringIO()
    scenarios = read_row_scenarios(rows, classifier.decision)
    write_classifications(scenarios, classifier=classifier, fmt="json", stdout=from_rows)
    classify_file(SCENARIOS, classifier=classifier, fmt="json", stdout=from_file)
    assert json.loads(from_rows.getvalue()) == json.loads(from_file.getvalue())


def test_bad_rows_write_nothing(classifier: Classifier, tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    rows = [{"id": "a"}]
    with pytest.raises(InputErrors):
        write_classifications(read_row_scenarios(rows, classifier.decision), out, classifier=classifier)
    assert list(tmp_path.iterdir()) == []


def test_atomic_path_replaces_only_on_success_and_respects_the_umask(
    tmp_path: Path, umask: Callable[[int], int]
) -> None:
    umask(0o027)
    target = tmp_path / "sub" / "out.bin"
    with atomic_path(target) as tmp:
        tmp.write_bytes(b"new")
    assert target.read_bytes() == b"new"
    assert target.stat().st_mode & 0o777 == 0o640
    with pytest.raises(ScenarioError), atomic_path(target) as tmp:
        tmp.write_bytes(b"half")
        raise ScenarioError("stopped")
    assert target.read_bytes() == b"new"
    assert sorted(p.name for p in target.parent.iterdir()) == ["out.bin"]


def test_harmonised_dataset_goes_through_the_atomic_writer(
    tmp_path: Path, umask: Callable[[int], int]
) -> None:
    umask(0o027)
    source = tmp_path / "in.csv"
    source.write_text("id,role\n1,key worker\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    assert write_harmonised(source, "role", out, {"key worker": ("D1", "urn:x", "X")}) == 1
    assert out.read_text(encoding="utf-8").splitlines()[1] == "1,key worker,D1,urn:x,X"
    assert out.stat().st_mode & 0o777 == 0o640
    with pytest.raises(MappingError, match="column nope"):
        write_harmonised(source, "nope", tmp_path / "never.csv", {})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "out.csv"]
