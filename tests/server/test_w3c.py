"""The W3C SPARQL syntax and query-evaluation tests, through the real HTTP endpoint.

Each test runs against a live ``concord-kg serve`` (waitress on 127.0.0.1, one server for the
module, data reloaded per test) and against ``oxigraph serve`` (in memory) as the reference peer.
Tests that a server is known to fail are listed, with the reason, in
``tests/w3c/expected-failures.tsv`` and marked ``xfail(strict=True)``: a listed test that starts
passing fails the run, so the list stays true.
"""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.server.conftest import free_port, launch_serve, wait_for
from tests.server.w3c_suite import EVALUATION_SUITES, ROOT, SYNTAX_SUITES, Server, read_cases, run_case

SERVERS = ("concord-kg", "oxigraph")
CASES = read_cases(SYNTAX_SUITES + EVALUATION_SUITES)


def _expected_failures() -> dict[tuple[str, str], str]:
    with (ROOT / "expected-failures.tsv").open(encoding="utf-8", newline="") as handle:
        rows = csv.DictReader((line for line in handle if not line.startswith("#")), delimiter="\t")
        return {(row["server"], row["test"]): row["reason"] for row in rows}


EXPECTED_FAILURES = _expected_failures()


#: The update token of the module's concord-kg server (a test secret, 16+ characters).
TOKEN = "w3c-test-token-0123456789"  # noqa: S105 - a throwaway secret for a local server


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory, template_store: Path) -> Iterator[dict[str, Server]]:
    """Start both servers once for the module; their data is replaced by each evaluation test."""
    store = tmp_path_factory.mktemp("w3c") / "store"
    shutil.copytree(template_store, store)
    oxigraph_port = free_port()
    ours, base = launch_serve(
        "--store",
        str(store),
        "--allow-update",
        "--workers",
        "1",
        "--query-timeout",
        "10",
        env={"CONCORD_UPDATE_TOKEN": TOKEN},
    )
    oxigraph = subprocess.Popen(
        [str(Path(sys.executable).with_name("oxigraph")), "serve", "--bind", f"127.0.0.1:{oxigraph_port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(f"http://127.0.0.1:{oxigraph_port}/")
        found = {
            "concord-kg": Server(f"{base}/sparql", f"{base}/sparql", token=TOKEN),
            "oxigraph": Server(
                f"http://127.0.0.1:{oxigraph_port}/query", f"http://127.0.0.1:{oxigraph_port}/update"
            ),
        }
        for server in found.values():
            # Syntax tests evaluate their queries too: on an empty store they answer at once.
            status, body = server.post(server.update_url, b"DROP SILENT ALL", "application/sparql-update")
            assert status < 300, body
        yield found
    finally:
        for process in (ours, oxigraph):
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def _params() -> list:
    params = []
    for name in SERVERS:
        for case in CASES:
            marks = []
            reason = EXPECTED_FAILURES.get((name, case.id))
            if reason:
                marks.append(pytest.mark.xfail(reason=reason, strict=True))
            params.append(pytest.param(name, case, id=f"{name}:{case.id}", marks=marks))
    return params


@pytest.mark.slow
@pytest.mark.parametrize(("server_name", "case"), _params())
def test_w3c(servers: dict[str, Server], server_name: str, case: object) -> None:
    failure = run_case(servers[server_name], case)  # type: ignore[arg-type]
    assert failure is None, failure


def test_expected_failures_name_real_tests() -> None:
    known = {case.id for case in CASES}
    assert {test for _, test in EXPECTED_FAILURES} <= known
    assert {server for server, _ in EXPECTED_FAILURES} <= set(SERVERS)


def test_suite_is_complete() -> None:
    """The vendored suites are all there (a missing manifest would silently shrink the run)."""
    kinds = {kind: sum(c.kind == kind for c in CASES) for kind in ("positive", "negative", "evaluation")}
    assert kinds["positive"] >= 215
    assert kinds["negative"] >= 90
    assert kinds["evaluation"] >= 235
    assert "LICENSES FOR W3C TEST SUITES" in (ROOT / "LICENSE.md").read_text(encoding="utf-8")
    assert b"SOFTWARE NOTICE AND LICENSE" in (ROOT / "sparql/sparql10/LICENSE").read_bytes()
