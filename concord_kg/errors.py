"""Errors for input a user can fix: each says what is wrong and where."""

from __future__ import annotations

from typing import TypeVar

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
    "parse_error",
    "read_error",
]

#: How many errors of one input are listed; the rest are counted in one closing line.
MAX_LISTED_ERRORS = 50


class ConcordError(ValueError):
    """Base class: a message plus where it happened (file, line/row, column, term) and a hint.

    ``str(error)`` renders ``source:line: message (hint)`` (the parts that are known), the one
    line the CLI prints and the ``detail`` the server puts in a problem document (the server maps
    each class to an HTTP status in ``server.problems``). The column and term are kept as
    attributes and are not added again: a message names its column in its own words ("object_id
    X: not a taxonomy term"), since a column may be a name or a position.
    """

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

    def __reduce__(self) -> tuple[object, ...]:
        # Rebuilt from its attributes when sent between processes (the query workers): the
        # keyword-only arguments are not in ``args``, so the default pickling would lose them.
        return _restore, (type(self), dict(self.__dict__))

    def __str__(self) -> str:
        where = ":".join(str(p) for p in (self.source, self.line) if p is not None)
        text = self.message
        if self.hint:
            text = f"{text} ({self.hint})"
        return f"{where}: {text}" if where else text


def _restore(cls: type[ConcordError], state: dict[str, object]) -> ConcordError:
    error = cls.__new__(cls)
    error.args = (state.get("message"),)
    error.__dict__.update(state)
    return error


class OntologyLoadError(ConcordError):
    """An ontology module cannot be read or parsed."""


class ShapesLoadError(ConcordError):
    """A SHACL shapes file cannot be read or parsed."""


class ScenarioError(ConcordError):
    """Scenario or registry input is malformed (missing column, unknown value, duplicate id...)."""


class UnknownTermError(ConcordError):
    """A notation, local name or IRI names no term of the ontology."""


class QueryError(ConcordError):
    """A SPARQL query is malformed, uses a forbidden feature, or a saved query is misused."""


class MappingError(ConcordError):
    """A mapping (SSSOM) file or harmonisation input is malformed."""


class ForbiddenQueryError(QueryError):
    """A SPARQL request uses something the service refuses (update when read-only, SERVICE, LOAD)."""


class DataLoadError(ConcordError):
    """A data file given to ``concord-kg load`` (or the store) cannot be read or parsed."""


class StoreError(ConcordError):
    """The store cannot be opened or reached (locked by another process, endpoint down)."""


class ReasonerError(ConcordError):
    """The OWL reasoner (a Java program) could not run."""


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


#: Characters of a parser's reason kept in a message (a reason may quote the offending input).
_MAX_REASON = 300

_E = TypeVar("_E", bound=ConcordError)


def parse_error(exc: Exception, *, error: type[_E], source: str | None, syntax: str) -> _E:
    """Wrap a parser's exception (pyoxigraph's or rdflib's) as ``error``: ``not valid <syntax>: <reason>``.

    The one place parse errors become user errors, so every command words them alike and names
    the line where the parser gives one (rdflib's Turtle parser counts lines from 0; here from 1).

    >>> from pyoxigraph import RdfFormat, parse
    >>> try:
    ...     list(parse(b"<urn:a> <urn:b> .", format=RdfFormat.TURTLE))
    ... except SyntaxError as exc:
    ...     print(parse_error(exc, error=DataLoadError, source="a.ttl", syntax="Turtle"))
    a.ttl:1: not valid Turtle: Parser error at line 1 column 17: . is not a valid RDF object
    """
    line, reason = _where_and_why(exc)
    reason = " ".join(reason.split())  # one line, as every input error
    if len(reason) > _MAX_REASON:
        reason = reason[:_MAX_REASON] + "…"
    return error(f"not valid {syntax}: {reason}", source=source, line=line)


def read_error(exc: OSError, *, error: type[_E], source: str | None) -> _E:
    """Wrap a failed read as ``error``: ``cannot read: <reason>``, the one wording of unreadable inputs.

    pyoxigraph raises ``FileNotFoundError`` with no ``strerror``; its message stands in then.

    >>> print(read_error(FileNotFoundError(2, "No such file"), error=DataLoadError, source="a.ttl"))
    a.ttl: cannot read: No such file
    >>> print(read_error(FileNotFoundError("No such file (os error 2)"), error=DataLoadError, source=None))
    cannot read: No such file (os error 2)
    """
    return error(f"cannot read: {exc.strerror or exc}", source=source)


def _where_and_why(exc: Exception) -> tuple[int | None, str]:
    """Return the line (from 1) and the reason a parser gives, by what each parser's exception carries."""
    why = getattr(exc, "_why", None)  # rdflib's Turtle/N3 BadSyntax: the message quotes the whole input
    if why is not None:
        lines = getattr(exc, "lines", None)
        return (lines + 1 if isinstance(lines, int) else None), str(why)
    get_line = getattr(exc, "getLineNumber", None)  # xml.sax (rdflib's RDF/XML)
    if callable(get_line):
        line = get_line()
        message = getattr(exc, "getMessage", lambda: str(exc))()
        return (line if isinstance(line, int) else None), str(message)
    line = getattr(exc, "lineno", None)  # pyoxigraph's SyntaxError, json.JSONDecodeError
    message = getattr(exc, "msg", None) or str(exc)
    text = str(message).strip().splitlines()
    return (line if isinstance(line, int) else None), (text[-1] if text else type(exc).__name__)
