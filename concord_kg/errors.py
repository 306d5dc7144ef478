"""Errors for input a user can fix: each says what is wrong and where."""

from __future__ import annotations

__all__ = [
    "ConcordError",
    "OntologyLoadError",
    "ShapesLoadError",
    "ScenarioError",
    "UnknownTermError",
    "QueryError",
    "MappingError",
    "ReasonerError",
    "ForbiddenQueryError",
    "DataLoadError",
    "StoreError",
    "InputErrors",
    "ErrorLog",
    "MAX_LISTED_ERRORS",
]

#: How many errors of one input are listed; the rest are counted in one closing line.
MAX_LISTED_ERRORS = 50


class ConcordError(ValueError):
    """Base class: a message plus where it happened (file, line/row, column, term) and a hint.

    ``str(error)`` renders ``source:line:column: message`` (the parts that are known), the one
    line the CLI prints and the ``detail`` the server puts in a problem document.
    """

    #: HTTP status the server answers with for this kind of error.
    http_status: int = 400

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        line: int | None = None,
        column: str | int | None = None,
        term: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.source = source
        self.line = line
        self.column = column
        self.term = term
        self.hint = hint

    def __str__(self) -> str:
        where = ":".join(str(p) for p in (self.source, self.line) if p is not None)
        text = self.message
        if self.hint:
            text = f"{text} ({self.hint})"
        return f"{where}: {text}" if where else text


class OntologyLoadError(ConcordError):
    """An ontology module cannot be read or parsed."""


class ShapesLoadError(ConcordError):
    """A SHACL shapes file cannot be read or parsed."""


class ScenarioError(ConcordError):
    """Scenario or registry input is malformed (missing column, unknown value, duplicate id...)."""

    http_status = 422


class UnknownTermError(ConcordError):
    """A notation, local name or IRI names no term of the ontology."""

    http_status = 404


class QueryError(ConcordError):
    """A SPARQL query is malformed, uses a forbidden feature, or a saved query is misused."""


class MappingError(ConcordError):
    """A mapping (SSSOM) file or harmonisation input is malformed."""


class ForbiddenQueryError(QueryError):
    """A SPARQL request uses something the service refuses (update when read-only, SERVICE, LOAD)."""

    http_status = 403


class DataLoadError(ConcordError):
    """A data file given to ``concord-kg load`` (or the store) cannot be read or parsed."""


class StoreError(ConcordError):
    """The store cannot be opened or reached (locked by another process, endpoint down)."""

    http_status = 503


class ReasonerError(ConcordError):
    """The OWL reasoner (a Java program) could not run."""

    http_status = 503


class InputErrors(ConcordError):
    """Several errors in one input, reported all at once (one per line).

    At most :data:`MAX_LISTED_ERRORS` are listed; the message then ends with
    ``… and N more errors (M rows affected)``.

    :param total: how many errors the input has in all (default: ``len(errors)``).
    :param rows: how many rows those errors are on (default: counted from ``errors``).
    """

    def __init__(
        self, errors: list[ConcordError], *, total: int | None = None, rows: int | None = None
    ) -> None:
        self.errors = errors[:MAX_LISTED_ERRORS]
        self.total = len(errors) if total is None else total
        self.rows = len({(e.source, e.line) for e in errors}) if rows is None else rows
        first = errors[0]
        lines = [str(e) for e in self.errors]
        if self.total > len(self.errors):
            lines.append(f"… and {self.total - len(self.errors)} more errors ({self.rows} rows affected)")
        super().__init__("\n".join(lines), source=None, term=first.term, hint=None)
        self.http_status = max(e.http_status for e in self.errors)

    def __str__(self) -> str:
        return self.message


class ErrorLog:
    """Collect the errors of one input in bounded memory: keep the first few, count the rest.

    Errors must be added row by row (as a reader meets them), so rows are counted without storing them.

    >>> log = ErrorLog(limit=1)
    >>> log.add(ScenarioError("bad", source="f.csv", line=2))
    >>> log.count_more(3, line=3)
    >>> print(log.as_exception())
    f.csv:2: bad
    … and 3 more errors (2 rows affected)
    """

    def __init__(self, limit: int = MAX_LISTED_ERRORS) -> None:
        self.limit = limit
        self.listed: list[ConcordError] = []
        self.total = 0
        self.rows = 0
        self._last_line: object = object()

    def __bool__(self) -> bool:
        return self.total > 0

    @property
    def full(self) -> bool:
        """Whether further errors are only counted (so callers need not build them)."""
        return len(self.listed) >= self.limit

    def _row(self, line: int | None) -> None:
        if line is None or line != self._last_line:
            self.rows += 1
            self._last_line = line

    def add(self, error: ConcordError, *, row: int | None = None) -> None:
        """Record one error: kept if there is room, counted in any case.

        :param row: the input row the error is on, when ``error.line`` does not say (rows named otherwise).
        """
        self._row(error.line if row is None else row)
        self.total += 1
        if len(self.listed) < self.limit:
            self.listed.append(error)

    def count_more(self, n: int, *, line: int | None) -> None:
        """Count ``n`` errors on ``line`` without building them (once :attr:`full`)."""
        if n:
            self._row(line)
            self.total += n

    def as_exception(self) -> InputErrors:
        """Return the errors as one :class:`InputErrors` (call only when there are errors)."""
        return InputErrors(self.listed, total=self.total, rows=self.rows)
