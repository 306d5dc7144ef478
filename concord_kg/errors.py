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
]


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
    """Several errors in one input, reported all at once (one per line)."""

    def __init__(self, errors: list[ConcordError]) -> None:
        self.errors = errors
        first = errors[0]
        super().__init__("\n".join(str(e) for e in errors), source=None, term=first.term, hint=None)
        self.http_status = max(e.http_status for e in errors)

    def __str__(self) -> str:
        return self.message
