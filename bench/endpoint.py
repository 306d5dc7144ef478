"""Benchmark the SPARQL endpoint against oxigraph serve and rdflib-endpoint on the same data, same run.

    .venv/bin/pip install -e '.[bench]' && .venv/bin/python bench/endpoint.py

Generates >= 200,000 triples, starts (a) ``concord-kg serve`` on an embedded store holding them
(``--store-mode``, default memory: its workers answer from an in-memory copy), (b) ``oxigraph
serve-read-only`` on the same data in RocksDB, (c) ``oxigraph serve`` in memory (the data POSTed
to its graph store), both with the union default graph, (d) ``rdflib-endpoint serve`` on the same
file, and drives each for ``--seconds`` with ``--concurrency`` client threads sending a mix of
four queries (point lookup, GROUP BY count, label regex with LIMIT, 2-hop join) with random
parameters. Prints requests/s, p50 and p99 latency per server and the ratios. Also times how long
``concord-kg serve`` takes to be ready on a warm store. Everything listens on 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import http.client
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

BIN = Path(sys.executable).parent
EX = "http://example.org/bench/"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet"]


def generate(path: Path, items: int) -> int:
    """Write an N-Triples file: items with type, label, group, value and two links; groups with labels."""
    rng = random.Random(7)
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for g in range(100):
            out.write(f'<{EX}group/{g}> <{RDFS_LABEL}> "Group {g}" .\n')
            count += 1
        for i in range(items):
            s = f"<{EX}item/{i}>"
            word = WORDS[i % len(WORDS)]
            out.write(f"{s} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{EX}Item> .\n")
            out.write(f'{s} <{RDFS_LABEL}> "Item {i} {word}" .\n')
            out.write(f"{s} <{EX}group> <{EX}group/{i % 100}> .\n")
            out.write(
                f'{s} <{EX}value> "{rng.randint(0, 10_000)}"^^<http://www.w3.org/2001/XMLSchema#integer> .\n'
            )
            for _ in range(2):
                out.write(f"{s} <{EX}knows> <{EX}item/{rng.randrange(items)}> .\n")
            out.write(f'{s} <{EX}note> "note {rng.random():.6f}" .\n')
            count += 7
    return count


def queries(items: int, rng: random.Random) -> list[tuple[str, str]]:
    """Return one of each of the four queries, with random parameters."""
    i = rng.randrange(items)
    prefix = rng.randrange(10, 99)
    return [
        ("point", f"SELECT ?p ?o WHERE {{ <{EX}item/{i}> ?p ?o }}"),
        ("group", f"SELECT ?g (COUNT(?i) AS ?n) WHERE {{ ?i <{EX}group> ?g }} GROUP BY ?g"),
        (
            "regex",
            f"SELECT ?i ?l WHERE {{ ?i <{RDFS_LABEL}> ?l "
            f'FILTER(REGEX(?l, "^Item {prefix}", "i")) }} LIMIT 10',
        ),
        (
            "2hop",
            f"SELECT ?b ?label WHERE {{ <{EX}item/{i}> <{EX}knows> ?a . ?a <{EX}knows> ?b . "
            f"?b <{EX}group> ?g . ?g <{RDFS_LABEL}> ?label }}",
        ),
    ]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_ready(port: int, path: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", path)
            if conn.getresponse().status < 500:
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing answered on port {port}")


def drive(port: int, path: str, items: int, seconds: float, concurrency: int) -> dict:
    """Send the query mix from ``concurrency`` keep-alive clients for ``seconds``; collect latencies."""
    latencies: list[float] = []
    by_kind: dict[str, list[float]] = {}
    errors = [0]
    samples: dict[str, str] = {}
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client(seed: int) -> None:
        rng = random.Random(seed)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        mine: list[tuple[str, float]] = []
        failed = 0
        while time.monotonic() < stop_at:
            for kind, query in queries(items, rng):
                body = urllib.parse.urlencode({"query": query})
                started = time.perf_counter()
                try:
                    conn.request(
                        "POST",
                        path,
                        body=body,
                        headers={
                            "Content-Type": "application/x-www-form-urlencoded",
                            "Accept": "application/sparql-results+json",
                        },
                    )
                    response = conn.getresponse()
                    answer = response.read()
                    ok = response.status == 200
                    if not ok:
                        samples.setdefault(str(response.status), answer[:200].decode(errors="replace"))
                except (OSError, http.client.HTTPException) as exc:
                    samples.setdefault(type(exc).__name__, str(exc)[:200])
                    ok = False
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                if ok:
                    mine.append((kind, time.perf_counter() - started))
                else:
                    failed += 1
        with lock:
            for kind, seconds in mine:
                latencies.append(seconds)
                by_kind.setdefault(kind, []).append(seconds)
            errors[0] += failed

    elapsed = run_threads([threading.Thread(target=client, args=(n,)) for n in range(concurrency)])
    return {
        "samples": samples,
        "p50_by_query": {k: statistics.median(v) * 1000 for k, v in sorted(by_kind.items())},
        "requests": len(latencies),
        "errors": errors[0],
        **latency_summary(latencies, elapsed),
    }


def run_threads(threads: list[threading.Thread]) -> float:
    """Start the client threads together, wait for all, and return the seconds they took."""
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.monotonic() - started


def latency_summary(latencies: list[float], elapsed: float) -> dict[str, float]:
    """Requests per second and the median and 99th-percentile latency in milliseconds."""
    latencies = sorted(latencies)
    return {
        "rps": len(latencies) / elapsed,
        "p50": statistics.median(latencies) * 1000 if latencies else float("nan"),
        "p99": latencies[int(len(latencies) * 0.99) - 1] * 1000 if latencies else float("nan"),
    }


def start(command: list[str], ready_port: int, ready_path: str) -> tuple[subprocess.Popen, float]:
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_ready(ready_port, ready_path)
    return process, time.perf_counter() - started


def start_oxigraph_read_only(location: Path) -> tuple[subprocess.Popen, int]:
    """Start the peer, ``oxigraph serve-read-only`` on ``location`` with the union default graph."""
    port = free_port()
    command = [str(BIN / "oxigraph"), "serve-read-only", "--location", str(location)]
    process, _ = start(
        [*command, "--bind", f"127.0.0.1:{port}", "--union-default-graph"], port, "/query?query=ASK%7B%7D"
    )
    return process, port


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=30_000, help="items to generate (7 triples each)")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="concord-kg query worker processes")
    parser.add_argument(
        "--store-mode", choices=["memory", "disk"], default="memory", help="concord-kg --store-mode"
    )
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="concord-bench-"))
    try:
        data = work / "data.nt"
        triples = generate(data, args.items)
        print(f"data: {triples:,} triples, {args.concurrency} clients x {args.seconds:g} s per server")

        store = work / "concord-store"
        subprocess.run(
            [str(BIN / "concord-kg"), "load", str(data), "--store", str(store)],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        oxi = work / "oxigraph"
        subprocess.run(
            [str(BIN / "oxigraph"), "load", "--location", str(oxi), "--file", str(data)],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

        results: dict[str, dict] = {}
        ready: list[float] = []
        port = free_port()
        serve = [
            str(BIN / "concord-kg"),
            "serve",
            "--store",
            str(store),
            "--port",
            str(port),
            "--workers",
            str(args.workers),
            "--store-mode",
            args.store_mode,
        ]
        for _ in range(3):  # warm store: the ontology graphs are loaded already
            process, seconds = start(serve, port, "/health")
            ready.append(seconds)
            stop(process)
        process, _ = start(serve, port, "/health")
        try:
            results["concord-kg serve"] = drive(port, "/sparql", args.items, args.seconds, args.concurrency)
        finally:
            stop(process)

        process, port = start_oxigraph_read_only(oxi)
        try:
            results["oxigraph serve (disk)"] = drive(
                port, "/query", args.items, args.seconds, args.concurrency
            )
        finally:
            stop(process)

        port = free_port()
        process, _ = start(
            [str(BIN / "oxigraph"), "serve", "--bind", f"127.0.0.1:{port}", "--union-default-graph"],
            port,
            "/query?query=ASK%7B%7D",
        )
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
            graph = urllib.parse.quote("https://w3id.org/concord-kg/graph/data/bench", safe="")
            conn.request(
                "POST",
                f"/store?graph={graph}",
                body=data.read_bytes(),
                headers={"Content-Type": "application/n-triples"},
            )
            loaded = conn.getresponse()
            if loaded.status >= 300:
                raise RuntimeError(
                    f"oxigraph serve refused the data: {loaded.status} {loaded.read()[:200]!r}"
                )
            results["oxigraph serve (memory)"] = drive(
                port, "/query", args.items, args.seconds, args.concurrency
            )
        finally:
            stop(process)

        port = free_port()
        process, _ = start(
            [str(BIN / "rdflib-endpoint"), "serve", str(data), "--host", "127.0.0.1", "--port", str(port)],
            port,
            "/?query=ASK%7B%7D",
        )
        try:  # rdflib-endpoint's command line serves SPARQL at "/" (its --help says /sparql)
            results["rdflib-endpoint"] = drive(port, "/", args.items, args.seconds, args.concurrency)
        finally:
            stop(process)

        print(f"\n{'server':24} {'requests':>9} {'errors':>7} {'req/s':>9} {'p50 ms':>9} {'p99 ms':>9}")
        for name, r in results.items():
            print(
                f"{name:24} {r['requests']:9d} {r['errors']:7d} {r['rps']:9.1f} "
                f"{r['p50']:9.1f} {r['p99']:9.1f}"
            )
        print("\np50 ms by query: " + ", ".join(f"{k}" for k in ("point", "group", "regex", "2hop")))
        for name, r in results.items():
            cells = "  ".join(f"{k} {v:.1f}" for k, v in r["p50_by_query"].items())
            print(f"  {name:24} {cells}")
        for name, r in results.items():
            for kind, text in r["samples"].items():
                print(f"  {name} error {kind}: {text}")
        ours = results["concord-kg serve"]
        for baseline in ("oxigraph serve (memory)", "oxigraph serve (disk)", "rdflib-endpoint"):
            other = results[baseline]
            print(
                f"concord-kg / {baseline}: req/s x{ours['rps'] / other['rps']:.2f}, "
                f"p50 x{ours['p50'] / other['p50']:.2f}, p99 x{ours['p99'] / other['p99']:.2f}"
            )
        print(
            f"\nconcord-kg serve ready on a warm store: {', '.join(f'{s:.2f}' for s in ready)} s "
            f"(median {statistics.median(ready):.2f} s)"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
