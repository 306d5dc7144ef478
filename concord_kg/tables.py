"""Read tabular input (CSV with a sniffed delimiter, or an XLSX worksheet) as a header and rows.

Every command that reads a table (``classify``, ``link``, ``harmonise``, ``load``, ``query --data``,
``validate``) goes through :func:`open_table`, so they accept the same files: comma-, semicolon- or
tab-separated text in UTF-8 (or the ``encoding`` given), and ``.xlsx`` workbooks read as a stream.
A file is one source among others: :func:`open_table` reads an open binary stream (a request body,
an upload) the same way, and :class:`Table` can wrap rows already in memory.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from concord_kg.errors import ConcordError, InputErrors, ScenarioError, read_error

__all__ = [
    "TableFormat",
    "TableSource",
    "source_name",
    "Table",
    "open_table",
    "DELIMITERS",
    "TABLE_SUFFIXES",
    "XLSX_SUFFIXES",
    "delimiter_hint",
    "cell_text",
]

#: Delimiters recognised when sniffing a CSV header (Excel writes ``;`` where ``,`` is the decimal mark).
DELIMITERS = (",", ";", "\t")
#: File extensions read as an Excel workbook.
XLSX_SUFFIXES = frozenset({".xlsx", ".xlsm"})
#: File extensions read as a table (anything else is RDF where RDF is accepted).
TABLE_SUFFIXES = frozenset({".csv", ".tsv"} | XLSX_SUFFIXES)

_NAMES = {",": "','", ";": "';'", "\t": "tab"}

#: Where a table is read from: a file, or an open binary stream (read from where it stands).
TableSource = Path | IO[bytes]


@dataclass(frozen=True, slots=True)
class TableFormat:
    """How to read a table: the delimiter (``None`` sniffs it), the text encoding, the worksheet."""

    delimiter: str | None = None
    encoding: str = "utf-8"
    sheet: str | None = None


@dataclass(slots=True)
class Table:
    """An open table: the stripped header cells, then the data rows as lists of strings.

    Row ``n`` of :attr:`rows` (counting from 0) is line ``n + 2`` of the file.
    """

    source: str
    header: list[str]
    #: Text cells; with ``typed=True`` an XLSX row keeps openpyxl's values (numbers, dates).
    rows: Iterator[list[Any]]
    delimiter: str | None
    #: The header as written (CSV only), to suggest a better delimiter when columns are missing.
    first_line: str = ""
    #: Names data row ``n`` (from 0) in errors instead of ``source`` and a line (``item 3`` of a JSON array).
    row_name: Callable[[int], str] | None = None

    def where(self, line: int) -> tuple[str, int | None]:
        """Return the ``source`` and ``line`` that an error about line ``line`` names.

        >>> Table("data.csv", [], iter(()), ",").where(3)
        ('data.csv', 3)
        >>> Table("body", [], iter(()), None, row_name=lambda n: f"item {n}").where(3)
        ('item 1', None)
        """
        if self.row_name is None:
            return self.source, line
        return (self.row_name(line - 2), None) if line >= 2 else (self.source, None)


def delimiter_hint(header_line: str, used: str | None) -> str | None:
    """Return a hint naming a delimiter that splits ``header_line`` into more cells than ``used``.

    >>> delimiter_hint("id;can_travel;clear_who_to_see", ",")
    "the header looks ';'-separated: use --delimiter ';'"
    >>> delimiter_hint("id,can_travel", ",") is None
    True
    """
    if used is None:
        return None
    counts = {d: _split(header_line, d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: len(counts[d]))
    if len(counts[best]) > len(counts[used]):
        option = "tab" if best == "\t" else best
        return f"the header looks {_NAMES[best]}-separated: use --delimiter {option!r}"
    return None


def _split(line: str, delimiter: str) -> list[str]:
    return next(csv.reader([line], delimiter=delimiter), [])


def sniff_delimiter(header_line: str, expected: Sequence[str] = ()) -> str:
    """Choose the delimiter of a CSV from its header line.

    The delimiter under which most of the ``expected`` column names appear wins; ties go to the one
    that splits the header into the most cells, then to ``,``.

    >>> sniff_delimiter("id;can_travel", ["id", "can_travel"])
    ';'
    >>> sniff_delimiter("id,notes; more", ["id"])
    ','
    >>> sniff_delimiter("value", ["value"])
    ','
    """

    def score(delimiter: str) -> tuple[int, int, int]:
        cells = {c.strip() for c in _split(header_line, delimiter)}
        found = sum(1 for name in expected if name in cells)
        return found, len(cells), delimiter == ","

    return max(DELIMITERS, key=score)


def source_name(source: TableSource, name: str | None = None) -> str:
    """Return what errors call ``source``: ``name`` if given, else the path, the stream's name or ``stream``.

    >>> source_name(Path("a.csv")), source_name(io.BytesIO(b""), "upload.csv"), source_name(io.BytesIO(b""))
    ('a.csv', 'upload.csv', 'stream')
    """
    if name is not None:
        return name
    return str(source) if isinstance(source, Path) else str(getattr(source, "name", "stream"))


@contextmanager
def open_table(
    source: TableSource,
    *,
    name: str | None = None,
    expected: Sequence[str] = (),
    table_format: TableFormat | None = None,
    error: type[ConcordError] = ScenarioError,
    typed: bool = False,
) -> Iterator[Table]:
    """Open a file or a binary stream as a table (XLSX by extension, else CSV) and yield its :class:`Table`.

    Decoding errors while the rows are read become :class:`InputErrors` naming the line that
    cannot be decoded, with a hint to save the file as CSV UTF-8 or give its encoding.

    :param source: a file, or a binary stream (left open; read from its current position).
    :param name: names the source in errors and gives a stream's extension (default: the path, or
        the stream's ``name``, else ``stream``).
    :param expected: column names the caller needs; used to sniff the CSV delimiter.
    :param typed: XLSX data cells keep their types (numbers, dates) instead of becoming text.
    :raises InputErrors: the source is empty, not decodable, or not a readable CSV/XLSX table.
    """
    fmt = table_format or TableFormat()
    name = source_name(source, name)
    if Path(name).suffix.lower() in XLSX_SUFFIXES:
        with _open_xlsx(source, name, fmt.sheet, error, typed=typed) as table:
            yield table
        return
    encoding = "utf-8-sig" if fmt.encoding.lower().replace("_", "-") in {"utf-8", "utf8"} else fmt.encoding
    start = None if isinstance(source, Path) or not source.seekable() else source.tell()
    try:
        if isinstance(source, Path):
            handle = source.open(newline="", encoding=encoding)
        else:
            handle = io.TextIOWrapper(source, encoding=encoding, newline="")
    except LookupError as exc:
        raise InputErrors([error(f"unknown encoding {fmt.encoding!r}", source=name)]) from exc
    except OSError as exc:
        raise InputErrors([read_error(exc, error=error, source=name)]) from exc
    try:
        first = handle.readline()
        delimiter = fmt.delimiter or sniff_delimiter(first.rstrip("\r\n"), expected)
        header = [h.strip() for h in _split(first.rstrip("\r\n"), delimiter)] if first else []
        if not any(header):
            raise InputErrors([error("empty file: expected a header row", source=name, line=1)])
        yield Table(name, header, csv.reader(handle, delimiter=delimiter), delimiter, first.rstrip("\r\n"))
    except UnicodeDecodeError as exc:
        raise InputErrors([_decoding_error(source, start, name, encoding, exc, error)]) from exc
    except csv.Error as exc:
        raise InputErrors([error(f"not a readable CSV file: {exc}", source=name)]) from exc
    finally:
        if isinstance(source, Path):
            handle.close()
        else:
            handle.detach()  # the caller's stream stays open


def _decoding_error(
    source: TableSource,
    start: int | None,
    name: str,
    encoding: str,
    exc: UnicodeDecodeError,
    error: type[ConcordError],
) -> ConcordError:
    """Name the first line that ``encoding`` cannot decode (found by a second, binary pass).

    A stream that cannot seek back to ``start`` gets no second pass: the error names no line.
    """
    line = None
    byte = exc.object[exc.start : exc.start + 1] if isinstance(exc.object, bytes) else b""
    if isinstance(source, Path):
        again: IO[bytes] | None = source.open("rb")
    elif start is not None:
        source.seek(start)
        again = source
    else:
        again = None
    if again is not None:
        with again if isinstance(source, Path) else nullcontext(again) as handle:
            for number, raw in enumerate(handle, start=1):
                try:
                    raw.decode(encoding)
                except UnicodeDecodeError as inner:
                    line, byte = number, raw[inner.start : inner.start + 1]
                    break
    label = "UTF-8" if encoding.startswith("utf-8") else encoding
    hint = (
        "save it from Excel as 'CSV UTF-8', or give its encoding, e.g. --encoding cp1252"
        if label == "UTF-8"
        else "give the file's encoding with --encoding"
    )
    return error(
        f"not {label} text: byte 0x{byte.hex()} cannot be decoded", source=name, line=line, hint=hint
    )


@contextmanager
def _open_xlsx(
    path: TableSource, source: str, sheet: str | None, error: type[ConcordError], *, typed: bool = False
) -> Iterator[Table]:
    """Yield the first (or the named) worksheet as a table, reading rows as a stream.

    :param source: names the workbook in errors.
    :param typed: keep data cells as openpyxl gives them (numbers, dates), for writing them back.
    """
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except OSError as exc:
        raise InputErrors([read_error(exc, error=error, source=source)]) from exc
    except Exception as exc:  # openpyxl raises zipfile, KeyError and its own types for broken files
        message = " ".join(str(exc).split())
        raise InputErrors([error(f"not a readable XLSX file: {message}", source=source)]) from exc
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise InputErrors(
                [
                    error(
                        f"no worksheet {sheet!r}", source=source, hint="sheets: " + ", ".join(book.sheetnames)
                    )
                ]
            )
        raw = (book[sheet] if sheet is not None else book.worksheets[0]).iter_rows(values_only=True)
        first = next(raw, None)
        header = [cell_text(h).strip() for h in first] if first else []
        if not any(header):
            raise InputErrors([error("empty file: expected a header row", source=source, line=1)])
        if typed:
            yield Table(source, header, (list(row) for row in raw), None)
        else:
            rows = ([cell_text(c) for c in row] for row in raw)
            yield Table(source, header, _fitted(rows, len(header)), None)
    finally:
        book.close()


def _fitted(rows: Iterator[list[str]], width: int) -> Iterator[list[str]]:
    """Fit rows to the header's width: a worksheet's used range is often wider or ragged; blank rows → []."""
    for row in rows:
        if not any(row):
            yield []
            continue
        if len(row) > width and not any(row[width:]):
            del row[width:]
        elif len(row) < width:
            row.extend([""] * (width - len(row)))
        yield row


def cell_text(value: object) -> str:
    """Render a worksheet (or DataFrame) cell as the text a CSV export would hold.

    >>> [cell_text(v) for v in (None, 1.0, 2.5, True, float("nan"), "yes")]
    ['', '1', '2.5', 'true', '', 'yes']
    """
    if value is None or (isinstance(value, float) and value != value):  # NaN is pandas' blank
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
