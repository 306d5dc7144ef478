"""The concord-kg web service: an app factory wiring the SPARQL, terms, API and saved-query blueprints."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask

__all__ = ["DEFAULTS", "create_app"]

#: Every setting and its default, in one place; ``CONCORD_<NAME>`` environment variables override
#: them, and the mapping given to :func:`create_app` overrides both.
DEFAULTS: dict[str, Any] = {
    "STORE_DIR": ".concord-kg/store",  # embedded Oxigraph store folder
    "ENDPOINT": None,  # a SPARQL 1.1 query endpoint URL instead of the embedded store
    "GRAPH_STORE": None,  # Graph Store Protocol URL of that endpoint (default: derived)
    "QUERY_TIMEOUT": 30.0,  # seconds before a query is stopped
    "MAX_RESULTS": 100_000,  # rows or triples returned at most
    "ALLOW_UPDATE": False,  # accept SPARQL Update
    "WORKERS": 2,  # query worker processes (embedded store)
    "MAX_CONTENT_LENGTH": 1024 * 1024,  # request bodies above this get 413
    "MAX_VALIDATE_TRIPLES": 50_000,  # /api/validate: larger data is refused (SHACL runs in the request)
    "CORS_ORIGIN": "*",  # Access-Control-Allow-Origin
}

_BOOLEAN = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False, "": False}


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Create the app: defaults, then ``CONCORD_*`` environment variables, then ``config``.

    Nothing opens until the first request (or ``app.extensions["concord"].start()``).
    """
    app = Flask(__name__)
    app.config.update(DEFAULTS)
    app.config.update(_from_environment(os.environ))
    if config:
        app.config.update({k: v for k, v in config.items() if v is not None or k not in DEFAULTS})
    app.json.sort_keys = False  # type: ignore[attr-defined]

    from server import api, cors, harmonise, pages, problems, queries, sparql, terms
    from server.backend import Backend

    app.extensions["concord"] = Backend(app.config)
    for module in (problems, cors, sparql, terms, api, queries, pages, harmonise):
        module.init_app(app)
    return app


def _from_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    """Read ``CONCORD_<NAME>`` variables, converted to the type of the default."""
    values: dict[str, Any] = {}
    for name, default in DEFAULTS.items():
        raw = environ.get(f"CONCORD_{name}")
        if raw is None:
            continue
        if isinstance(default, bool):
            values[name] = _BOOLEAN.get(raw.strip().lower(), True)
        elif isinstance(default, int):
            values[name] = int(raw)
        elif isinstance(default, float):
            values[name] = float(raw)
        else:
            values[name] = raw or None
    return values
