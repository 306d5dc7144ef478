"""Soak the service with many clients at once: does every client get answers, and how fast?

    .venv/bin/pip install -e '.[bench]' && .venv/bin/python bench/soak.py

Starts ``concord-kg serve`` (its default, hardened settings) on an embedded store with the
generated data of ``bench/endpoint.py``, then ``--clients`` threads (default 200) each keep one
connection and send the query mix for ``--seconds`` (default 30), while ``--slow`` extra
connections (default 110) send a request body one byte at a time, as in a slow-body attack.
Prints, per server: clients left with no answer, answers by status, requests/s, p50/p99. The
same soak runs against ``oxigraph serve-read-only`` on the same data, as the named peer.
"""

from __future__ import annotations

import argparse
import collections
import http.client
import random
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

from endpoint import (
    BIN,
    free_port,
    generate,
    latency_summary,
    queries,
    run_threads,
    start,
    start_oxigraph_read_only,
    stop,
)


def _slow_body(port: int, stop_at: float) -> None:
    """Hold a connection open by trickling a request body."""
    try:
        sock = socket.create_connection(("127.0.0.1", port), timeout=60)
        sock.sendall(b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n")
        sock.sendall(b"Content-Length: 100000\r\n\r\n")
        while time.monotonic() < stop_at:
            sock.sendall(b" ")
            time.sleep(1.0)
        sock.close()
    except OSError:
        pass  # the server closed it: that is the defence working


def soak(port: int, path: str, items: int, clients: int, seconds: float, slow: int) -> dict:
    """Run the soak; return per-client answer counts, statuses and latencies."""
    stop_at = time.monotonic() + seconds
    answered = [0] * clients
    statuses: collections.Counter[str] = collections.Counter()
    latencies: list[float] = []
    lock = threading.Lock()

    def client(index: int) -> None:
        rng = random.Random(index)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine: list[float] = []
        seen: collections.Counter[str] = collections.Counter()
        while time.monotonic() < stop_at:
            kind, query = rng.choice(queries(items, rng))
            started = time.perf_counter()
            try:
                body = urllib.parse.urlencode({"query": query})
                headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/csv"}
                conn.request("POST", path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                seen[str(response.status)] += 1
                mine.append(time.perf_counter() - started)
                answered[index] += 1
            except (OSError, http.client.HTTPException) as exc:
                seen[type(exc).__name__] += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        with lock:
            statuses.update(seen)
            latencies.extend(mine)

    threads = [threading.Thread(target=_slow_body, args=(port, stop_at)) for _ in range(slow)]
    threads += [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    elapsed = run_threads(threads)
    return {
        "unanswered": sum(1 for n in answered if n == 0),
        "statuses": dict(statuses),
        **latency_summary(latencies, elapsed),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=30_000, help="items to generate (7 triples each)")
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--slow", type=int, default=110, help="slow-body connections alongside")
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="concord-soak-"))
    try:
        data = work / "data.nt"
        triples = generate(data, args.items)
        store, oxi = work / "store", work / "oxigraph"
        quiet = {"check": True, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        subprocess.run([str(BIN / "concord-kg"), "load", str(data), "--store", str(store)], **quiet)  # type: ignore[call-overload]
        subprocess.run([str(BIN / "oxigraph"), "load", "--location", str(oxi), "--file", str(data)], **quiet)  # type: ignore[call-overload]
        print(f"data: {triples:,} triples; {args.clients} clients, {args.slow} slow, {args.seconds:g} s")
        results = {}
        port = free_port()
        process, _ = start(
            [str(BIN / "concord-kg"), "serve", "--store", str(store), "--port", str(port)], port, "/health"
        )
        try:
            results["concord-kg serve"] = soak(
                port, "/sparql", args.items, args.clients, args.seconds, args.slow
            )
        finally:
            stop(process)
        process, port = start_oxigraph_read_only(oxi)
        try:
            results["oxigraph serve"] = soak(
                port, "/query", args.items, args.clients, args.seconds, args.slow
            )
        finally:
            stop(process)
        print(
            f"{'server':<18} {'unanswered':>10} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>9}  answers by status"
        )
        for name, r in results.items():
            print(
                f"{name:<18} {r['unanswered']:>10} {r['rps']:>8.1f} {r['p50']:>8.1f} {r['p99']:>9.1f}",
                r["statuses"],
            )
        ratio = results["concord-kg serve"]["rps"] / max(results["oxigraph serve"]["rps"], 1e-9)
        print(f"ratio: concord-kg serve / oxigraph serve = {ratio:.2f}x req/s")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
