"""Read patient scenarios from CSV, Turtle or JSON-LD, reporting every bad row at once."""

from __future__ import annotations

import csv
import operator
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF

from concord_kg.decision import DecisionModel, Value, Variable
from concord_kg.errors import InputErrors, ScenarioError
from concord_kg.ontology import CKG

__all__ = ["Scenario", "read_scenarios", "read_csv_scenarios", "read_rdf_scenarios", "ID_COLUMN", "SYNONYMS"]

#: The CSV column that identifies a scenario.
ID_COLUMN = "id"
#: Spellings accepted in CSV cells for the ontology's ``yes``/``no`` value notations (any case).
SYNONYMS = {"yes": "yes", "y": "yes", "true": "yes", "no": "no", "n": "no", "false": "no"}
#: Base of the IRIs given to scenarios read from CSV.
SCENARIO_BASE = "https://w3id.org/concord-kg/data/scenario/"

_MISSING = object()
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
    path: Path, decision: DecisionModel, *, allow_partial: bool = False, id_column: str = ID_COLUMN
) -> Iterator[Scenario]:
    """Yield the scenarios of a CSV, Turtle or JSON-LD file (chosen by extension).

    Errors are collected while reading; once the input is exhausted, all of them are raised
    together as :class:`InputErrors` (the scenarios already yielded must then be discarded).
    """
    if path.suffix.lower() in {".ttl", ".nt", ".jsonld", ".json", ".rdf", ".owl"}:
        return read_rdf_scenarios(path, decision, allow_partial=allow_partial)
    return read_csv_scenarios(path, decision, allow_partial=allow_partial, id_column=id_column)


def _value_reader(var: Variable) -> tuple[dict[str, Value | None], str]:
    """Return a cache from raw cell text to value (blank → None) and the allowed spellings."""
    cache: dict[str, Value | None] = {"": None}
    for spelling, notation in SYNONYMS.items():
        value = var.value(notation)
        if value is not None:
            for variant in {spelling, spelling.upper(), spelling.capitalize()}:
                cache[variant] = value
    allowed = "/".join(v.notation for v in var.values)
    return cache, allowed


def read_csv_scenarios(
    path: Path,
    decision: DecisionModel,
    *,
    allow_partial: bool = False,
    id_column: str = ID_COLUMN,
    checks: Mapping[str, Callable[[str], str | None]] | None = None,
    blank_hint: str | None = "use --allow-partial to accept unknowns",
) -> Iterator[Scenario]:
    """Yield scenarios from a CSV with an id column and one column per decision variable.

    Extra columns are kept in :attr:`Scenario.extra`. Raises :class:`InputErrors` at the end
    if any row was bad: missing column, unknown or blank value, duplicate id, empty file.

    :param checks: further required columns, each with a function that returns an error message
        for a bad cell (reported as ``column NAME: message``) or ``None`` (the registry reader's
        ORPHAcode column uses this).
    :param blank_hint: said in brackets after "blank value" when a decision cell is empty.
    """
    try:
        yield from _read_csv(path, decision, allow_partial, id_column, checks or {}, blank_hint)
    except UnicodeDecodeError as exc:
        problem = ScenarioError(f"not UTF-8 text (byte {exc.start} cannot be decoded)", source=str(path))
        raise InputErrors([problem]) from exc
    except csv.Error as exc:
        raise InputErrors([ScenarioError(f"not a readable CSV file: {exc}", source=str(path))]) from exc


def _read_csv(
    path: Path,
    decision: DecisionModel,
    allow_partial: bool,
    id_column: str,
    checks: Mapping[str, Callable[[str], str | None]],
    blank_hint: str | None,
) -> Iterator[Scenario]:
    """Read the rows of :func:`read_csv_scenarios` (which turns decoding errors into input errors)."""
    source = str(path)
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise ScenarioError(f"cannot read: {exc.strerror}", source=source) from exc
    with handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if not header or not any(h.strip() for h in header):
            raise InputErrors([ScenarioError("empty file: expected a header row", source=source, line=1)])
        header = [h.strip() for h in header]
        needed = [id_column] + [v.column for v in decision.variables] + list(checks)
        missing = [c for c in needed if c not in header]
        if missing:
            raise InputErrors(
                [
                    ScenarioError(f"column {c}: missing from the header", source=source, line=1)
                    for c in missing
                ]
            )
        id_at = header.index(id_column)
        positions = [header.index(v.column) for v in decision.variables]
        readers = [_value_reader(v) for v in decision.variables]
        caches = [cache for cache, _ in readers]
        cells = operator.itemgetter(*positions) if len(positions) > 1 else lambda row: (row[positions[0]],)
        check_at = [(header.index(c), c, check) for c, check in checks.items()]
        used = set(needed) - set(checks)
        extra_at = [(i, h) for i, h in enumerate(header) if h not in used]
        width = len(header)
        seen: set[str] = set()
        errors: list[ScenarioError] = []
        rows = 0
        context = _RowContext(
            source,
            id_column,
            decision.variables,
            positions,
            readers,
            check_at,
            allow_partial,
            blank_hint,
            errors,
        )
        for line, row in enumerate(reader, start=2):
            if not row:
                continue
            rows += 1
            if len(row) != width:
                errors.append(
                    ScenarioError(
                        f"row has {len(row)} fields, the header has {width}", source=source, line=line
                    )
                )
                continue
            ident = row[id_at].strip()
            try:
                # Fast path: cells spelled as seen before, no blanks (unless allowed), checks pass.
                values = tuple(map(_lookup, caches, cells(row)))
                clean = bool(ident) and ident not in seen and (allow_partial or None not in values)
                if clean and check_at:
                    clean = all(check(row[pos]) is None for pos, _, check in check_at)
            except KeyError:
                clean = False
            if not clean:
                checked = _check_row(row, line, ident, seen, context)
                seen.add(ident)
                if checked is None:
                    continue
                values = checked
            else:
                seen.add(ident)
            if not errors:
                extra = {h: row[i] for i, h in extra_at} if extra_at else {}
                yield Scenario(id=ident, values=values, line=line, extra=extra)
        if rows == 0:
            errors.append(
                ScenarioError("empty file: no scenario rows after the header", source=source, line=2)
            )
        if errors:
            raise InputErrors(errors)


@dataclass(slots=True)
class _RowContext:
    """What the cell-by-cell check of a row needs to know about the file being read."""

    source: str
    id_column: str
    variables: list[Variable]
    positions: list[int]
    readers: list[tuple[dict[str, Value | None], str]]
    check_at: list[tuple[int, str, Callable[[str], str | None]]]
    allow_partial: bool
    blank_hint: str | None
    errors: list[ScenarioError]


def _check_row(
    row: list[str], line: int, ident: str, seen: set[str], ctx: _RowContext
) -> tuple[Value | None, ...] | None:
    """Check one row cell by cell; record its errors and return ``None`` if it has any."""
    found: list[ScenarioError] = []

    def fail(message: str) -> None:
        found.append(ScenarioError(message, source=ctx.source, line=line))

    if not ident:
        fail(f"column {ctx.id_column}: empty id")
    elif ident in seen:
        fail(f"column {ctx.id_column}: duplicate id {ident!r}")
    for pos, name, check in ctx.check_at:
        problem = check(row[pos])
        if problem is not None:
            fail(f"column {name}: {problem}")
    values: list[Value | None] = []
    for pos, var, (cache, allowed) in zip(ctx.positions, ctx.variables, ctx.readers, strict=True):
        raw = row[pos]
        value = cache.get(raw, _MISSING)
        if value is _MISSING:
            value = cache.get(raw.strip().lower(), _MISSING)
        if value is _MISSING:
            fail(f"column {var.column}: {raw!r} is not one of {allowed}")
            continue
        if value is None and not ctx.allow_partial:
            fail(f"column {var.column}: blank value" + (f" ({ctx.blank_hint})" if ctx.blank_hint else ""))
        values.append(value)  # type: ignore[arg-type]
    ctx.errors.extend(found)
    return None if found else tuple(values)


def read_rdf_scenarios(
    path: Path, decision: DecisionModel, *, allow_partial: bool = False
) -> Iterator[Scenario]:
    """Yield the ``ckg:Scenario`` individuals of an RDF file (Turtle, N-Triples, JSON-LD).

    A scenario's id is its ``dcterms:identifier`` or else its IRI. The data is first validated
    with the SHACL shapes in ``shapes/scenario.ttl`` (the complete-scenario shape unless
    ``allow_partial``); every violation is reported in one :class:`InputErrors`.
    """
    from concord_kg.validate import validate_scenarios  # here to keep CSV reading light

    source = str(path)
    graph = Graph()
    fmt = {".nt": "nt", ".jsonld": "json-ld", ".json": "json-ld", ".rdf": "xml", ".owl": "xml"}.get(
        path.suffix.lower(), "turtle"
    )
    try:
        graph.parse(path, format=fmt)
    except OSError as exc:
        raise ScenarioError(f"cannot read: {exc.strerror}", source=source) from exc
    except Exception as exc:  # rdflib's parsers raise several types
        message = " ".join(str(exc).split())  # one line, as every input error
        raise InputErrors([ScenarioError(f"unparsable RDF: {message}", source=source)]) from exc
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
