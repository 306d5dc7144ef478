"""Let browser clients on other origins call the service (CORS headers and preflight answers)."""

from __future__ import annotations

from flask import Flask, Response, current_app, request

__all__ = ["init_app"]

#: Headers a browser client may read from answers.
EXPOSED = "X-Concord-Truncated, X-Concord-Result-Count, Content-Type"


def _add_headers(response: Response) -> Response:
    response.headers["Access-Control-Allow-Origin"] = current_app.config["CORS_ORIGIN"]
    response.headers["Access-Control-Expose-Headers"] = EXPOSED
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = (
            request.headers.get("Access-Control-Request-Headers") or "Accept, Content-Type"
        )
        response.headers["Access-Control-Max-Age"] = "86400"
    return response


def init_app(app: Flask) -> None:
    """Add CORS headers to every response; Flask answers ``OPTIONS`` preflights itself."""
    app.after_request(_add_headers)
