"""Evaluate queries in worker processes that can be killed, so a query time limit really holds.

A thread cannot interrupt pyoxigraph mid-query, so each worker is a process holding the store
open read-only (``pyoxigraph.Store.read_only``). A query that overruns the limit gets its worker
killed and replaced; the caller gets :class:`QueryTimeout` at once and the server stays responsive.
Workers come from a ``forkserver`` (never a fork of the threaded server process).
"""

from __future__ import annotations

import logging
import multiprocessing
import queue
import re
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from concord_kg.errors import ConcordError, QueryError, StoreError
from server.results import Answer, Job, execute

__all__ = ["QueryTimeout", "PoolBusy", "WorkerPool"]

_LOG = logging.getLogger(__name__)


class QueryTimeout(StoreError):
    """A query ran past the time limit and was stopped."""

    http_status = 503


class PoolBusy(StoreError):
    """Every worker stayed busy for the whole time limit; the query was not started."""

    http_status = 503


@dataclass
class _Worker:
    process: multiprocessing.process.BaseProcess
    conn: Connection
    generation: int


class WorkerPool:
    """A fixed number of query worker processes over one store folder.

    :param store_path: the embedded store's folder.
    :param size: number of worker processes.
    :param timeout: seconds a query may run before its worker is killed.
    """

    def __init__(self, store_path: Path | str, *, size: int = 2, timeout: float = 30.0) -> None:
        self.store_path = str(store_path)
        self.size = size
        self.timeout = timeout
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(["server.pool"])
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._generation = 0
        self._lock = threading.Lock()
        self._workers: set[int] = set()
        self._closed = False

    def start(self) -> None:
        """Start the worker processes."""
        for _ in range(self.size):
            self._idle.put(self._spawn())

    def refresh(self) -> None:
        """Make every worker reopen the store before its next query (after the data changed)."""
        with self._lock:
            self._generation += 1

    def run(self, job: Job) -> Answer:
        """Evaluate ``job`` in a free worker within the time limit.

        A worker whose view of the store went stale (a writer compacted files away) is replaced and
        the job is run once more in the fresh worker.

        :raises QueryTimeout: the query overran (its worker was replaced).
        :raises PoolBusy: no worker came free within the time limit.
        :raises QueryError: the store refused the query.
        """
        status, payload = self._run_once(job)
        if status == "error" and payload[0] == "stale":
            status, payload = self._run_once(job)
        if status == "ok":
            return payload
        kind, message = payload
        if kind == "query":
            raise QueryError(message)
        raise StoreError(f"the store failed: {message}")

    def _run_once(self, job: Job) -> tuple[str, Any]:
        try:
            worker = self._idle.get(timeout=self.timeout)
        except queue.Empty:
            raise PoolBusy(f"all {self.size} query workers stayed busy for {self.timeout:g} s") from None
        try:
            if worker.generation != self._generation:
                worker.conn.send(("reopen", None))
                worker.generation = self._generation
            started = time.monotonic()
            worker.conn.send(("job", job))
            if not worker.conn.poll(self.timeout):
                self._replace(worker)
                raise QueryTimeout(
                    f"the query ran longer than {self.timeout:g} s and was stopped",
                    hint="add LIMIT, narrow the patterns, or ask the operator for a longer --query-timeout",
                )
            status, payload = worker.conn.recv()
        except (EOFError, OSError) as exc:
            self._replace(worker)
            raise StoreError("a query worker stopped unexpectedly; try again") from exc
        if status == "error" and payload[0] == "stale":
            self._replace(worker)
        else:
            self._idle.put(worker)
        _LOG.debug("query answered in %.3f s", time.monotonic() - started)
        return status, payload

    def close(self) -> None:
        """Stop every worker."""
        self._closed = True
        while True:
            try:
                worker = self._idle.get_nowait()
            except queue.Empty:
                break
            self._stop(worker)

    def _spawn(self) -> _Worker:
        parent, child = self._context.Pipe()
        process = self._context.Process(
            target=_serve, args=(child, self.store_path), daemon=True, name="concord-kg-query"
        )
        process.start()
        child.close()
        return _Worker(process, parent, self._generation)

    def _replace(self, worker: _Worker) -> None:
        self._stop(worker)
        if not self._closed:
            self._idle.put(self._spawn())

    @staticmethod
    def _stop(worker: _Worker) -> None:
        worker.process.kill()
        worker.process.join(timeout=5)
        worker.conn.close()


#: Errors that mean a read-only opener's view of the store files went stale: RocksDB's own messages,
#: matched at the start only (a query's text, e.g. a function IRI, may appear later in a message).
_STALE = re.compile(r"(?:Corruption|IO error): ")


def _serve(conn: Connection, store_path: str) -> None:
    """Worker loop: open the store read-only on first use, answer jobs until the pipe closes."""
    from concord_kg.store import EmbeddedStore

    store: EmbeddedStore | None = None
    while True:
        try:
            kind, payload = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        if kind == "reopen":
            if store is not None:
                store.close()
            store = None
            continue
        try:
            try:
                if store is None:
                    store = EmbeddedStore(store_path, read_only=True)
                answer = execute(store, payload)
            except (OSError, RuntimeError, ConcordError) as exc:
                if isinstance(exc, QueryError) or not _STALE.match(str(exc)):
                    raise
                # A writer (an update, or `concord-kg load`) compacted files away since this worker
                # opened the store; a fresh process sees the current files.
                conn.send(("error", ("stale", str(exc))))
                return
            conn.send(("ok", answer))
        except ConcordError as exc:
            conn.send(("error", ("query" if isinstance(exc, QueryError) else "store", str(exc))))
        except RuntimeError as exc:  # pyoxigraph evaluation errors (e.g. unsupported function)
            conn.send(("error", ("query", f"query evaluation failed: {exc}")))
        except Exception as exc:  # noqa: BLE001 - the worker must answer whatever happens
            conn.send(("error", ("store", f"{type(exc).__name__}: {exc}")))
