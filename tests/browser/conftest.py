"""Browser fixtures: the app under waitress on 127.0.0.1 in a thread, and Debian's Chromium via Playwright.

Chromium is never downloaded: tests use ``/usr/bin/chromium`` (``apt-get install chromium``; CI
installs it). Every request the pages make to a host other than the test server is refused and
recorded, so a test can check that the pages need no external network.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, Route, sync_playwright

from concord_kg.server import create_app
from concord_kg.store import EmbeddedStore, ensure_ontology

#: Debian's Chromium, and the flags that keep it off the network and quiet as root in a container.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Serve ``create_app`` with waitress on a free port of 127.0.0.1 for the whole session."""
    import waitress

    store = tmp_path_factory.mktemp("browser") / "store"
    with EmbeddedStore(store) as opened:
        ensure_ontology(opened)
    app = create_app({"STORE_DIR": str(store), "QUERY_TIMEOUT": 10.0, "WORKERS": 1})
    server = waitress.create_server(app, host="127.0.0.1", port=0, threads=4)
    app.config["PUBLIC_URL"] = f"http://127.0.0.1:{server.effective_port}/"  # links and the endpoint
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()
    app.extensions["concord"].close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """A headless Debian Chromium driven by Playwright."""
    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} not found: apt-get install -y chromium")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


class Offsite(list):
    """The URLs of requests the page tried to make to other hosts (all refused)."""


def _new_page(browser: Browser, base_url: str, offsite: Offsite, **options: bool) -> Page:
    context = browser.new_context(base_url=base_url, accept_downloads=True, **options)

    def route(route: Route) -> None:
        url = route.request.url
        if url.startswith(base_url) or url.startswith("data:") or url.startswith("blob:"):
            route.continue_()
        else:
            offsite.append(url)
            route.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


@pytest.fixture
def offsite() -> Offsite:
    """Requests to other hosts made during a test."""
    return Offsite()


@pytest.fixture
def page(browser: Browser, base_url: str, offsite: Offsite) -> Iterator[Page]:
    """A fresh browser page (JavaScript on) whose off-site requests are refused; asserts there were none."""
    opened = _new_page(browser, base_url, offsite)
    yield opened
    opened.context.close()
    assert list(offsite) == [], f"pages tried to reach other hosts: {offsite}"


@pytest.fixture
def page_without_js(browser: Browser, base_url: str, offsite: Offsite) -> Iterator[Page]:
    """A browser page with JavaScript turned off."""
    opened = _new_page(browser, base_url, offsite, java_script_enabled=False)
    yield opened
    opened.context.close()
