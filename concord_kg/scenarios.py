"""Read patient scenarios from CSV, XLSX, Turtle or JSON-LD, reporting every bad row at once."""

from __future__ import annotations

import itertools
import operator
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, RDF

from concord_kg.answers import NO, UNKNOWN, YES, accepted_answers, read_answer, unknown_answers
from concord_kg.decision import DecisionModel, Value, Variable
from concord_kg.errors import ErrorLog, InputErrors, ScenarioError
from concord_kg.formats import is_rdf_file
from concord_kg.ontology import CKG
from concord_kg.tables import Table, TableFormat, TableSource, cell_text, delimiter_hint, open_table

__all__ = [
    "Scenario",
    "read_scenarios",
    "read_csv_scenarios",
    "read_rdf_scenarios",
    "read_row_scenarios",
    "ID_COLUMN",
]

#: The CSV column that identifies a scenario.
ID_COLUMN = "id"
#: Base of the IRIs given to scenarios read from CSV.
SCENARIO_BASE = "https://w3id.org/concord-kg/data/scenario/"

_MISSING = object()
#: Stored in a column's cache for a spelling that is no accepted answer.
_INVALID = object()
#: Distinct spellings remembered per column (so a file of a million different typos stays small).
_CACHE_LIMIT = 4096
_lookup = dict.__getitem__


@dataclass(slots=True)
class Scenario:
    """One patient scenario: its id, a value (or ``None``) per decision variable, where it came from."""

    id: str
    values: tuple[Value | None, ...]
    line: int | None = None
    iri: URIRef | None = None
    extra: dict[str, str] = field(default_factory=dict)


def read_scenarios(
    path: Path,
    decision: DecisionModel,
    *,
    allow_partial: bool = False,
    id_column: str = ID_COLUMN,
    table_format: TableFormat | None = None,
) -> Iterator[Scenario]:
    """Yield the scenarios of a CSV, XLSX or RDF file (chosen by extension, :mod:`concord_kg.formats`).

    Errors are collected while reading; once the input is exhausted, all of them are raised
    together as :class:`InputErrors` (the scenarios already yielded must then be discarded).
    """
    if is_rdf_file(path):
        return read_rdf_scenarios(path, decision, allow_partial=allow_partial)
    return read_csv_scenarios(
        path, decision, allow_partial=allow_partial, id_column=id_column, table_format=table_format
    )


class _ValueReader:
    """Read one column's cells as values of its variable, remembering the spellings seen."""

    __slots__ = ("cache", "var", "allowed")

    def __init__(self, var: Variable) -> None:
        self.var = var
        self.cache: dict[str, object] = {}
        for spellings, notation in ((YES, "yes"), (NO, "no"), (UNKNOWN, "")):
            value = var.value(notation) if notation else None
            if notation and value is None:
                continue
            for spelling in spellings:
                for variant in {spelling, spelling.upper(), spelling.capitalize()}:
                    self.cache[variant] = value
        self.allowed = "/".join(v.notation for v in var.values)

    def read(self, raw: str) -> object:
        """Return the cell's value, ``None`` for unknown, or ``_INVALID``."""
        value = self.cache.get(raw, _MISSING)
        if value is _MISSING:
            notation = read_answer(raw)
            if notation is None:
                value = _INVALID
            else:
                value = (self.var.value(notation) or _INVALID) if notation else None
            if len(self.cache) < _CACHE_LIMIT:
                self.cache[raw] = value
        return value


def read_csv_scenarios(
    path: TableSource,
    decision: DecisionModel,
    *,
    name: str | None = None,
    allow_partial: bool = False,
    id_column: str = ID_COLUMN,
    checks: Mapping[str, Callable[[str], str | None]] | None = None,
    blank_hint: str | None = "use --allow-partial to accept unknowns",
    table_format: TableFormat | None = None,
) -> Iterator[Scenario]:
    """Yield scenarios from a table (CSV or XLSX) with an id column and one column per decision variable.

    Answers are read with :func:`concord_kg.answers.read_answer` (yes/no, ``1``/``0``...; the
    unknown markers only with ``allow_partial``). Extra columns are kept in :attr:`Scenario.extra`.
    ``path`` may also be an open binary stream (see :func:`concord_kg.tables.open_table`), named
    ``name`` in errors.
    Raises :class:`InputErrors` at the end if any row was bad: missing column, unknown or blank
    value, duplicate id, empty file. The first errors are listed and the rest counted, so a file
    of any size fails in bounded memory.

    :param checks: further required columns, each with a function that returns an error message
        for a bad cell (reported as ``column NAME: message``) or ``None`` (the registry reader's
        ORPHAcode column uses this).
    :param blank_hint: said in brackets after "blank value" when a decision cell is empty.
    :param table_format: delimiter (sniffed by default), encoding and worksheet.
    """
    checks = checks or {}
    needed = [id_column] + [v.column for v in decision.variables] + list(checks)
    with open_table(path, name=name, expected=needed, table_format=table_format) as table:
        yield from _read_rows(table, decision, allow_partial, id_column, checks, blank_hint)


def _read_rows(
    table: Table,
    decision: DecisionModel,
    allow_partial: bool,
    id_column: str,
    checks: Mapping[str, Callable[[str], str | None]],
    blank_hint: str | None,
) -> Iterator[Scenario]:
    """Read the rows of :func:`read_csv_scenarios` from an open table."""
    where = table.where
    header = table.header
    needed = [id_column] + [v.column for v in decision.variables] + list(checks)
    missing = [c for c in needed if c not in header]
    if missing:
        hint = delimiter_hint(table.first_line, table.delimiter)
        source, at = where(1)
        raise InputErrors(
            [
                ScenarioError(f"column {c}: missing from the header", source=source, line=at, hint=hint)
                for c in missing
            ]
        )
    id_at = header.index(id_column)
    positions = [header.index(v.column) for v in decision.variables]
    readers = [_ValueReader(v) for v in decision.variables]
    caches = [r.cache for r in readers]
    cells = operator.itemgetter(*positions) if len(positions) > 1 else lambda row: (row[positions[0]],)
    check_at = [(header.index(c), c, check) for c, check in checks.items()]
    used = set(needed) - set(checks)
    extra_at = [(i, h) for i, h in enumerate(header) if h not in used]
    width = len(header)
    seen: set[str] = set()
    log = ErrorLog()
    rows = 0
    context = _RowContext(
        where, id_column, decision.variables, positions, readers, check_at, allow_partial, blank_hint, log
    )
    numbered = enumerate(table.rows, start=2)
    for line, row in numbered:
        if not row:
            continue
        rows += 1
        if len(row) != width:
            if log.full:
                log.count_more(1, line=line)
            else:
                source, at = where(line)
                message = f"row has {len(row)} fields, the header has {width}"
                log.add(ScenarioError(message, source=source, line=at), row=line)
            continue
        ident = row[id_at].strip()
        try:
            # Fast path: cells spelled as seen before, all readable, no blanks (unless allowed), checks pass.
            values = tuple(map(_lookup, caches, cells(row)))
            clean = (
                bool(ident)
                and ident not in seen
                and _INVALID not in values
                and (allow_partial or None not in values)
            )
            if clean and check_at:
                clean = all(check(row[pos]) is None for pos, _, check in check_at)
        except KeyError:
            clean = False
        if not clean:
            checked = _check_row(row, line, ident, seen, context)
            seen.add(ident)
            if checked is None:
                if log.full and not check_at:
                    _count_rest(numbered, context, seen, cells, caches, id_at, width)
                    break
                continue
            values = checked
        else:
            seen.add(ident)
        if not log:
            extra = {h: row[i] for i, h in extra_at} if extra_at else {}
            yield Scenario(id=ident, values=values, line=line, extra=extra)  # type: ignore[arg-type]
    if rows == 0:
        source, at = where(2)
        log.add(ScenarioError("empty file: no scenario rows after the header", source=source, line=at), row=2)
    if log:
        raise log.as_exception()


def _count_rest(
    numbered: Iterator[tuple[int, list[str]]],
    ctx: _RowContext,
    seen: set[str],
    cells: Callable[[list[str]], tuple[str, ...]],
    caches: list[dict[str, object]],
    id_at: int,
    width: int,
) -> None:
    """Count the errors of the remaining rows once no more are listed: no message is built.

    A file of millions of bad rows then fails about as fast as csv can read it, in bounded memory
    (only the ids, which duplicate checks need, are kept).
    """
    log = ctx.log
    partial = ctx.allow_partial
    # Per column, each spelling seen so far → 1 if it is an error, else 0.
    costs = [
        {raw: int(v is _INVALID or (v is None and not partial)) for raw, v in cache.items()}
        for cache in caches
    ]
    total = rows = 0
    for _line, row in numbered:
        if not row:
            continue
        if len(row) != width:
            total += 1
            rows += 1
            continue
        ident = row[id_at].strip()
        try:
            bad = sum(map(_lookup, costs, cells(row)))
        except KeyError:
            values = [r.read(row[p]) for p, r in zip(ctx.positions, ctx.readers, strict=True)]
            bad = values.count(_INVALID) + (0 if partial else values.count(None))
            for cost, raw, value in zip(costs, cells(row), values, strict=True):
                if len(cost) < _CACHE_LIMIT:
                    cost[raw] = int(value is _INVALID or (value is None and not partial))
        known = len(seen)
        seen.add(ident)
        bad += not ident or len(seen) == known
        if bad:
            total += bad
            rows += 1
    log.total += total
    log.rows += rows


def read_row_scenarios(
    rows: Iterable[Mapping[str, object]],
    decision: DecisionModel,
    *,
    allow_partial: bool = False,
    id_column: str = ID_COLUMN,
    source: str = "rows",
    columns: Sequence[str] | None = None,
    row_name: Callable[[int], str] | None = None,
    blank_hint: str = "use allow_partial=True to accept unknowns",
) -> Iterator[Scenario]:
    """Yield scenarios from in-memory rows (mappings from column name to cell), read as a table is.

    The columns are those of the first row unless given. Errors name the row as a CSV line would
    (the first row is line 2 of ``source``), or by ``row_name``; ``None`` and NaN cells are blank,
    numbers and booleans are read as their text.

    :param columns: the table's columns (a row without one of them has a blank cell there).
    :param row_name: names row ``n`` (from 0) in errors, e.g. ``item 0`` for a JSON array.
    :param blank_hint: said in brackets after "blank value" when a decision cell is empty.
    :raises InputErrors: bad rows, as for :func:`read_csv_scenarios`.
    """
    records = iter(rows)
    first = next(records, None)
    if first is None:
        raise InputErrors([ScenarioError("no rows", source=source)])
    header = [str(h).strip() for h in (first if columns is None else columns)]
    keys = list(first if columns is None else columns)
    body = ([cell_text(record.get(k)) for k in keys] for record in itertools.chain([first], records))
    table = Table(source, header, body, None, row_name=row_name)
    yield from _read_rows(table, decision, allow_partial, id_column, {}, blank_hint)


@dataclass(slots=True)
class _RowContext:
    """What the cell-by-cell check of a row needs to know about the file being read."""

    where: Callable[[int], tuple[str, int | None]]
    id_column: str
    variables: list[Variable]
    positions: list[int]
    readers: list[_ValueReader]
    check_at: list[tuple[int, str, Callable[[str], str | None]]]
    allow_partial: bool
    blank_hint: str | None
    log: ErrorLog


def _check_row(
    row: list[str], line: int, ident: str, seen: set[str], ctx: _RowContext
) -> tuple[Value | None, ...] | None:
    """Check one row cell by cell; record its errors and return ``None`` if it has any.

    Once the error log is full, errors are only counted: no message is built.
    """
    values = [reader.read(row[pos]) for pos, reader in zip(ctx.positions, ctx.readers, strict=True)]
    problems = [(name, p) for pos, name, check in ctx.check_at if (p := check(row[pos])) is not None]
    if ctx.log.full:
        bad = values.count(_INVALID) + (0 if ctx.allow_partial else values.count(None))
        bad += (not ident or ident in seen) + len(problems)
        ctx.log.count_more(bad, line=line)
        return None if bad else tuple(values)  # type: ignore[arg-type]
    found: list[ScenarioError] = []
    source, at = ctx.where(line)

    def fail(message: str) -> None:
        found.append(ScenarioError(message, source=source, line=at))

    if not ident:
        fail(f"column {ctx.id_column}: empty id")
    elif ident in seen:
        fail(f"column {ctx.id_column}: duplicate id {ident!r}")
    for name, problem in problems:
        fail(f"column {name}: {problem}")
    for pos, var, reader, value in zip(ctx.positions, ctx.variables, ctx.readers, values, strict=True):
        raw = row[pos]
        if value is _INVALID:
            unknown = f"; with --allow-partial also {unknown_answers()}" if ctx.blank_hint else ""
            accepted = f"accepted: {accepted_answers()}{unknown}"
            fail(f"column {var.column}: {raw!r} is not one of {reader.allowed} ({accepted})")
        elif value is None and not ctx.allow_partial:
            what = "blank value" if not raw.strip() else f"{raw.strip()!r} means unknown"
            fail(f"column {var.column}: {what}" + (f" ({ctx.blank_hint})" if ctx.blank_hint else ""))
    for error in found:
        ctx.log.add(error, row=line)
    return None if found else tuple(values)  # type: ignore[arg-type]


def read_rdf_scenarios(
    path: Path, decision: DecisionModel, *, allow_partial: bool = False
) -> Iterator[Scenario]:
    """Yield the ``ckg:Scenario`` individuals of an RDF file (Turtle, N-Triples, JSON-LD).

    A scenario's id is its ``dcterms:identifier`` or else its IRI. The data is first validated
    with the SHACL shapes in ``shapes/scenario.ttl`` (the complete-scenario shape unless
    ``allow_partial``); every violation is reported in one :class:`InputErrors`.
    """
    from concord_kg.validate import read_rdf_file, validate_scenarios  # here to keep CSV reading light

    source = str(path)
    try:
        graph = read_rdf_file(path, error=ScenarioError)
    except ScenarioError as exc:
        raise InputErrors([exc]) from exc
    subjects = sorted(s for s in graph.subjects(RDF.type, CKG.Scenario) if isinstance(s, URIRef))
    if not subjects:
        raise InputErrors([ScenarioError("no ckg:Scenario individuals found", source=source)])
    report = validate_scenarios(graph, complete=not allow_partial)
    if not report.conforms:
        raise InputErrors(
            [ScenarioError(f"{r.focus}: {r.message}", source=source, term=r.focus) for r in report.results]
        )
    idents = {s: str(graph.value(s, DCTERMS.identifier) or s) for s in subjects}
    counts = Counter(idents.values())
    duplicates = sorted(i for i, n in counts.items() if n > 1)
    if duplicates:
        raise InputErrors(
            [ScenarioError(f"duplicate scenario id {i!r}", source=source, term=i) for i in duplicates]
        )
    for subject in subjects:
        ident = graph.value(subject, DCTERMS.identifier)
        values = []
        for var in decision.variables:
            found = graph.value(subject, var.iri)
            values.append(next((v for v in var.values if v.iri == found), None))
        yield Scenario(
            id=str(ident) if isinstance(ident, Literal) else str(subject), values=tuple(values), iri=subject
        )
