"""Issue 16: a guard bypass gave full-read SSRF; writes had no authentication; costs were unbounded.

Each test attacks the real service (the installed ``concord-kg serve`` or the Flask app on a real
store) the way the finding did; on the code before the fix each one fails.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox
import pytest
from flask.testing import FlaskClient

from concord_kg.server import create_app
from concord_kg.server.pool import WorkerDied, WorkerPool
from concord_kg.server.results import Job
from concord_kg.server.settings import SETTINGS, SettingError, resolve
from concord_kg.store import EmbeddedStore, data_graph
from tests.conftest import SCRIPT
from tests.server.conftest import SLOW_QUERY, Listener
from tests.server.test_live import fetch, query_url

TOKEN = "a-test-token-of-16+"  # noqa: S105 - a test secret
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def disguises(target: str) -> list[str]:
    """Every way of hiding SERVICE from the guard found so far."""
    return [
        f"SELECT ?s ?p ?o WHERE {{ #x\r SERVICE <{target}> {{ ?s ?p ?o }} \n }}",  # the finding
        f"SELECT ?s ?p ?o WHERE {{ #x\r\r SERVICE <{target}> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ ?s ?p ?o #\r\n SERVICE <{target}> {{ ?s ?p ?o }} }}",
        rf"SELECT * WHERE {{ \u0053ERVICE <{target}> {{ ?s ?p ?o }} }}",
        rf'SELECT * WHERE {{ BIND("\u005C" AS ?a) SERVICE <{target}> {{ ?s ?p ?o }} }} #" AS ?b) }}',
        f"SELECT * WHERE {{ # comment\n SERVICE <{target}> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ {{ OPTIONAL {{ {{ SERVICE <{target}> {{ ?s ?p ?o }} }} }} }} }}",
        f"SELECT * WHERE {{ ?s ?p ?o FILTER EXISTS {{ SERVICE <{target}> {{ ?s ?p ?o }} }} }} LIMIT 1",
        f"SELECT * WHERE {{ {{ SELECT * WHERE {{ SERVICE <{target}> {{ ?s ?p ?o }} }} }} }}",
        f"SELECT * WHERE {{ BIND(<{target}> AS ?e) SERVICE ?e {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ SERVICE SILENT <{target}> {{ ?s ?p ?o }} }}",
        f"select * where {{ sErViCe <{target}> {{ ?s ?p ?o }} }}",
    ]


# --- 1. the guard bypass, and the second wall ---------------------------------------------------


@pytest.mark.slow
def test_no_disguise_reaches_the_listener(start_server: Callable[..., str], listener: Listener) -> None:
    base = start_server("--query-timeout", "5")
    target = f"http://127.0.0.1:{listener.port}/sparql"
    for query in disguises(target):
        for send in ("get", "post"):
            if send == "get":
                status, _, body = fetch(query_url(base, query))
            else:
                headers = {"Content-Type": "application/sparql-query"}
                status, _, body = fetch(base + "/sparql", data=query.encode(), headers=headers)
            assert status == 403, (query, status, body[:200])
            assert b"SERVICE" in body
            assert b"root:" not in body
    time.sleep(0.5)
    assert listener.connections == 0


def test_the_store_cannot_federate_even_past_the_guard(store_dir: Path, listener: Listener) -> None:
    """The second wall: a worker given an unguarded SERVICE query makes no connection."""
    target = f"http://127.0.0.1:{listener.port}/sparql"
    pool = WorkerPool(store_dir, size=1, timeout=10)
    pool.start()
    try:
        for query in (
            f"SELECT * WHERE {{ SERVICE <{target}> {{ ?s ?p ?o }} }}",
            f"SELECT * WHERE {{ SERVICE <http://localhost:{listener.port}/> {{ ?s ?p ?o }} }}",
        ):
            with pytest.raises(Exception, match="(?i)evaluation failed|denied|lookup|permission"):
                pool.run(Job(query, "application/sparql-results+json", 10))  # known_graphs=None: no guard
    finally:
        pool.close()
    time.sleep(0.3)
    assert listener.connections == 0


def test_sandboxed_process_cannot_load_or_connect(listener: Listener) -> None:
    """LOAD and plain sockets fail in a sandboxed process (the writer worker's wall)."""
    code = f"""
import socket, pyoxigraph as ox
from concord_kg.server.sandbox import forbid_network, network_forbidden
forbid_network()
assert network_forbidden()
socket.socketpair()  # local pipes still work
try:
    ox.Store().update("LOAD <http://127.0.0.1:{listener.port}/x.ttl>")
except OSError:
    pass
else:
    raise SystemExit("LOAD succeeded")
"""
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
    time.sleep(0.3)
    assert listener.connections == 0


# --- 2. writes: token, origin, CORS, time limit ------------------------------------------------

UPDATE = "INSERT DATA { GRAPH <https://w3id.org/concord-kg/graph/data/t> { <urn:a> <urn:b> 'c' } }"
WRITABLE = {"ALLOW_UPDATE": True, "UPDATE_TOKEN": TOKEN}


def _post_update(client: FlaskClient, headers: dict | None = None) -> int:
    response = client.post("/sparql", data=UPDATE, content_type="application/sparql-update", headers=headers)
    return response.status_code


@pytest.mark.parametrize("app_config", [WRITABLE])
@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"Authorization": "Bearer wrong-token-of-16-chars"}, 401),
        ({"Authorization": f"Basic {TOKEN}"}, 401),
        ({"Authorization": f"Bearer {TOKEN}x"}, 401),
        (AUTH, 204),
    ],
)
def test_updates_need_the_token(client: FlaskClient, headers: dict, status: int) -> None:
    assert _post_update(client, headers) == status
    count = client.get("/sparql", query_string={"query": "ASK { <urn:a> <urn:b> 'c' }"}).get_json()
    assert count["boolean"] is (status == 204)


@pytest.mark.parametrize("app_config", [WRITABLE])
def test_drop_all_without_credentials_is_refused(client: FlaskClient) -> None:
    response = client.post("/sparql", data={"update": "DROP ALL"})
    assert response.status_code == 401
    assert "Bearer" in response.headers["WWW-Authenticate"]
    assert "Access-Control-Allow-Origin" not in response.headers
    answer = client.get("/sparql", query_string={"query": "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"}).get_json()
    assert int(answer["results"]["bindings"][0]["n"]["value"]) > 1000


@pytest.mark.parametrize("app_config", [WRITABLE])
def test_cross_origin_form_updates_are_refused_even_with_the_token(client: FlaskClient) -> None:
    headers = {**AUTH, "Origin": "http://evil.example"}
    response = client.post("/sparql", data={"update": "DROP ALL"}, headers=headers)
    assert response.status_code == 403
    assert "Access-Control-Allow-Origin" not in response.headers
    same_origin = client.post(
        "/sparql", data={"update": UPDATE}, headers={**AUTH, "Origin": "http://localhost"}
    )
    assert same_origin.status_code == 204
    assert "Access-Control-Allow-Origin" not in same_origin.headers


def test_preflight_does_not_allow_credentials_headers(client: FlaskClient) -> None:
    response = client.options(
        "/sparql",
        headers={
            "Origin": "http://evil.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert "authorization" not in response.headers["Access-Control-Allow-Headers"].lower()


def test_allow_update_without_a_token_does_not_start() -> None:
    with pytest.raises(SettingError, match="token"):
        create_app({"ALLOW_UPDATE": True})
    result = subprocess.run(
        [SCRIPT, "serve", "--allow-update", "--port", "1"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "token" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.slow
@pytest.mark.parametrize("app_config", [{**WRITABLE, "QUERY_TIMEOUT": 2.0}])
def test_updates_run_under_the_time_limit_and_leave_nothing(client: FlaskClient) -> None:
    cross = (
        "INSERT { GRAPH <urn:x> { ?a ?b ?x } } "
        "WHERE { GRAPH ?g1 { ?a ?b ?c } GRAPH ?g2 { ?d ?e ?f } GRAPH ?g3 { ?g ?h ?i } "
        "BIND(CONCAT(STR(?c), STR(?f), STR(?i)) AS ?x) }"
    )
    response = client.post("/sparql", data=cross, content_type="application/sparql-update", headers=AUTH)
    assert response.status_code == 503
    assert "stopped" in response.get_json()["detail"]
    assert client.get("/health").status_code == 200
    assert "urn:x" not in client.get("/api/graphs").get_json()["graphs"]
    assert _post_update(client, AUTH) == 204  # the writer was replaced and works


# --- 3. settings parsed strictly, one precedence -------------------------------------------------

VALID = {
    "STORE_DIR": ("data/store", "data/store"),
    "ENDPOINT": ("http://127.0.0.1:7878/query", "http://127.0.0.1:7878/query"),
    "GRAPH_STORE": ("http://127.0.0.1:7878/store", "http://127.0.0.1:7878/store"),
    "QUERY_TIMEOUT": ("2", 2.0),
    "MAX_RESULTS": ("10", 10),
    "ALLOW_UPDATE": ("off", False),
    "UPDATE_TOKEN": (TOKEN, TOKEN),
    "WORKERS": ("3", 3),
    "MAX_WORKER_MEMORY": ("512M", 512 * 1024**2),
    "STORE_MODE": ("Disk", "disk"),
    "MEMORY_BUDGET": ("256M", 256 * 1024**2),
    "MAX_CONTENT_LENGTH": ("2048", 2048),
    "MAX_QUERY_LENGTH": ("500", 500),
    "MAX_VALIDATE_TRIPLES": ("7", 7),
    "CORS_ORIGIN": ("https://example.org", "https://example.org"),
    "PUBLIC_URL": ("https://kg.example.org/base", "https://kg.example.org/base/"),
}
INVALID = {
    "STORE_DIR": None,  # any folder name is valid
    "ENDPOINT": "ftp://x",
    "GRAPH_STORE": "not a url",
    "QUERY_TIMEOUT": "-1",
    "MAX_RESULTS": "many",
    "ALLOW_UPDATE": "disabled",
    "UPDATE_TOKEN": "short",
    "WORKERS": "0",
    "MAX_WORKER_MEMORY": "lots",
    "STORE_MODE": "ram",
    "MEMORY_BUDGET": "big",
    "MAX_CONTENT_LENGTH": "1.5",
    "MAX_QUERY_LENGTH": "",
    "MAX_VALIDATE_TRIPLES": "-5",
    "CORS_ORIGIN": "evil",
    "PUBLIC_URL": "kg.example.org",
}


def test_every_setting_is_covered() -> None:
    assert {s.name for s in SETTINGS} == set(VALID) == set(INVALID)


@pytest.mark.parametrize("name", sorted(VALID))
def test_environment_values_are_read(name: str) -> None:
    raw, expected = VALID[name]
    assert resolve(None, {f"CONCORD_{name}": raw})[name] == expected


@pytest.mark.parametrize("name", sorted(n for n, v in INVALID.items() if v is not None))
def test_bad_environment_values_are_refused_naming_the_variable(name: str) -> None:
    with pytest.raises(SettingError, match=f"CONCORD_{name}"):
        resolve(None, {f"CONCORD_{name}": INVALID[name]})


@pytest.mark.parametrize("raw", ["off", "no", "n", "false", "0", "OFF"])
def test_allow_update_off_spellings_mean_off(raw: str) -> None:
    assert resolve(None, {"CONCORD_ALLOW_UPDATE": raw})["ALLOW_UPDATE"] is False


@pytest.mark.parametrize("raw", ["none", "disabled", "maybe"])
def test_allow_update_unknown_spellings_are_errors(raw: str) -> None:
    with pytest.raises(SettingError):
        resolve(None, {"CONCORD_ALLOW_UPDATE": raw})


def test_precedence_flag_over_environment_over_default() -> None:
    env = {"CONCORD_QUERY_TIMEOUT": "2"}
    assert resolve(None, {})["QUERY_TIMEOUT"] == 30.0
    assert resolve(None, env)["QUERY_TIMEOUT"] == 2.0
    assert resolve({"QUERY_TIMEOUT": None}, env)["QUERY_TIMEOUT"] == 2.0  # a flag not given
    assert resolve({"QUERY_TIMEOUT": 3}, env)["QUERY_TIMEOUT"] == 3.0


def test_the_cli_reads_the_environment(
    start_server: Callable[..., str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONCORD_QUERY_TIMEOUT", "2")
    monkeypatch.setenv("CONCORD_ALLOW_UPDATE", "true")
    monkeypatch.setenv("CONCORD_UPDATE_TOKEN", TOKEN)
    base = start_server()
    status, _, body = fetch(query_url(base, SLOW_QUERY))
    assert status == 503 and "longer than 2 s" in json.loads(body)["detail"]
    headers = {"Content-Type": "application/sparql-update", **AUTH}
    assert fetch(base + "/sparql", data=UPDATE.encode(), headers=headers)[0] == 204


def test_a_cli_flag_beats_the_environment(
    start_server: Callable[..., str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONCORD_QUERY_TIMEOUT", "30")
    monkeypatch.setenv("CONCORD_ALLOW_UPDATE", "yes")
    monkeypatch.setenv("CONCORD_UPDATE_TOKEN", TOKEN)
    base = start_server("--query-timeout", "1", "--read-only")
    status, _, body = fetch(query_url(base, SLOW_QUERY))
    assert status == 503 and "longer than 1 s" in json.loads(body)["detail"]
    headers = {"Content-Type": "application/sparql-update", **AUTH}
    assert fetch(base + "/sparql", data=UPDATE.encode(), headers=headers)[0] == 403


# --- 4. every cost bounded -------------------------------------------------------------------------


@pytest.mark.parametrize("app_config", [{"MAX_QUERY_LENGTH": 10_000}])
def test_long_query_text_is_refused_before_parsing(client: FlaskClient) -> None:
    query = "SELECT * FROM <urn:g> WHERE { " + "?s ?p ?o . " * 2000 + "}"
    response = client.post("/sparql", data=query, content_type="application/sparql-query")
    assert response.status_code == 413


@pytest.mark.slow
@pytest.mark.parametrize("app_config", [{"QUERY_TIMEOUT": 1.0}])
def test_the_guard_parse_runs_in_the_worker_under_the_time_limit(client: FlaskClient) -> None:
    """rdflib needs seconds to parse a long VALUES block; the parse is stopped like a slow query."""
    values = " ".join(f'"{i}"' for i in range(8000))
    query = f"SELECT * FROM <https://w3id.org/concord-kg/graph/ontology> WHERE {{ VALUES ?x {{ {values} }} }}"  # noqa: S608
    response = client.post("/sparql", data=query, content_type="application/sparql-query")
    assert response.status_code == 503
    assert "stopped" in response.get_json()["detail"]
    assert client.get("/health").status_code == 200


def test_search_text_is_bounded(client: FlaskClient) -> None:
    response = client.get("/search", query_string={"q": "care " * 20_000})
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert client.get("/search", query_string={"q": "care coordinator"}).status_code == 200


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:e="urn:e#">
<rdf:Description rdf:about="urn:x"><e:p>&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;</e:p></rdf:Description></rdf:RDF>"""


def test_rdfxml_with_entities_is_refused(client: FlaskClient) -> None:
    response = client.post("/api/validate", data=BILLION_LAUGHS, content_type="application/rdf+xml")
    assert response.status_code == 400
    assert "DTD" in response.get_json()["detail"]


@pytest.mark.parametrize("app_config", [{"MAX_VALIDATE_TRIPLES": 1000}])
def test_the_triple_cap_holds_while_parsing(client: FlaskClient) -> None:
    body = ("<urn:s> <urn:p> (" + " 1" * 100_000 + " ) .").encode()
    response = client.post("/api/validate", data=body, content_type="text/turtle")
    assert response.status_code == 413
    assert "1,000" in response.get_json()["detail"]


def _doubling(times: int) -> str:
    binds = " ".join(f"BIND(CONCAT(?v{i}, ?v{i}) AS ?v{i + 1})" for i in range(times))
    return f'SELECT (STRLEN(?v{times}) AS ?n) WHERE {{ BIND("0123456789abcdef" AS ?v0) {binds} }}'


@pytest.mark.slow
@pytest.mark.parametrize("app_config", [{"MAX_WORKER_MEMORY": "1G", "QUERY_TIMEOUT": 60.0}])
def test_a_worker_that_runs_out_of_memory_is_a_503_and_replaced(client: FlaskClient) -> None:
    response = client.get("/sparql", query_string={"query": _doubling(30)})  # 16 GiB of string
    assert response.status_code == 503, response.get_data(as_text=True)
    again = client.get("/sparql", query_string={"query": _doubling(4)})
    assert again.status_code == 200


def test_worker_memory_cap_applies(store_dir: Path) -> None:
    pool = WorkerPool(store_dir, size=1, timeout=60, max_memory=700 * 1024**2)
    pool.start()
    try:
        with pytest.raises((WorkerDied, Exception), match="(?i)memory|stopped"):
            pool.run(Job(_doubling(30), "application/sparql-results+json", 10))
    finally:
        pool.close()


# --- 5. connections ------------------------------------------------------------------------------


@pytest.mark.slow
def test_slow_bodies_do_not_starve_the_server(start_server: Callable[..., str]) -> None:
    base = start_server()
    port = int(base.rsplit(":", 1)[1])
    held = []
    for _ in range(150):  # more than waitress's default 100 connections
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        sock.sendall(b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n")
        sock.sendall(b"Content-Length: 1000\r\n\r\nSELECT")
        held.append(sock)
    try:
        status, _, _ = fetch(base + "/health")
        assert status == 200
    finally:
        for sock in held:
            sock.close()


# --- 6. load is one transaction --------------------------------------------------------------------


def _nt(count: int, tag: str) -> bytes:
    return "".join(f'<urn:s{i}> <urn:p> "{tag}{i}" .\n' for i in range(count)).encode()


def test_multi_file_load_is_all_or_nothing(tmp_path: Path) -> None:
    good, bad = tmp_path / "good.nt", tmp_path / "bad.nt"
    good.write_bytes(_nt(10, "g"))
    bad.write_bytes(b"<urn:s> <urn:p> oops .\n")
    store = tmp_path / "store"
    result = subprocess.run(
        [SCRIPT, "load", "--store", str(store), "--graph", "cohort", str(good), str(bad)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 2 and "bad.nt" in result.stderr
    with EmbeddedStore(store, read_only=True) as opened:
        assert data_graph("cohort") not in opened.graphs()


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.5, 1.0, 1.5, 2.0, 3.0, 4.0])
def test_replace_survives_kill_at_any_moment(tmp_path: Path, template_store: Path, delay: float) -> None:
    import shutil

    store = tmp_path / "store"
    shutil.copytree(template_store, store)
    old, new = tmp_path / "cohort.nt", tmp_path / "new.nt"
    old.write_bytes(_nt(20_000, "old"))
    new.write_bytes(_nt(30_000, "new"))
    subprocess.run(
        [SCRIPT, "load", "--store", str(store), "--graph", "cohort", str(old)], check=True, timeout=300
    )
    process = subprocess.Popen(
        [SCRIPT, "load", "--store", str(store), "--graph", "cohort", "--replace", str(new)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(delay)
    process.send_signal(signal.SIGKILL)
    process.wait()
    graph = ox.NamedNode(data_graph("cohort"))
    opened = ox.Store(str(store))
    count = sum(1 for _ in opened.quads_for_pattern(None, None, None, graph))
    assert count in (20_000, 30_000), count


# --- 7. small things ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/classify", "/api/validate"])
def test_deeply_nested_json_is_a_400(client: FlaskClient, path: str) -> None:
    body = "[" * 100_000 + "]" * 100_000
    content_type = "application/json" if path == "/api/classify" else "application/ld+json"
    response = client.post(path, data=body, content_type=content_type)
    assert response.status_code == 400


@pytest.mark.parametrize("path", ["/", "/sparql", "/health", "/search?q=care"])
def test_security_headers(client: FlaskClient, path: str) -> None:
    response = client.get(path, headers={"Accept": "text/html"})
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize("app_config", [{"PUBLIC_URL": "https://kg.example.org/"}])
def test_host_header_is_never_reflected(client: FlaskClient) -> None:
    evil = {"Host": "evil.example"}
    description = client.get("/sparql", headers={**evil, "Accept": "text/turtle"}).get_data(as_text=True)
    assert "evil.example" not in description
    assert "<https://kg.example.org/sparql>" in description
    page = client.get("/sparql", headers={**evil, "Accept": "text/html"}).get_data(as_text=True)
    assert "evil.example" not in page and "<code>https://kg.example.org/sparql</code>" in page


# --- found in review of the fix ------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("app_config", [{"QUERY_TIMEOUT": 2.0}])
def test_validation_runs_under_the_time_limit(client: FlaskClient) -> None:
    """The ontology shapes compare labels pairwise: 11 KB cost minutes in the request thread."""
    lines = "".join(f'<https://w3id.org/concord-kg/t{n}> s:prefLabel "x"@en .\n' for n in range(400))
    body = "@prefix s: <http://www.w3.org/2004/02/skos/core#> .\n" + lines
    response = client.post("/api/validate?shapes=ontology", data=body, content_type="text/turtle")
    assert response.status_code == 503
    assert "stopped" in response.get_json()["detail"]
    assert client.get("/health").status_code == 200


@pytest.mark.slow
def test_oversized_bodies_are_refused_before_they_are_read(start_server: Callable[..., str]) -> None:
    base = start_server()
    port = int(base.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n")
        sock.sendall(b"Content-Length: 40000000\r\n\r\n")  # and no body at all
        assert sock.recv(100).startswith(b"HTTP/1.1 413")


@pytest.mark.parametrize("raw", ["nan", "inf", "1e309", "-inf"])
def test_timeouts_must_be_finite(raw: str) -> None:
    with pytest.raises(SettingError, match="CONCORD_QUERY_TIMEOUT"):
        resolve(None, {"CONCORD_QUERY_TIMEOUT": raw})


def test_a_graph_name_cannot_inject_an_update(tmp_path: Path, template_store: Path) -> None:
    import shutil

    store = tmp_path / "store"
    shutil.copytree(template_store, store)
    data = tmp_path / "x.nt"
    data.write_bytes(_nt(3, "x"))
    graph = "http://x/> {} } ; DROP ALL ; INSERT DATA { GRAPH <http://x/"
    result = subprocess.run(
        [SCRIPT, "load", "--store", str(store), "--graph", graph, str(data)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 2 and "not a graph IRI" in result.stderr
    with EmbeddedStore(store, read_only=True) as opened:
        assert "https://w3id.org/concord-kg/graph/ontology" in opened.graphs()


def test_blank_nodes_of_two_files_stay_two_nodes(tmp_path: Path) -> None:
    with EmbeddedStore(tmp_path / "store") as store:
        from concord_kg.store import Batch

        nt = "application/n-triples"
        data = b'_:b0 <urn:p> "x" .\n'
        store.load_many([Batch(data, nt, "urn:g:a"), Batch(data, nt, "urn:g:b")])
        found = list(store.query("SELECT DISTINCT ?s WHERE { GRAPH ?g { ?s <urn:p> ?o } }"))
    assert len(found) == 2


def test_the_editor_posts_to_its_own_origin(client: FlaskClient) -> None:
    page = client.get("/sparql", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert 'data-endpoint="/sparql"' in page
