"""Answer every error as an RFC 9457 problem document (``application/problem+json``), never a traceback."""

from __future__ import annotations

import re

from flask import Flask, Response, current_app, json
from werkzeug.exceptions import HTTPException

from concord_kg.errors import ConcordError, InputErrors

__all__ = ["PROBLEM_TYPE", "problem", "init_app"]

#: Media type of problem documents.
PROBLEM_TYPE = "application/problem+json"
#: Base of the ``type`` IRIs of the project's own problems.
_TYPE_BASE = "https://w3id.org/concord-kg/problems/"


def problem(status: int, title: str, detail: str, *, type_: str = "about:blank", **extra: object) -> Response:
    """Return a problem document response."""
    body = {"type": type_, "title": title, "status": status, "detail": detail}
    body.update({k: v for k, v in extra.items() if v is not None})
    return Response(json.dumps(body), status=status, mimetype=PROBLEM_TYPE)


def _concord_error(exc: ConcordError) -> Response:
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
        exc.http_status,
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
