"""Server fixtures: a real store in a temp dir, the Flask app and test client, a live waitress server."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from concord_kg.server import create_app
from concord_kg.store import EmbeddedStore, ensure_ontology
from tests.conftest import SCRIPT

#: A query that enumerates ~10^11 combinations: it runs for minutes unless stopped.
SLOW_QUERY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


@pytest.fixture(scope="session")
def template_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with the ontology graphs loaded once per session; tests copy it."""
    path = tmp_path_factory.mktemp("template") / "store"
    with EmbeddedStore(path) as store:
        ensure_ontology(store)
    return path


@pytest.fixture
def store_dir(template_store: Path, tmp_path: Path) -> Path:
    """A fresh copy of the template store for one test."""
    target = tmp_path / "store"
    shutil.copytree(template_store, target)
    return target


@pytest.fixture
def app_config() -> dict:
    """Settings for :func:`app`; override in a test module or with ``pytest.mark.parametrize``."""
    return {}


@pytest.fixture
def app(store_dir: Path, app_config: dict) -> Iterator[Flask]:
    """The Flask app on a fresh store copy (small time limit so slow-query tests stay short)."""
    config = {"STORE_DIR": str(store_dir), "QUERY_TIMEOUT": 5.0, "TESTING": True, **app_config}
    application = create_app(config)
    yield application
    application.extensions["concord"].close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """The Flask test client."""
    return app.test_client()


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, *, timeout: float = 30.0) -> None:
    """Poll ``url`` until it answers."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - local test server
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def launch_serve(*options: str, env: dict[str, str] | None = None) -> tuple[subprocess.Popen[str], str]:
    """Start the installed ``concord-kg serve`` on a free port of 127.0.0.1; return it and its base URL.

    Returns once the server says it serves and ``/health`` answers; a server that exits first is an error.

    :param env: variables added to this process's environment (e.g. ``CONCORD_UPDATE_TOKEN``).
    """
    port = free_port()
    command = [str(SCRIPT), "serve", "--port", str(port), *options]
    environment = {**os.environ, **(env or {})}
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=environment
    )
    assert process.stderr is not None
    for line in process.stderr:
        if "serving at" in line:
            break
    else:
        raise RuntimeError(f"server did not start (exit {process.wait()})")
    threading.Thread(target=process.stderr.read, daemon=True).start()  # keep the pipe from filling up
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(base + "/health")
    except OSError:
        process.kill()
        raise
    return process, base


@pytest.fixture
def start_server(tmp_path: Path, template_store: Path) -> Iterator[Callable[..., str]]:
    """Start ``concord-kg serve`` (the installed script, waitress) on 127.0.0.1; return its base URL."""
    processes: list[subprocess.Popen] = []

    def start(*options: str, store: Path | None = None) -> str:
        if store is None:
            store = tmp_path / f"live-store-{len(processes)}"
            shutil.copytree(template_store, store)
        process, base = launch_serve("--store", str(store), *options)
        processes.append(process)
        return base

    yield start
    for process in processes:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture
def live_server(start_server: Callable[..., str]) -> str:
    """A live server with small limits: 3 s per query, 50 results."""
    return start_server("--query-timeout", "3", "--max-results", "50")


class Listener:
    """A TCP socket on 127.0.0.1 that records every connection made to it."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._stop = False
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop = True
        self._thread.join()
        self.sock.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    """A listening socket that must never be contacted by the server."""
    opened = Listener()
    yield opened
    opened.close()
