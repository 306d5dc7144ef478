"""The server's one handle on the knowledge graph: the store, the query workers, the graph list.

Embedded store: the server process opens the store read-write to load the ontology, then keeps only
a read-only handle (for the graph list); queries run in a :class:`~concord_kg.server.pool.WorkerPool`, which
reopens the store when its files change, and updates (when allowed) in a one-process pool that holds
the store read-write. Remote store: queries go to the endpoint from the request thread, with the
endpoint's HTTP timeout.
Everything opens on first use (or :meth:`Backend.start`), never at import.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from rdflib import Graph

from concord_kg.errors import StoreError
from concord_kg.store import EmbeddedStore, Store, ensure_ontology, open_store

from .results import Answer, Job, execute

__all__ = ["Backend"]

#: Seconds the list of graphs of a remote store is trusted before asking again.
_GRAPHS_TTL = 10.0
#: Seconds between looks at the embedded store's folder for changes by another process
#: (``concord-kg load`` while the server runs).
_WATCH_INTERVAL = 1.0


#: Bytes an in-memory copy takes per quad, measured with pyoxigraph 0.5 on the benchmark store
#: (214,623 quads: 97 MB resident on top of the worker's ~45 MB); used to decide ``auto`` mode.
BYTES_PER_QUAD = 500


def _store_mode(store: EmbeddedStore, config: Mapping[str, Any]) -> str:
    """Decide where the query workers answer from: the configured mode, or memory if the copy fits."""
    mode = str(config.get("STORE_MODE") or "auto")
    if mode != "auto":
        return mode
    budget = int(config["MEMORY_BUDGET"])
    cap = int(config.get("MAX_WORKER_MEMORY") or 0)
    if cap:
        budget = min(budget, cap // 2)  # the copy shares the worker's address space with its queries
    return "memory" if store.quad_count() * BYTES_PER_QUAD <= budget else "disk"


def _files_signature(path: Path) -> frozenset[str]:
    """Name the store's table and manifest files: a writer elsewhere changes this set."""
    try:
        names = (p.name for p in path.iterdir())
        return frozenset(n for n in names if n.endswith(".sst") or n.startswith("MANIFEST-"))
    except OSError:
        return frozenset()


class Backend:
    """Store, worker pool and cached derived data for one app, opened lazily and thread-safe."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.config = config
        self._lock = threading.RLock()
        self._store: Store | None = None
        self._pool: Any = None
        self._writer: Any = None
        self._graphs: tuple[float, list[str]] | None = None
        self._ontology: Graph | None = None
        self._signature: frozenset[str] = frozenset()
        self._checked = 0.0
        #: Where query workers answer from, once started: ``"memory"`` or ``"disk"``.
        self.store_mode: str | None = None

    @property
    def embedded(self) -> bool:
        """Whether the store is the embedded Oxigraph (not a remote endpoint)."""
        return not self.config.get("ENDPOINT")

    def start(self) -> Store:
        """Open the store, load the ontology graphs if they changed, start the query workers."""
        with self._lock:
            if self._store is not None:
                return self._store
            store = open_store(
                Path(self.config["STORE_DIR"]),
                endpoint=self.config.get("ENDPOINT"),
                graph_store=self.config.get("GRAPH_STORE"),
                timeout=float(self.config["QUERY_TIMEOUT"]),
            )
            reloaded = ensure_ontology(store)
            if isinstance(store, EmbeddedStore):
                if reloaded:
                    store.settle()
                # No writer stays open in the server process: RocksDB compactions by a writer would
                # delete files the read-only workers still read, and updates run in a killable worker.
                store.close()
                store = EmbeddedStore(store.path, read_only=True)
                self.store_mode = _store_mode(store, self.config)
            from .pool import WorkerPool

            options = {
                "timeout": float(self.config["QUERY_TIMEOUT"]),
                "max_memory": int(self.config["MAX_WORKER_MEMORY"]),
            }
            path = store.path if isinstance(store, EmbeddedStore) else None  # remote: workers guard only
            memory = self.store_mode == "memory"
            self._pool = WorkerPool(path, size=int(self.config["WORKERS"]), memory=memory, **options)
            self._pool.start()
            if isinstance(store, EmbeddedStore):
                if self.config.get("ALLOW_UPDATE"):
                    writer = WorkerPool(store.path, size=1, writable=True, **options)
                    writer.start()
                    self._writer = writer
                self._signature = _files_signature(store.path)
                self._checked = time.monotonic()
            self._store = store
            return store

    def close(self) -> None:
        """Stop the workers and close the store."""
        with self._lock:
            for pool in (self._pool, self._writer):
                if pool is not None:
                    pool.close()
            self._pool = self._writer = None
            if self._store is not None:
                self._store.close()
                self._store = None

    def run(self, job: Job) -> Answer:
        """Guard (if the job asks) and evaluate a query under the time limit and result cap.

        Embedded store: both in a worker. Remote store: the guard in a worker (its parse is bounded
        too), then the query from this thread with the endpoint's HTTP timeout.
        """
        store = self.start()
        if isinstance(store, EmbeddedStore):
            self._notice_outside_changes()
            return self._pool.run(job)
        if job.known_graphs is not None:
            from .guard import check_query

            dataset = {"default_graph": job.default_graph, "named_graphs": job.named_graphs}
            self.call(check_query, job.query, job.known_graphs, **dataset)
        return execute(store, replace(job, known_graphs=None))

    def call(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run a module-level function on untrusted input in a sandboxed worker, under the limits."""
        self.start()
        return self._pool.call(function, *args, **kwargs)

    def update(self, text: str) -> None:
        """Guard and apply an update (in the writer worker, under the time limit); workers then see it."""
        store = self.start()
        if self._writer is None:
            from .guard import analyse_update

            self.call(analyse_update, text)
            store.update(text)
        else:
            self._writer.update(text)
        with self._lock:
            self._changed()
        if self._pool is not None:
            self._pool.wait_loaded()  # the next query sees the update (memory mode: once reloaded)

    def graphs(self) -> list[str]:
        """Return the store's named graphs (cached; refreshed after changes)."""
        store = self.start()
        self._notice_outside_changes()
        store = self._store or store
        cached = self._graphs
        now = time.monotonic()
        if cached is not None and (self.embedded or now - cached[0] < _GRAPHS_TTL):
            return cached[1]
        graphs = store.graphs()
        self._graphs = (now, graphs)
        return graphs

    def ontology(self) -> Graph:
        """Return the ontology graphs merged in memory (release, SKOS, mappings) for term pages and search."""
        with self._lock:
            if self._ontology is None:
                from concord_kg.store import ontology_graphs

                merged = Graph()
                for graph in ontology_graphs().values():
                    merged += graph
                    for prefix, namespace in graph.namespaces():
                        merged.bind(prefix, namespace, override=False)
                self._ontology = merged
            return self._ontology

    def _changed(self) -> None:
        self._graphs = None
        store = self._store
        if self._pool is not None and isinstance(store, EmbeddedStore):
            self._signature = _files_signature(store.path)
            self._reopen(store)
            self._pool.refresh()

    def _reopen(self, store: EmbeddedStore) -> None:
        """Reopen the server's read-only handle (it shows the graphs as of its opening).

        The new handle replaces the old one, which is not closed: a request may still be using it,
        and it is released when the last reference goes. A failed reopen keeps the old handle.
        """
        try:
            self._store = EmbeddedStore(store.path, read_only=True)
        except StoreError:
            return

    def _notice_outside_changes(self) -> None:
        """Let workers and the graph list see data another process wrote (checked once a second)."""
        store = self._store
        if self._pool is None or not isinstance(store, EmbeddedStore):
            return
        now = time.monotonic()
        if now - self._checked < _WATCH_INTERVAL:
            return
        with self._lock:
            self._checked = now
            signature = _files_signature(store.path)
            if signature == self._signature:
                return
            self._signature = signature
            self._reopen(store)
            self._graphs = None
            self._pool.refresh()
