"""Answer every error as an RFC 9457 problem document (``application/problem+json``), never a traceback.

The one place an error class becomes an HTTP status (:data:`STATUS`): the library's errors say
what is wrong and where, the server decides how that is answered.
"""

from __future__ import annotations

import re

from flask import Flask, Response, current_app, json
from werkzeug.exceptions import HTTPException

from concord_kg.errors import (
    ConcordError,
    ForbiddenQueryError,
    InputErrors,
    ReasonerError,
    ScenarioError,
    StoreError,
    UnknownTermError,
)

from .api import TooLargeToValidate
from .results import NotAcceptableAnswer

__all__ = ["PROBLEM_TYPE", "STATUS", "problem", "status_of", "init_app"]

#: Media type of problem documents.
PROBLEM_TYPE = "application/problem+json"
#: Base of the ``type`` IRIs of the project's own problems.
_TYPE_BASE = "https://w3id.org/concord-kg/problems/"

#: HTTP status of each kind of error; an error takes the status of its nearest class listed here.
STATUS: dict[type[ConcordError], int] = {
    ConcordError: 400,  # bad input: syntax, unknown file type, malformed query...
    ScenarioError: 422,  # well-formed but invalid data
    UnknownTermError: 404,
    ForbiddenQueryError: 403,  # read-only, SERVICE, LOAD
    NotAcceptableAnswer: 406,
    TooLargeToValidate: 413,
    StoreError: 503,  # the store is locked or down, a query timed out, a worker died
    ReasonerError: 503,
}


def status_of(error: ConcordError) -> int:
    """Return the HTTP status that answers ``error``; several errors at once take the highest.

    >>> status_of(UnknownTermError("no term 'x'"))
    404
    >>> status_of(InputErrors([ConcordError("bad syntax"), ScenarioError("bad value")]))
    422
    """
    if isinstance(error, InputErrors):
        return max(status_of(e) for e in error.errors)
    return next(STATUS[cls] for cls in type(error).__mro__ if cls in STATUS)


def problem(status: int, title: str, detail: str, *, type_: str = "about:blank", **extra: object) -> Response:
    """Return a problem document response."""
    body = {"type": type_, "title": title, "status": status, "detail": detail}
    body.update({k: v for k, v in extra.items() if v is not None})
    return Response(json.dumps(body), status=status, mimetype=PROBLEM_TYPE)


def _concord_error(exc: ConcordError) -> Response:
    if type(exc) is StoreError:
        # The store's own failure (a remote endpoint's error page, the store's folder): logged for the
        # operator, never shown to a client. The pool's subclasses (timeout, busy) are ours to tell.
        current_app.logger.warning("store error: %s", exc)
        return problem(
            503,
            "Store error",
            "The store failed or did not answer; the error was logged.",
            type_=_TYPE_BASE + "store-error",
        )
    name = type(exc).__name__
    words = re.sub(r"(?<!^)(?=[A-Z])", " ", name).lower()
    extra: dict[str, object] = {"source": exc.source, "line": exc.line, "term": exc.term, "hint": exc.hint}
    if isinstance(exc, InputErrors):
        extra["errors"] = [
            {"detail": e.message, "source": e.source, "line": e.line, "column": e.column, "term": e.term}
            for e in exc.errors
        ]
        extra["term"] = None
    return problem(
        status_of(exc),
        words[0].upper() + words[1:],
        str(exc),
        type_=_TYPE_BASE + words.replace(" ", "-"),
        **extra,
    )


def _http_error(exc: HTTPException) -> Response:
    response = problem(exc.code or 500, exc.name, exc.description or exc.name)
    headers = dict(exc.get_headers())
    for header in ("Allow", "Retry-After", "WWW-Authenticate"):
        if header in headers:
            response.headers[header] = headers[header]
    return response


def _unexpected(exc: Exception) -> Response:
    current_app.logger.exception("unexpected error")
    return problem(500, "Internal server error", "The server failed; the error was logged.")


def init_app(app: Flask) -> None:
    """Register the error handlers."""
    app.register_error_handler(ConcordError, _concord_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
