"""Evaluate queries in worker processes that can be killed, so a query time limit really holds.

A thread cannot interrupt pyoxigraph mid-query, so each worker is a process holding the store
open read-only (``pyoxigraph.Store.read_only``); with updates allowed, one more worker holds it
read-write and applies them. A query or update that overruns the limit gets its worker killed and
replaced; the caller gets :class:`QueryTimeout` at once and the server stays responsive. The guard
runs in the worker too, so its parse is under the same time limit.

Each worker is sandboxed before it opens the store (:mod:`server.sandbox`): it cannot open an
Internet socket, so the store cannot federate or fetch whatever text reaches it, and its memory is
capped. Workers come from a ``forkserver`` (never a fork of the threaded server process).

In memory mode each query worker copies the whole store into memory when it starts and answers
from the copy (no disk reads per query). When the data changes, a new set of workers loads the new
data while the old set keeps answering; each old worker retires once a new one is ready.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import queue
import re
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from concord_kg.errors import ConcordError, QueryError, StoreError

from .results import Answer, Job, execute

__all__ = ["QueryTimeout", "PoolBusy", "WorkerDied", "WorkerPool"]

_LOG = logging.getLogger(__name__)


class QueryTimeout(StoreError):
    """A query ran past the time limit and was stopped."""


class PoolBusy(StoreError):
    """Every worker stayed busy for the whole time limit; the query was not started."""


class WorkerDied(StoreError):
    """A worker stopped in the middle of a job (out of memory, or crashed); it was replaced."""


#: Seconds a writer may compact after a committed update before it is replaced.
_COMPACTION_WAIT = 120.0


class _Committed(Exception):  # noqa: N818 - a signal, not an error
    """The update committed but its writer was replaced while compacting (the answer is still ok)."""


#: What a worker's error kind becomes in the server, for failures that are no :class:`ConcordError`
#: (those cross as they are, so the server answers them by their class: ``server.problems``).
_ERRORS: dict[str, type[ConcordError]] = {
    "query": QueryError,
    "memory": WorkerDied,
    "store": StoreError,
}


@dataclass
class _Worker:
    process: multiprocessing.process.BaseProcess
    conn: Connection
    generation: int


class WorkerPool:
    """A fixed number of worker processes over one store folder.

    :param store_path: the embedded store's folder (``None``: the workers only run :meth:`call`).
    :param size: number of worker processes.
    :param timeout: seconds a query or update may run before its worker is killed.
    :param max_memory: bytes of address space per worker (0: no cap).
    :param writable: the workers open the store read-write and apply updates (use ``size=1``).
    :param memory: each worker answers from an in-memory copy of the store, loaded at its start.
    :param load_timeout: seconds a worker may take to copy the store into memory.
    """

    def __init__(
        self,
        store_path: Path | str | None,
        *,
        size: int = 2,
        timeout: float = 30.0,
        max_memory: int = 0,
        writable: bool = False,
        memory: bool = False,
        load_timeout: float = 600.0,
    ) -> None:
        self.store_path = None if store_path is None else str(store_path)
        self.size = size
        self.timeout = timeout
        self.max_memory = max_memory
        self.writable = writable
        self.memory = memory and not writable and store_path is not None
        self.load_timeout = load_timeout
        self._ready_generation = -1  # the newest data generation a loaded worker holds
        self._ready = threading.Condition()
        # glibc reserves 64 MiB of address space per thread arena: with RLIMIT_AS as the memory cap,
        # a few arenas must do (the forkserver, started on first use, passes this on to the workers).
        os.environ.setdefault("MALLOC_ARENA_MAX", "2")
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(["concord_kg.server.pool"])
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._generation = 0
        self._lock = threading.Lock()
        self._workers: set[int] = set()
        self._closed = False

    def start(self, *, wait: bool = True) -> None:
        """Start the worker processes (in memory mode, wait until one has loaded the store)."""
        for _ in range(self.size):
            self._add(self._spawn())
        if wait and self.memory:
            self._wait_ready(self._generation)

    def refresh(self, *, wait: bool = False) -> None:
        """Let every worker see the current data from its next query on (after the data changed).

        Disk mode: each worker reopens the store before its next job. Memory mode: a new set of
        workers loads the data; old workers answer until the first new one is ready, then retire.

        :param wait: memory mode: return once a new worker is ready; from then on no old worker
            answers (read-your-writes).
        """
        with self._lock:
            self._generation += 1
            generation = self._generation
        if self.memory:
            for _ in range(self.size):
                self._add(self._spawn())
            if wait:
                self._wait_ready(generation)

    def wait_loaded(self) -> None:
        """Memory mode: wait until a worker holds the data of the latest :meth:`refresh`."""
        if self.memory:
            self._wait_ready(self._generation)

    def _add(self, worker: _Worker) -> None:
        """Make a started worker available (memory mode: once it reports the store loaded)."""
        if not self.memory:
            self._idle.put(worker)
            return
        threading.Thread(target=self._await_load, args=(worker,), daemon=True).start()

    def _await_load(self, worker: _Worker) -> None:
        try:
            loaded = worker.conn.poll(self.load_timeout) and worker.conn.recv()[0] == "ready"
        except (EOFError, OSError):
            loaded = False
        if not loaded:
            _LOG.error(
                "a query worker could not load the store into memory (exit %s)", worker.process.exitcode
            )
            self._stop(worker)
            with self._ready:
                self._ready.notify_all()
            return
        if self._closed:
            self._stop(worker)
            return
        with self._ready:
            self._ready_generation = max(self._ready_generation, worker.generation)
            self._ready.notify_all()
        self._idle.put(worker)

    def _wait_ready(self, generation: int) -> None:
        """Wait until a worker with the data of ``generation`` (or later) is loaded."""
        deadline = time.monotonic() + self.load_timeout
        with self._ready:
            while self._ready_generation < generation and not self._closed:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return
                self._ready.wait(min(remaining, 0.5))

    def run(self, job: Job) -> Answer:
        """Evaluate ``job`` in a free worker within the time limit.

        A worker whose view of the store went stale (a writer compacted files away) is replaced and
        the job is run once more in the fresh worker.

        :raises QueryTimeout: the query overran (its worker was replaced).
        :raises PoolBusy: no worker came free within the time limit.
        :raises WorkerDied: the worker died (e.g. out of memory) and was replaced.
        :raises QueryError: the guard or the store refused the query.
        """
        answer: Answer = self._outcome(("job", job))
        return answer

    def call(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run ``function(*args, **kwargs)`` (module-level) in a sandboxed worker within the time limit.

        For work on untrusted input that needs no store (parsing, SHACL), so its cost is bounded too.

        :raises QueryTimeout: it overran (its worker was replaced).
        :raises ConcordError: what the function raised, of the same kind.
        """
        return self._outcome(("call", (function, args, kwargs)))

    def update(self, text: str) -> None:
        """Guard and apply a SPARQL update in the (read-write) worker within the time limit.

        Killed mid-update, the store keeps none of it: pyoxigraph applies an update as one transaction.

        :raises QueryTimeout: the update overran (its worker was replaced, nothing was written).
        :raises ForbiddenQueryError: ``LOAD`` or ``SERVICE``.
        """
        self._outcome(("update", text))

    def _outcome(self, message: tuple[str, Any]) -> Any:
        status, payload = self._run_once(message)
        if status == "error" and payload[0] == "stale" and message[0] != "update":
            status, payload = self._run_once(message)  # an update is never run twice
        if status == "ok":
            return payload
        if status == "raise":
            raise payload  # the worker's ConcordError itself (e.g. a 413 from a capped parse in a call)
        kind, text = payload
        error = _ERRORS.get(kind, StoreError)
        if error is StoreError:
            text = f"the store failed: {text}"
        raise error(text)

    def _run_once(self, message: tuple[str, Any]) -> tuple[str, Any]:
        worker = self._take()
        try:
            if worker.generation != self._generation and not self.memory:
                worker.conn.send(("reopen", None))
                worker.generation = self._generation
            started = time.monotonic()
            worker.conn.send(message)
            if not worker.conn.poll(self.timeout):
                self._replace(worker)
                raise QueryTimeout(
                    f"the {'update' if message[0] == 'update' else 'query'} ran longer than "
                    f"{self.timeout:g} s and was stopped",
                    hint="add LIMIT, narrow the patterns, or ask the operator for a longer --query-timeout",
                )
            status, payload = worker.conn.recv()
            if status == "committed":
                status, payload = self._after_commit(worker)
        except QueryTimeout:
            raise
        except _Committed:
            return "ok", None  # its writer was replaced already
        except (EOFError, OSError) as exc:
            worker.process.join(timeout=5)
            code = worker.process.exitcode
            self._replace(worker)
            raise WorkerDied(
                f"the worker stopped during the job (exit code {code}): it ran out of memory or crashed",
                hint="ask for less (LIMIT, fewer string operations); the limit is --max-worker-memory",
            ) from exc
        except BaseException:
            self._replace(worker)  # whatever went wrong, the pool keeps its size
            raise
        if status == "error" and payload[0] == "stale":
            self._replace(worker)
        else:
            self._idle.put(worker)
        _LOG.debug("job answered in %.3f s", time.monotonic() - started)
        return status, payload

    def _take(self) -> _Worker:
        """Take an idle worker; in memory mode retire those older than the newest loaded data."""
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                worker = self._idle.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise PoolBusy(f"all {self.size} workers stayed busy for {self.timeout:g} s") from None
            if self.memory and worker.generation < self._ready_generation:
                self._stop(worker)  # a worker with newer data is ready: this one retires
                continue
            return worker

    def _after_commit(self, worker: _Worker) -> tuple[str, Any]:
        """Wait for the writer to compact after a committed update; the update succeeded either way.

        Compaction is bounded by the store's size, not by the update, so it gets its own, longer wait;
        a writer that still overruns it is replaced (what it committed stays committed).
        """
        if worker.conn.poll(max(self.timeout, _COMPACTION_WAIT)):
            worker.conn.recv()
        else:
            self._replace(worker)
            raise _Committed
        return "ok", None

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
            target=_serve,
            args=(child, self.store_path, self.writable, self.max_memory, self.memory),
            daemon=True,
            name="concord-kg-writer" if self.writable else "concord-kg-query",
        )
        process.start()
        child.close()
        return _Worker(process, parent, self._generation)

    def _replace(self, worker: _Worker) -> None:
        self._stop(worker)
        if not self._closed:
            self._add(self._spawn())

    @staticmethod
    def _stop(worker: _Worker) -> None:
        worker.process.kill()
        worker.process.join(timeout=5)
        worker.conn.close()


#: Errors that mean a read-only opener's view of the store files went stale: RocksDB's own messages,
#: matched at the start only (a query's text, e.g. a function IRI, may appear later in a message).
_STALE = re.compile(r"(?:Corruption|IO error): ")


def _serve(
    conn: Connection, store_path: str | None, writable: bool, max_memory: int, memory: bool = False
) -> None:
    """Worker loop: sandbox, open the store on first use (memory mode: copy it now), answer jobs."""
    from concord_kg.store import EmbeddedStore

    from .guard import analyse_update
    from .sandbox import SandboxError, forbid_network, limit_memory

    try:
        forbid_network()
    except SandboxError as exc:
        if sys.platform != "linux":
            _LOG.warning("query workers can reach the network (%s); only the guard stops SERVICE/LOAD", exc)
        else:
            raise  # fail closed: no worker runs without the sandbox where it exists
    limit_memory(max_memory)
    store: EmbeddedStore | None = None
    if memory and store_path:
        try:
            store = EmbeddedStore(store_path, memory=True)
        except (ConcordError, MemoryError, OSError, RuntimeError) as exc:
            _LOG.error("cannot copy the store into memory: %s", exc)
            return  # the pool sees the pipe close and logs it
        conn.send(("ready", None))
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
                if kind == "call":
                    function, args, kwargs = payload
                    conn.send(("ok", function(*args, **kwargs)))
                    continue
                if store is None:
                    if store_path is None:
                        raise StoreError("this worker has no store")
                    store = EmbeddedStore(store_path, read_only=not writable)
                if kind == "update":
                    analyse_update(payload)
                    store.update(payload)
                    conn.send(("committed", None))  # from here on the update stands, whatever happens
                    store = _settled(store)
                    conn.send(("ok", None))  # compacted: readers may reopen the store now
                    continue
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
            _send_error(conn, exc)
        except MemoryError:
            conn.send(("error", ("memory", "the job needed more memory than a worker may use")))
        except (RuntimeError, OSError) as exc:  # pyoxigraph evaluation errors (e.g. a failed fetch)
            conn.send(("error", ("query", f"evaluation failed: {exc}")))
        except Exception as exc:  # noqa: BLE001 - the worker must answer whatever happens
            conn.send(("error", ("store", f"{type(exc).__name__}: {exc}")))


def _settled(store: Any) -> Any:
    """Compact after an update (the answer is sent already); on failure, reopen before the next job."""
    try:
        store.settle()
    except Exception as exc:  # noqa: BLE001 - nothing may answer twice; the next job reopens the store
        _LOG.warning("compaction after an update failed: %s", exc)
        store.close()
        return None
    return store


def _send_error(conn: Connection, error: ConcordError) -> None:
    """Send a user error back as it is (class, message, where); if it cannot be pickled, its text."""
    try:
        conn.send(("raise", error))
    except Exception:  # noqa: BLE001 - e.g. an attribute holding an unpicklable object
        conn.send(("error", ("query", str(error))))
