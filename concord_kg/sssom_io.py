"""Read SSSOM TSV files: the ``#`` YAML metadata block, the table, and CURIEs expanded to IRIs.

The one reader of SSSOM in the project: the store's mappings graph (:func:`concord_kg.store.sssom_graph`)
and reviewed decisions (:func:`concord_kg.mappings.read_reviewed`) both read through it, so every bad
input is the same :class:`~concord_kg.errors.MappingError` naming the file, the line and the column.

The metadata block is the file's leading lines that start with ``#``, read with ``yaml.safe_load``
(never parsed by hand); the table is TSV through the ``csv`` module (quoted fields may hold quotes,
tabs and line breaks). A CURIE's prefix is looked up in the file's ``curie_map``, then in the project's
prefix map (``ontology/context.json``): a file may give one namespace two prefixes.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from concord_kg.errors import MappingError, read_error
from concord_kg.ontology import prefixes

__all__ = ["SssomRow", "SssomTable", "read_sssom", "TRIPLE_COLUMNS", "NO_TERM"]

#: The SSSOM object of a value reviewed as having no term: such a row states no match.
NO_TERM = "sssom:NoTermFound"
#: The columns that make a mapping a triple: what the store needs.
TRIPLE_COLUMNS = ("subject_id", "predicate_id", "object_id")
#: Characters an IRI may not hold (RFC 3987): a value with one is a typo, not an identifier.
_NOT_IN_IRI = re.compile(r'[\s<>"{}|\\^`]')
#: A prefix as SSSOM and the CURIE syntax allow it (an NCName without colons).
_PREFIX = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")


@dataclass(frozen=True)
class SssomRow:
    """One mapping: its cells by column name, and the line of the file it starts on."""

    line: int
    cells: dict[str, str]

    def get(self, column: str) -> str:
        """Return the cell of ``column`` without surrounding spaces (``""`` when absent or empty)."""
        return (self.cells.get(column) or "").strip()


@dataclass
class SssomTable:
    """An SSSOM file read: its metadata, its prefix map (file over project) and its rows."""

    source: str
    metadata: dict[str, Any]
    prefix_map: dict[str, str]
    columns: list[str]
    header_line: int
    rows: list[SssomRow] = field(default_factory=list)

    def __iter__(self) -> Iterator[SssomRow]:
        return iter(self.rows)

    def iri(self, row: SssomRow, column: str) -> str:
        """Return the IRI of a row's cell: an absolute ``http(s)`` IRI as is, a CURIE expanded.

        :raises MappingError: the cell is empty, not a CURIE, has an unknown prefix or is no valid IRI.
        """
        value = row.get(column)

        def error(message: str, hint: str | None = None) -> MappingError:
            shown = f"{column} {value!r}" if value else column
            return MappingError(
                f"{shown}: {message}",
                source=self.source,
                line=row.line,
                column=column,
                term=value or None,
                hint=hint,
            )

        if not value:
            raise error("empty: expected a CURIE such as ckg:Coordinator")
        if value.startswith(("http://", "https://")):
            iri = value
        else:
            prefix, colon, local = value.partition(":")
            if not colon or not prefix:
                raise error(
                    "not a CURIE (prefix:id) nor an http(s) IRI",
                    "write it as prefix:id, e.g. ckg:Coordinator",
                )
            namespace = self.prefix_map.get(prefix)
            if namespace is None:
                raise error(f"unknown prefix {prefix!r}", "declare it in curie_map")
            iri = namespace + local
        if _NOT_IN_IRI.search(iri):
            raise error('not a valid IRI (spaces or <>"{}|\\^`)')
        return iri


def read_sssom(path: Path, *, required: tuple[str, ...] = TRIPLE_COLUMNS) -> SssomTable:
    """Read an SSSOM TSV file: metadata block and table; CURIEs expand on demand (:meth:`SssomTable.iri`).

    :param required: columns the table must have.
    :raises MappingError: the file is unreadable or not UTF-8, its metadata block is not a YAML mapping,
        its ``curie_map`` is not prefix → namespace text, or a required column is missing; with the line
        (and, for YAML, the column) where it is.
    """
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise read_error(exc, error=MappingError, source=source) from exc
    except UnicodeDecodeError as exc:
        raise MappingError("not UTF-8 text", source=source) from exc
    lines = text.splitlines(keepends=True)
    count = next((at for at, line in enumerate(lines) if not line.startswith("#")), len(lines))
    metadata = _metadata("".join(line[1:] for line in lines[:count]), source)
    prefix_map = {**prefixes(), **_curie_map(metadata, source, lines[:count])}
    reader = csv.reader(io.StringIO("".join(lines[count:])), delimiter="\t")
    header_line = count + 1
    columns = [c.strip() for c in next(reader, [])]
    missing = [c for c in required if c not in columns]
    if missing:
        raise MappingError(
            f"missing column(s): {', '.join(missing)}",
            source=source,
            line=header_line,
            column=missing[0],
            hint="the first line after the # metadata block names the columns, tab-separated",
        )
    table = SssomTable(source, metadata, prefix_map, columns, header_line)
    ended = reader.line_num  # lines of the table read so far (its header)
    try:
        for cells in reader:
            line, ended = count + ended + 1, reader.line_num
            if not any(c.strip() for c in cells):
                continue  # a blank line
            if len(cells) > len(columns):  # a stray tab: the cells no longer line up with the columns
                raise MappingError(
                    f"cell {len(columns) + 1} lies beyond the {len(columns)} columns of the header",
                    source=source,
                    line=line,
                    column=len(columns) + 1,
                    hint="a tab inside a value must be quoted",
                )
            table.rows.append(SssomRow(line, dict(zip(columns, cells, strict=False))))
    except csv.Error as exc:  # e.g. a NUL byte
        raise MappingError(f"not a TSV table: {exc}", source=source, line=count + reader.line_num) from exc
    return table


def _metadata(block: str, source: str) -> dict[str, Any]:
    """Parse the metadata block; a YAML error names its line and column (the file's, 1-based)."""
    try:
        meta = yaml.safe_load(block)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        column = mark.column + 2 if mark is not None else None  # + 1 for the leading "#"
        reason = getattr(exc, "problem", None) or str(exc)
        at = f" at column {column}" if column is not None else ""
        raise MappingError(
            f"metadata block is not valid YAML{at}: {reason}",
            source=source,
            line=line,
            column=column,
            hint="each metadata line is '#' then YAML; quote values with ': ' or '#' in them",
        ) from exc
    if meta is None:
        return {}
    if not isinstance(meta, dict):
        raise MappingError("metadata block is not a YAML mapping (key: value lines)", source=source, line=1)
    return meta


def _curie_map(metadata: Mapping[str, Any], source: str, header: list[str]) -> dict[str, str]:
    """Return the file's ``curie_map``, checked: prefix → namespace, both text (errors name its line)."""
    found = metadata.get("curie_map") or {}
    start = next((n for n, text in enumerate(header, 1) if text[1:].lstrip().startswith("curie_map")), 1)
    if not isinstance(found, dict):
        raise MappingError("curie_map: expected prefix: namespace lines", source=source, line=start)
    checked: dict[str, str] = {}
    for prefix, namespace in found.items():
        entries = enumerate(header[start:], start + 1)
        line = next((n for n, text in entries if text[1:].lstrip().startswith(f"{prefix}:")), start)
        if not isinstance(prefix, str) or not _PREFIX.match(prefix):
            message = f"curie_map: {prefix!r} is not a prefix"
        elif not isinstance(namespace, str) or not namespace or _NOT_IN_IRI.search(namespace):
            message = f"curie_map: {prefix}: {namespace!r} is not a namespace IRI"
        else:
            checked[prefix] = namespace
            continue
        raise MappingError(message, source=source, line=line, column="curie_map", term=str(prefix))
    return checked
