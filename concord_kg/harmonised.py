"""Write a dataset back with harmonised columns beside the source column, streaming its rows.

Rows are read one at a time through :mod:`concord_kg.tables` (the one table reader) and written one
at a time (``csv.writer``; openpyxl's write-only mode), so memory grows with the number of distinct
values, not rows. The output goes to a temporary file renamed into place at the end: a failed run
leaves nothing half-written. The format follows the output file's extension (``.xlsx``: a real
workbook; anything else: CSV), never CSV text in an ``.xlsx`` file.
"""

from __future__ import annotations

import csv
import itertools
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from concord_kg.errors import MappingError
from concord_kg.files import atomic_path
from concord_kg.tables import XLSX_SUFFIXES, TableFormat, open_table

__all__ = ["count_column", "iter_rows", "write_harmonised", "NEW_COLUMNS"]

#: Suffixes of the columns added after the source column ``C``: ``C_notation``, ``C_iri``, ``C_label``.
NEW_COLUMNS = ("notation", "iri", "label")


def _is_xlsx(path: Path) -> bool:
    return path.suffix.lower() in XLSX_SUFFIXES


@contextmanager
def iter_rows(
    path: Path, *, sheet: str | None = None, table_format: TableFormat | None = None
) -> Iterator[Iterator[list[Any]]]:
    """Open a table as :func:`concord_kg.tables.open_table` does; yield its rows, header first.

    :raises InputErrors: the file cannot be read (named, with the line where decoding failed).
    """
    fmt = table_format or TableFormat()
    if sheet is not None:
        fmt = replace(fmt, sheet=sheet)
    with open_table(path, table_format=fmt, error=MappingError, typed=True) as table:
        yield itertools.chain([table.header], table.rows)


def _column_index(header: list[Any], column: str, source: str) -> int:
    names = [str(h or "").strip() for h in header]
    if column not in names:
        raise MappingError(
            f"column {column}: missing from the header",
            source=source,
            line=1,
            hint="columns: " + ", ".join(names),
        )
    return names.index(column)


def _cell(row: list[Any], at: int) -> str:
    return "" if at >= len(row) or row[at] is None else str(row[at]).strip()


def count_column(
    path: Path, column: str, *, sheet: str | None = None, table_format: TableFormat | None = None
) -> tuple[Counter[str], int]:
    """Return each distinct (stripped) value of ``column`` with its number of rows, and the row count.

    :raises MappingError: unreadable file, empty file, or no such column (the error lists the columns).
    """
    counts: Counter[str] = Counter()
    rows = 0
    with iter_rows(path, sheet=sheet, table_format=table_format) as reader:
        header = next(reader, None)
        if header is None:
            raise MappingError("empty file: expected a header row", source=str(path), line=1)
        at = _column_index(header, column, str(path))
        for row in reader:
            if row:
                counts[_cell(row, at)] += 1
                rows += 1
    return counts, rows


def write_harmonised(
    path: Path,
    column: str,
    out: Path,
    lookup: Mapping[str, tuple[str, str, str]],
    *,
    sheet: str | None = None,
    table_format: TableFormat | None = None,
    advance: Callable[[int], None] | None = None,
) -> int:
    """Write every row of ``path`` to ``out`` with ``C_notation``, ``C_iri``, ``C_label`` after column ``C``.

    :param lookup: stripped value → (notation, IRI, label); values not in it get empty cells.
    :param advance: called with a number of rows written, for a progress bar.
    :returns: the number of data rows written.
    """
    with atomic_path(out) as tmp, iter_rows(path, sheet=sheet, table_format=table_format) as reader:
        header = next(reader, None)
        if header is None:
            raise MappingError("empty file: expected a header row", source=str(path), line=1)
        at = _column_index(header, column, str(path))
        added = [f"{column}_{suffix}" for suffix in NEW_COLUMNS]
        new_header = [*header[: at + 1], *added, *header[at + 1 :]]
        rows = _with_columns(reader, at, lookup)
        return (_write_xlsx if _is_xlsx(out) else _write_csv)(tmp, new_header, rows, advance)


_STEP = 10_000


def _with_columns(
    reader: Iterator[list[Any]], at: int, lookup: Mapping[str, tuple[str, str, str]]
) -> Iterator[list[Any]]:
    """Yield each non-empty row with the three harmonised cells inserted after position ``at``."""
    empty = ("", "", "")
    get = lookup.get
    after = at + 1
    for row in reader:
        if not row:
            continue
        if len(row) <= at:
            row = list(row) + [""] * (after - len(row))
        cell = row[at]
        row[after:after] = get(cell.strip() if isinstance(cell, str) else _cell(row, at), empty)
        yield row


def _write_csv(
    target: Path, header: list[Any], rows: Iterator[list[Any]], advance: Callable[[int], None] | None
) -> int:
    written = 0
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        while True:
            block = [row for _, row in zip(range(_STEP), rows, strict=False)]
            if not block:
                return written
            writer.writerows(block)
            written += len(block)
            if advance:
                advance(len(block))


def _write_xlsx(
    target: Path, header: list[Any], rows: Iterator[list[Any]], advance: Callable[[int], None] | None
) -> int:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("harmonised")
    sheet.append(header)
    written = 0
    for row in rows:
        sheet.append(row)
        written += 1
        if advance and written % _STEP == 0:
            advance(_STEP)
    if advance:
        advance(written % _STEP)
    book.save(target)
    return written
