"""Response headers: CORS for read answers (browser clients on other origins), and browser hardening.

Write answers (SPARQL Update) never carry CORS headers, and a preflight allows only the headers a
reader needs: a page on another origin cannot use a visitor's browser to change the store.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, g, request

__all__ = ["SECURITY_HEADERS", "init_app"]

#: Headers a browser client may read from answers.
EXPOSED = "X-Concord-Truncated, X-Concord-Result-Count, Content-Type"
#: Request headers a cross-origin reader may send (no ``Authorization``: writes are same-origin only).
_ALLOWED_HEADERS = "Accept, Content-Type"
#: Sent on every answer. Pages load scripts and data only from this service; inline styles are
#: allowed (term pages and the vendored editor use them), inline scripts are not.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def _add_headers(response: Response) -> Response:
    response.headers.update(SECURITY_HEADERS)
    if g.get("concord_write"):
        return response
    response.headers["Access-Control-Allow-Origin"] = current_app.config["CORS_ORIGIN"]
    response.headers["Access-Control-Expose-Headers"] = EXPOSED
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = _ALLOWED_HEADERS
        response.headers["Access-Control-Max-Age"] = "86400"
    return response


def init_app(app: Flask) -> None:
    """Add the headers to every response; Flask answers ``OPTIONS`` preflights itself."""
    app.after_request(_add_headers)
