"""Write a dataset back with harmonised columns beside the source column, streaming its rows.

Rows are read one at a time through :mod:`concord_kg.tables` (the one table reader) and written one at a
time (CSV as ``csv.writer`` writes it, most rows joined directly; openpyxl's write-only mode), so memory
grows with the number of distinct values, not rows. The output goes to a temporary file renamed into
place at the end: a failed run leaves nothing half-written. The format follows the output file's
extension (``.xlsx``: a real workbook; anything else: CSV), never CSV text in an ``.xlsx`` file.
"""

from __future__ import annotations

import csv
import io
import itertools
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import IO, Any

from concord_kg.errors import MappingError
from concord_kg.files import atomic_path
from concord_kg.tables import XLSX_SUFFIXES, TableFormat, TableSource, open_table, source_name

__all__ = ["count_column", "iter_rows", "write_harmonised", "NEW_COLUMNS"]

#: Suffixes of the columns added after the source column ``C``: ``C_notation``, ``C_iri``, ``C_label``.
NEW_COLUMNS = ("notation", "iri", "label")


def _is_xlsx(path: Path) -> bool:
    return path.suffix.lower() in XLSX_SUFFIXES


@contextmanager
def iter_rows(
    path: TableSource,
    *,
    name: str | None = None,
    sheet: str | None = None,
    table_format: TableFormat | None = None,
) -> Iterator[Iterator[list[Any]]]:
    """Open a table as :func:`concord_kg.tables.open_table` does; yield its rows, header first.

    :param path: a file, or a binary stream named ``name`` (its extension says XLSX or CSV).
    :raises InputErrors: the file cannot be read (named, with the line where decoding failed).
    """
    fmt = table_format or TableFormat()
    if sheet is not None:
        fmt = replace(fmt, sheet=sheet)
    with open_table(path, name=name, table_format=fmt, error=MappingError, typed=True) as table:
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


@contextmanager
def _column_rows(
    path: TableSource, column: str, name: str | None, sheet: str | None, table_format: TableFormat | None
) -> Iterator[tuple[list[Any], int, Iterator[list[Any]]]]:
    """Open a table and yield its header, the position of ``column`` in it, and the data rows.

    :raises MappingError: empty file, or no such column (the error lists the columns).
    """
    source = source_name(path, name)
    with iter_rows(path, name=name, sheet=sheet, table_format=table_format) as reader:
        header = next(reader, None)
        if header is None:
            raise MappingError("empty file: expected a header row", source=source, line=1)
        yield header, _column_index(header, column, source), reader


def _cell(row: list[Any], at: int) -> str:
    return "" if at >= len(row) or row[at] is None else str(row[at]).strip()


def count_column(
    path: TableSource,
    column: str,
    *,
    name: str | None = None,
    sheet: str | None = None,
    table_format: TableFormat | None = None,
) -> tuple[Counter[str], int]:
    """Return each distinct (stripped) value of ``column`` with its number of rows, and the row count.

    :param path: a file, or a binary stream named ``name`` (see :func:`iter_rows`).
    :raises MappingError: unreadable file, empty file, or no such column (the error lists the columns).
    """
    with _column_rows(path, column, name, sheet, table_format) as (_, at, reader):
        counts = Counter(key for _, key in _keyed_rows(reader, at))  # counted in C
    return counts, sum(counts.values())


def write_harmonised(
    path: TableSource,
    column: str,
    out: Path | IO[bytes],
    lookup: Mapping[str, tuple[str, str, str]],
    *,
    name: str | None = None,
    xlsx: bool | None = None,
    sheet: str | None = None,
    table_format: TableFormat | None = None,
    advance: Callable[[int], None] | None = None,
) -> int:
    """Write every row of ``path`` to ``out`` with ``C_notation``, ``C_iri``, ``C_label`` after column ``C``.

    A file ``out`` is written through :func:`concord_kg.files.atomic_path` (nothing half-written,
    umask respected); a binary stream ``out`` (a response body) is written as it is.

    :param path: a file, or a binary stream named ``name`` (see :func:`iter_rows`).
    :param lookup: stripped value → (notation, IRI, label); values not in it get empty cells.
    :param xlsx: write a workbook rather than CSV (default: whether ``out`` has an XLSX extension).
    :param advance: called with a number of rows written, for a progress bar.
    :returns: the number of data rows written.
    """
    as_xlsx = xlsx if xlsx is not None else isinstance(out, Path) and _is_xlsx(out)
    if isinstance(out, Path):
        with atomic_path(out) as tmp, tmp.open("wb") as handle:
            return write_harmonised(
                path,
                column,
                handle,
                lookup,
                name=name,
                xlsx=as_xlsx,
                sheet=sheet,
                table_format=table_format,
                advance=advance,
            )
    with _column_rows(path, column, name, sheet, table_format) as (header, at, reader):
        added = [f"{column}_{suffix}" for suffix in NEW_COLUMNS]
        new_header = [*header[: at + 1], *added, *header[at + 1 :]]
        if as_xlsx:
            return _write_xlsx(out, new_header, _with_columns(reader, at, lookup), advance)
        return _write_csv(out, new_header, _csv_lines(reader, at, lookup), advance)


_STEP = 10_000


def _keyed_rows(reader: Iterator[list[Any]], at: int) -> Iterator[tuple[list[Any], str]]:
    """Yield each non-empty row, padded to reach position ``at``, with its (stripped) value there."""
    for row in reader:
        if not row:
            continue
        if len(row) <= at:
            row = list(row) + [""] * (at + 1 - len(row))
        cell = row[at]
        yield row, cell.strip() if cell.__class__ is str else _cell(row, at)


def _with_columns(
    reader: Iterator[list[Any]], at: int, lookup: Mapping[str, tuple[str, str, str]]
) -> Iterator[list[Any]]:
    """Yield each non-empty row with the three harmonised cells inserted after position ``at``."""
    empty = ("", "", "")
    for row, key in _keyed_rows(reader, at):
        row[at + 1 : at + 1] = lookup.get(key, empty)
        yield row


def _csv_lines(
    reader: Iterator[list[Any]], at: int, lookup: Mapping[str, tuple[str, str, str]]
) -> Iterator[str]:
    """Yield each non-empty row as a line of CSV with the three harmonised cells after position ``at``.

    The line is what ``csv.writer`` writes (commas, quotes only where needed, a line feed). A row whose
    cells hold no comma, quote or line break needs no quoting, so it is joined as it is, and the added
    cells, the same for every row of a value, are written as CSV once per value: most rows of a large
    file never go through the writer.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")

    def as_csv(cells: Iterable[Any]) -> str:
        writer.writerow(cells)
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    empty = ("", "", "")
    fragments = {key: as_csv(cells)[:-1] for key, cells in lookup.items()}
    unmapped = as_csv(empty)[:-1]
    after = at + 1
    for row, key in _keyed_rows(reader, at):
        try:
            joined = ",".join(row)
        except TypeError:  # a typed cell (a number, a date) from a workbook
            joined = '"'
        if '"' in joined or "\n" in joined or "\r" in joined or joined.count(",") != len(row) - 1:
            row = list(row)
            row[after:after] = lookup.get(key, empty)
            yield as_csv(row)
            continue
        fragment = fragments.get(key, unmapped)
        cut = -1  # where cell ``at`` ends: before the comma after it, or at the end of the line
        for _ in range(after):
            cut = joined.find(",", cut + 1)
            if cut < 0:
                break
        if cut < 0:
            yield f"{joined},{fragment}\n"
        else:
            yield f"{joined[:cut]},{fragment}{joined[cut:]}\n"


def _write_csv(
    target: IO[bytes], header: list[Any], lines: Iterator[str], advance: Callable[[int], None] | None
) -> int:
    written = 0
    handle = io.TextIOWrapper(target, encoding="utf-8", newline="")
    try:
        csv.writer(handle, lineterminator="\n").writerow(header)
        while True:
            block = list(itertools.islice(lines, _STEP))
            if not block:
                return written
            handle.write("".join(block))
            written += len(block)
            if advance:
                advance(len(block))
    finally:
        handle.flush()
        handle.detach()  # the caller's stream stays open


def _write_xlsx(
    target: IO[bytes], header: list[Any], rows: Iterator[list[Any]], advance: Callable[[int], None] | None
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
