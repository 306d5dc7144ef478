"""The server's one handle on the knowledge graph: the store, the query workers, and what views derive.

Views ask the app's :class:`Backend` (:func:`current_backend`) for the ontology, the decision model,
the classifier, the harmonisers, the search index and the saved queries: each is built once, on
first use, under a lock, so the ontology is parsed once and the decision model compiled once per app.
Harmonisers restricted to a set of domains are the exception: only the most recently used few are kept
(:data:`HARMONISER_CACHE_SIZE`), since a client chooses the sets.

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
from typing import TYPE_CHECKING, Any, TypeVar

from flask import current_app
from rdflib import Graph

from concord_kg.errors import StoreError
from concord_kg.store import EmbeddedStore, Store, ensure_ontology, open_store

from .cache import KeyedCache
from .results import Answer, Job, execute

if TYPE_CHECKING:
    from concord_kg.classify import Classifier
    from concord_kg.decision import DecisionModel
    from concord_kg.harmonise import Harmoniser
    from concord_kg.saved_queries import SavedQuery

    from .terms import SearchIndex

__all__ = ["Backend", "current_backend", "HARMONISER_CACHE_SIZE"]

_T = TypeVar("_T")

#: Domain-restricted harmonisers kept at once (least recently used dropped first): a client choosing
#: ever new sets of domains on ``/harmonise`` must not grow the server's memory.
HARMONISER_CACHE_SIZE = 8

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


def current_backend() -> Backend:
    """Return the backend of the app handling the current request."""
    backend: Backend = current_app.extensions["concord"]
    return backend


class Backend:
    """Store, worker pool and cached derived data for one app, opened lazily and thread-safe."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.config = config
        self._lock = threading.RLock()
        # Derived data has its own locks, one per key: building it must not wait for the store to open,
        # nor block queries, and a slow first build (the classifier, a harmoniser) blocks only the
        # requests that need that value, never cache hits on the others.
        self._derived: KeyedCache[Any] = KeyedCache()
        #: Harmonisers restricted to a set of domains, the most recently used kept.
        self.harmonisers: KeyedCache[Harmoniser] = KeyedCache(limit=HARMONISER_CACHE_SIZE)
        self._store: Store | None = None
        self._pool: Any = None
        self._writer: Any = None
        self._graphs: tuple[float, list[str]] | None = None
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

            timeout = float(self.config["QUERY_TIMEOUT"])
            max_memory = int(self.config["MAX_WORKER_MEMORY"])
            path = store.path if isinstance(store, EmbeddedStore) else None  # remote: workers guard only
            memory = self.store_mode == "memory"
            self._pool = WorkerPool(
                path, size=int(self.config["WORKERS"]), memory=memory, timeout=timeout, max_memory=max_memory
            )
            self._pool.start()
            if isinstance(store, EmbeddedStore):
                if self.config.get("ALLOW_UPDATE"):
                    writer = WorkerPool(
                        store.path, size=1, writable=True, timeout=timeout, max_memory=max_memory
                    )
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
            answer: Answer = self._pool.run(job)
            return answer
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

    def _once(self, key: object, build: Callable[[], _T]) -> _T:
        """Return the value cached under ``key``, building it on first use (once, whatever the threads)."""
        value: _T = self._derived.get(key, build)  # builds may ask for other keys under their own locks
        return value

    def authored_ontology(self) -> Graph:
        """Return the authored ontology (``ontology/*.ttl`` merged), parsed once; treat it as read-only.

        The classifier, the decision aid and the harmonisers read it, as the command line does.
        """
        from concord_kg.ontology import load_ontology

        return self._once("authored", load_ontology)

    def ontology(self) -> Graph:
        """Return the ontology graphs merged in memory (release, SKOS, mappings) for term pages and search."""

        def merge() -> Graph:
            from concord_kg.store import ontology_graphs

            merged = Graph()
            for graph in ontology_graphs(self.authored_ontology()).values():
                merged += graph
                for prefix, namespace in graph.namespaces():
                    merged.bind(prefix, namespace, override=False)
            return merged

        return self._once("ontology", merge)

    def classifier(self) -> Classifier:
        """Return the classifier over the authored ontology (its decision model compiled once)."""
        from concord_kg.classify import Classifier

        return self._once("classifier", lambda: Classifier(self.authored_ontology()))

    def decision(self) -> DecisionModel:
        """Return the decision model (questions, answers, model definitions): the classifier's."""
        return self.classifier().decision

    def harmoniser(self, domains: tuple[str, ...] = ()) -> Harmoniser:
        """Return the harmoniser for these domains (all terms when none), sharing the authored ontology.

        The unrestricted one is kept for the app's life (every page asks for it); restricted ones are
        kept in :attr:`harmonisers`, at most :data:`HARMONISER_CACHE_SIZE` of them.

        :raises MappingError: a domain is not the notation of a taxonomy term.
        """
        from concord_kg.harmonise import Harmoniser

        # One harmoniser per set, however the form repeats, orders or pads it (Harmoniser strips them too).
        domains = tuple(sorted({d.strip() for d in domains if d.strip()}))

        def build() -> Harmoniser:
            return Harmoniser(self.authored_ontology(), domains=domains)

        if not domains:
            return self._once("harmoniser", build)
        return self.harmonisers.get(domains, build)

    def search_index(self) -> SearchIndex:
        """Return the term search index over :meth:`ontology`."""
        from .terms import SearchIndex

        return self._once("search", lambda: SearchIndex(self.ontology()))

    def saved_queries(self) -> list[SavedQuery]:
        """Return the saved queries of ``queries/``, read once, sorted by name.

        :raises QueryError: a file's header is malformed.
        """
        from concord_kg.saved_queries import list_saved_queries

        return self._once("saved queries", list_saved_queries)

    def saved_query(self, name: str) -> SavedQuery:
        """Return the saved query called ``name``.

        :raises UnknownQueryError: no saved query has that name.
        """
        from concord_kg.saved_queries import load_saved_query

        found = next((q for q in self.saved_queries() if q.name == name), None)
        # an unknown name goes to the reader, whose error lists the known names
        return found if found is not None else load_saved_query(name)

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
