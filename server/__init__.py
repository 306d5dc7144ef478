"""The concord-kg web service: an app factory wiring the SPARQL, terms, API and saved-query blueprints."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

from flask import Flask
from flask.json.provider import DefaultJSONProvider

__all__ = ["SERVER_OPTIONS", "create_app", "serve"]


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Create the app: defaults, then ``CONCORD_*`` environment variables, then ``config``.

    Every setting is parsed strictly (:mod:`server.settings`); nothing opens until the first
    request (or ``app.extensions["concord"].start()``).

    :raises SettingError: a setting has a value that cannot be used.
    """
    from .settings import check_service, resolve

    values = resolve(config, os.environ)
    check_service(values)
    app = Flask(__name__)
    app.config.update(values)
    if isinstance(app.json, DefaultJSONProvider):
        app.json.sort_keys = False

    from . import api, cors, harmonise, pages, problems, queries, registry_page, sparql, terms
    from .backend import Backend

    app.extensions["concord"] = Backend(app.config)
    for module in (problems, cors, sparql, terms, api, queries, pages, registry_page, harmonise):
        module.init_app(app)
    return app


#: waitress settings for a service that faces many clients: connections beyond the default 100 are
#: accepted (slow clients cannot starve the rest), idle or stalled connections are closed after 30 s.
SERVER_OPTIONS: dict[str, Any] = {
    "threads": 8,
    "connection_limit": 1000,
    "channel_timeout": 30,
    "cleanup_interval": 5,
    "ident": "concord-kg",
}


def serve(
    config: Mapping[str, Any] | None,
    host: str,
    port: int,
    *,
    ready: Callable[[str], None] | None = None,
    warn: Callable[[str], None] = print,
) -> None:
    """Serve the app with waitress on ``host:port`` until interrupted; the store opens before listening.

    :param ready: called with the base URL once the socket listens (e.g. to print it).
    :param warn: called with advice about the settings.
    :raises SettingError: a setting cannot be used.
    :raises PortInUse: the port is taken.
    """
    import errno

    from waitress.server import MultiSocketServer, create_server

    from concord_kg.errors import ConcordError

    shown = f"[{host}]" if ":" in host else host
    settings = dict(config or {})
    settings.setdefault("PUBLIC_URL", None)
    app = create_app(settings)
    backend = app.extensions["concord"]
    try:
        # waitress would buffer up to 1 GiB of body before Flask's limit applies: refuse it at the door.
        body_cap = int(app.config["MAX_CONTENT_LENGTH"]) + 64 * 1024
        try:
            server = create_server(
                app, host=host, port=port, max_request_body_size=body_cap, **SERVER_OPTIONS
            )
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ConcordError(
                    f"port {port} on {host} is already in use", hint="choose another with --port"
                ) from None
            raise ConcordError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
        # Two sockets (a name resolving to IPv4 and IPv6) come back as one MultiSocketServer.
        bound = (
            server.effective_listen[0][1]
            if isinstance(server, MultiSocketServer)
            else server.getsockname()[1]
        )
        base = f"http://{shown}:{bound}"
        if not app.config["PUBLIC_URL"]:
            app.config["PUBLIC_URL"] = base + "/"
            if host in ("0.0.0.0", "::", ""):  # noqa: S104 - recognising it, not binding
                warn(
                    f"listening on all interfaces: set --public-url to the address users reach (now {base}/)"
                )
        backend.start()
        if ready is not None:
            ready(base)
        try:
            server.run()
        except KeyboardInterrupt:
            pass
    finally:
        backend.close()
