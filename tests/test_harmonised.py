"""The dataset written back with harmonised columns: byte for byte what csv.writer writes.

Most rows are joined without the writer (:func:`concord_kg.harmonised._csv_lines`), so the output is
compared with a reference built with the csv module alone, on rows that need quoting and rows that do not.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from concord_kg.harmonised import count_column, write_harmonised

LOOKUP = {
    "Key worker": ("D3.2.1.2", "https://w3id.org/concord-kg/CareCoordinator", "Care coordinator"),
    "GP": ("D3.2.3", "https://w3id.org/concord-kg/GeneralPractitioner", "GP, in primary care"),
    'Says "hi"': ("D6.1.3", "https://w3id.org/concord-kg/Verbal", 'Verbal "or" telephone'),
}
ROWS = [
    ["1", "Key worker", "plain"],
    ["2", " GP ", "padded value"],
    ["3", "Key worker", "a, comma"],
    ["4", "Key worker", 'a "quote"'],
    ["5", "Key worker", "two\nlines"],
    ["6", "Key worker", "carriage\rreturn"],
    ["7", "Unknown value", ""],
    ["8", 'Says "hi"', "x"],
    ["9"],  # shorter than the column
    [],  # an empty line
    ["10", "", ""],
    ["11", "GP", "ünïcödé — “curly”"],
    ["12", "Key worker", " spaced ", "extra", "cells"],
]


def _reference(rows: list[list[str]], at: int) -> str:
    """What csv.writer writes for the rows with the three cells inserted after ``at`` (empty rows skipped)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for row in rows:
        if not row:
            continue
        row = row + [""] * (at + 1 - len(row))
        cells = LOOKUP.get(row[at].strip(), ("", "", ""))
        writer.writerow([*row[: at + 1], *cells, *row[at + 1 :]])
    return out.getvalue()


@pytest.mark.parametrize(("delimiter", "newline"), [(",", "\n"), (",", "\r\n"), (";", "\n")])
def test_the_csv_written_is_what_csv_writer_writes(tmp_path: Path, delimiter: str, newline: str) -> None:
    source = tmp_path / "in.csv"
    with source.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter, lineterminator=newline)
        writer.writerow(["id", "who", "note"])
        writer.writerows(ROWS)
    with source.open(encoding="utf-8", newline="") as handle:
        read = list(csv.reader(handle, delimiter=delimiter))[1:]  # as the csv module reads them back
    out = tmp_path / "out.csv"
    written = write_harmonised(source, "who", out, LOOKUP)
    text = out.read_bytes().decode("utf-8")  # no newline translation
    header = "id,who,who_notation,who_iri,who_label,note\n"
    assert text == header + _reference(read, 1)
    assert written == len([r for r in read if r])


def test_a_workbook_with_typed_cells_is_written_as_csv(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["n", "who", "score"])
    sheet.append([1, "Key worker", 2.5])
    sheet.append([2, "GP", None])
    source = tmp_path / "in.xlsx"
    book.save(source)
    out = tmp_path / "out.csv"
    write_harmonised(source, "who", out, LOOKUP)
    rows = list(csv.reader(out.open(encoding="utf-8", newline="")))
    assert rows[1] == ["1", "Key worker", *LOOKUP["Key worker"], "2.5"]
    assert rows[2] == ["2", "GP", *LOOKUP["GP"], ""]


def test_counting_strips_values_and_skips_empty_lines(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text("id,who\n1, GP \n\n2,GP\n3\n", encoding="utf-8")
    counts, rows = count_column(source, "who")
    assert counts == {"GP": 2, "": 1}
    assert rows == 3


@pytest.mark.parametrize("at", [0, 2], ids=["first column", "last column"])
def test_the_column_may_be_first_or_last(tmp_path: Path, at: int) -> None:
    rows = [[r[1], r[0], r[2]] if at == 0 else [r[0], r[2], r[1]] for r in ROWS if len(r) == 3]
    header = ["who", "id", "note"] if at == 0 else ["id", "note", "who"]
    source = tmp_path / "in.csv"
    with source.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows([header, *rows])
    with source.open(encoding="utf-8", newline="") as handle:
        read = list(csv.reader(handle))[1:]
    out = tmp_path / "out.csv"
    write_harmonised(source, "who", out, LOOKUP)
    new_header = [*header[: at + 1], "who_notation", "who_iri", "who_label", *header[at + 1 :]]
    assert out.read_bytes().decode("utf-8") == ",".join(new_header) + "\n" + _reference(read, at)
