"""Regression tests reuse the server fixtures (real store copies, app, live server, listener)."""

from tests.server.conftest import (  # noqa: F401 - fixtures
    app,
    app_config,
    client,
    listener,
    start_server,
    store_dir,
    template_store,
)
