"""Keep the knowledge graph in a SPARQL store: embedded Oxigraph on disk, or any SPARQL 1.1 endpoint.

Both kinds sit behind :class:`Store` (query, update, load, list graphs), and both hold the same
named graphs: the release ontology, its SKOS scheme, the SSSOM mappings and user data under
``graph/data/<name>``. :func:`ensure_ontology` (re)loads the ontology graphs only when the
authored files changed since the last load (a hash kept in the store's ``graph/meta``).

Query results always come back as pyoxigraph objects (solutions, a boolean or triples), so the
code that serialises them is the same for both kinds of store.
"""

from __future__ import annotations

import hashlib
import re
import time
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDFS

from concord_kg import __version__
from concord_kg.errors import DataLoadError, StoreError, parse_error, read_error
from concord_kg.formats import RDF_EXTENSIONS, graph_format, media_type_of, rdf_format, rdflib_format
from concord_kg.ontology import module_paths
from concord_kg.resources import ontology_dir
from concord_kg.tables import TABLE_SUFFIXES

__all__ = [
    "GRAPH_BASE",
    "ONTOLOGY_GRAPH",
    "SKOS_GRAPH",
    "MAPPINGS_GRAPH",
    "META_GRAPH",
    "DEFAULT_STORE_DIR",
    "Batch",
    "QueryResult",
    "Store",
    "OxigraphStore",
    "EmbeddedStore",
    "MemoryStore",
    "RemoteStore",
    "open_store",
    "data_graph",
    "ontology_graphs",
    "ontology_hash",
    "ensure_ontology",
    "graph_batch",
    "ontology_batches",
    "memory_store",
    "file_batch",
    "load_file",
]

#: Every named graph of the knowledge graph has an IRI under this base.
GRAPH_BASE = "https://w3id.org/concord-kg/graph/"
#: The release ontology (``concord_kg.build.release_graph``).
ONTOLOGY_GRAPH = GRAPH_BASE + "ontology"
#: The taxonomy as a SKOS concept scheme.
SKOS_GRAPH = GRAPH_BASE + "skos"
#: ``skos:*Match`` triples from ``ontology/mappings/*.sssom.tsv``.
MAPPINGS_GRAPH = GRAPH_BASE + "mappings"
#: Bookkeeping: the hash of the ontology files last loaded.
META_GRAPH = GRAPH_BASE + "meta"
#: Where ``concord-kg load``/``serve`` keep the embedded store unless told otherwise.
DEFAULT_STORE_DIR = Path(".concord-kg/store")

_HASH = ox.NamedNode("https://w3id.org/concord-kg/contentHash")
#: Bump when what is derived from the ontology files changes shape, to force a reload.
_LOADER_VERSION = "2"

#: The file name ending of SSSOM tables: ``concord-kg load`` reads them as mappings, not scenarios.
SSSOM_SUFFIX = ".sssom.tsv"

QueryResult = ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples | Sequence[ox.Triple]


@dataclass(frozen=True)
class Batch:
    """RDF bytes to load into one named graph (``replace``: empty it first); ``source`` names it in errors."""

    data: bytes
    media_type: str
    graph: str
    replace: bool = False
    source: str | None = None


def data_graph(name: str) -> str:
    """Return the IRI of the user-data graph called ``name`` (``graph/data/<name>``).

    >>> data_graph("cohort 1")
    'https://w3id.org/concord-kg/graph/data/cohort%201'
    """
    if "://" in name:
        return name
    return GRAPH_BASE + "data/" + quote(name, safe="")


class Store(ABC):
    """A SPARQL store holding the knowledge graph's named graphs."""

    #: Whether a query's default graph is the union of all named graphs.
    union_default_graph: bool = True

    @abstractmethod
    def query(
        self,
        sparql: str,
        *,
        default_graph: Sequence[str] | None = None,
        named_graphs: Sequence[str] | None = None,
        substitutions: Mapping[str, ox.NamedNode | ox.Literal | ox.BlankNode] | None = None,
        base_iri: str | None = None,
    ) -> QueryResult:
        """Evaluate a SPARQL query; return solutions, a boolean or triples (pyoxigraph types).

        :param default_graph: graph IRIs forming the default graph (protocol ``default-graph-uri``).
        :param named_graphs: graph IRIs available to ``GRAPH`` (protocol ``named-graph-uri``).
        :param substitutions: variable name → term bound before evaluation (SEP-0007), never text.
        :param base_iri: resolves relative IRIs when the query has no ``BASE`` (the protocol's request URL).
        :raises QueryError: the query is malformed.
        """

    @abstractmethod
    def update(self, sparql: str) -> None:
        """Apply a SPARQL update."""

    def load(self, data: bytes, *, media_type: str, graph: str, replace: bool = False) -> int:
        """Add RDF ``data`` (a serialisation of ``media_type``) to ``graph``; return the triple count.

        Nothing is written if ``data`` does not parse.

        :param replace: empty the graph first.
        :raises DataLoadError: the data does not parse.
        """
        return self.load_many([Batch(data, media_type, graph, replace)])[0]

    @abstractmethod
    def load_many(self, batches: Sequence[Batch]) -> list[int]:
        """Load several batches as one change: every batch is parsed first, and a bad one writes nothing.

        :returns: the triple count of each batch.
        :raises DataLoadError: a batch does not parse (naming it by ``Batch.source``).
        """

    @abstractmethod
    def graphs(self) -> list[str]:
        """Return the IRIs of the named graphs in the store."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release the store (flush to disk, close connections)."""

    def meta_hash(self) -> str | None:
        """Return the ontology hash recorded by the last :func:`ensure_ontology`, if any."""
        result = self.query(
            f"SELECT ?h WHERE {{ GRAPH <{META_GRAPH}> {{ <{ONTOLOGY_GRAPH}> <{_HASH.value}> ?h }} }}"
        )
        for solution in result if isinstance(result, ox.QuerySolutions) else ():
            return str(solution["h"].value)
        return None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class OxigraphStore(Store):
    """A pyoxigraph store, on disk (:class:`EmbeddedStore`) or in memory (:class:`MemoryStore`).

    Everything but opening is the same for both: queries (union default graph unless told),
    updates, one-transaction loads and the list of graphs.
    """

    read_only: bool = False
    _store: ox.Store

    def quad_count(self) -> int:
        """Return the number of quads in the store (all graphs)."""
        return len(self._store)

    def query(
        self,
        sparql: str,
        *,
        default_graph: Sequence[str] | None = None,
        named_graphs: Sequence[str] | None = None,
        substitutions: Mapping[str, ox.NamedNode | ox.Literal | ox.BlankNode] | None = None,
        base_iri: str | None = None,
    ) -> QueryResult:
        """Evaluate a query with pyoxigraph (see :meth:`Store.query`); union default graph unless told.

        A function IRI the store does not implement evaluates to an error, as SPARQL 1.1 §17.6 says
        (an unbound ``BIND``, a false ``FILTER``), instead of failing the whole query.
        """
        from concord_kg.errors import QueryError

        options: dict[str, Any] = {}
        if default_graph:
            options["default_graph"] = [ox.NamedNode(g) for g in default_graph]
        else:
            options["use_default_graph_as_union"] = self.union_default_graph
        if named_graphs:
            options["named_graphs"] = [ox.NamedNode(g) for g in named_graphs]
        if substitutions:
            options["substitutions"] = {ox.Variable(k): v for k, v in substitutions.items()}
        if base_iri:
            options["base_iri"] = base_iri
        unknown: dict[ox.NamedNode, Any] = {}
        while True:
            try:
                return self._store.query(sparql, **options)
            except SyntaxError as exc:
                raise QueryError(f"malformed SPARQL: {exc}") from exc
            except RuntimeError as exc:
                function = _UNKNOWN_FUNCTION.match(str(exc))
                if function is None or len(unknown) >= _MAX_UNKNOWN_FUNCTIONS:
                    raise
                # pyoxigraph reports one unknown function per attempt; each becomes an always-error
                # function (a callable returning None), then the query is prepared again.
                unknown[ox.NamedNode(function.group(1))] = _evaluation_error
                options["custom_functions"] = unknown

    def update(self, sparql: str) -> None:
        """Apply a SPARQL update (pyoxigraph)."""
        from concord_kg.errors import QueryError

        try:
            self._store.update(sparql)
        except SyntaxError as exc:
            raise QueryError(f"malformed SPARQL update: {exc}") from exc
        self._store.flush()  # query workers read the store from disk

    def load_many(self, batches: Sequence[Batch]) -> list[int]:
        """Parse every batch, then write them all, replaced graphs emptied first, in one transaction.

        pyoxigraph applies one SPARQL update as one transaction, so the drops and the inserts
        commit together: a process killed at any moment leaves the old data or the new, never
        neither (``remove_graph`` then ``extend`` would be two).
        """
        parsed = [(batch, _graph_name(batch), _parse_batch(batch)) for batch in batches]
        operations = [f"DROP SILENT GRAPH {name}" for b, name, _ in parsed if b.replace]
        operations += [f"CREATE SILENT GRAPH {name}" for _, name, _ in parsed]
        blocks = []
        for _, name, triples in parsed:
            if triples:
                body = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""
                blocks.append(f"GRAPH {name} {{\n{body.decode()}}}")
        if blocks:
            operations.append("INSERT DATA {\n" + "\n".join(blocks) + "\n}")
        self._store.update(" ;\n".join(operations))
        self._store.flush()
        return [len(triples) for _, _, triples in parsed]

    def graphs(self) -> list[str]:
        """Return the named graphs' IRIs, sorted."""
        return sorted(g.value for g in self._store.named_graphs() if isinstance(g, ox.NamedNode))

    def close(self) -> None:
        """Flush writes (read-only stores have none) and drop the handle."""
        store = getattr(self, "_store", None)
        if store is not None:
            if not self.read_only:
                store.flush()
            self._store = None  # type: ignore[assignment]


class EmbeddedStore(OxigraphStore):
    """An Oxigraph store in a folder on disk (pyoxigraph).

    :param path: the store folder (created if missing).
    :param read_only: open with ``Store.read_only`` (what query workers do; sees the data as of opening).
    :param memory: with ``read_only``, copy the whole store into memory and answer from the copy
        (no disk reads per query; the copy sees the data as of opening).
    """

    def __init__(self, path: Path | str, *, read_only: bool = False, memory: bool = False) -> None:
        self.path = Path(path)
        self.read_only = read_only or memory
        try:
            if memory:
                self._store = _copy_into_memory(self.path)
            elif read_only:
                self._store = _open_read_only(self.path)
            else:
                self.path.mkdir(parents=True, exist_ok=True)
                self._store = ox.Store(str(self.path))
        except (OSError, RuntimeError) as exc:
            raise StoreError(
                f"cannot open the store: {exc}",
                source=str(self.path),
                hint="is another concord-kg process using it? then use --endpoint to reach its server",
            ) from exc

    def settle(self) -> None:
        """Flush writes and compact the store now.

        A later background compaction would remove files that read-only openers (the query
        workers) still read.
        """
        self._store.flush()
        self._store.optimize()


class MemoryStore(OxigraphStore):
    """An empty pyoxigraph store in memory, gone when dropped: ``query --data`` and the tests use it.

    It holds the same named graphs as the other stores once filled (:func:`ensure_ontology`,
    :meth:`Store.load_many`), and answers queries the same way as :class:`EmbeddedStore`.

    >>> with MemoryStore() as store:
    ...     store.load(b"<urn:a> <urn:b> <urn:c> .", media_type="application/n-triples", graph="urn:g")
    ...     store.graphs()
    1
    ['urn:g']
    """

    def __init__(self) -> None:
        self._store = ox.Store()


#: pyoxigraph's message for a function IRI it does not implement.
_UNKNOWN_FUNCTION = re.compile(r"The custom function <([^<>]*)> is not supported")
#: Distinct unknown functions tolerated in one query (each costs a new parse).
_MAX_UNKNOWN_FUNCTIONS = 16


def _evaluation_error(*_arguments: object) -> None:
    """Stand for an unknown extension function: every call is an evaluation error (``None``)."""
    return None


def _copy_into_memory(path: Path, attempts: int = 5) -> ox.Store:
    """Copy every quad of the store at ``path`` into a new in-memory store.

    Opened read-only for the copy only; a writer elsewhere may compact files away meanwhile, so a
    copy that meets a vanished file starts again.
    """
    for attempt in range(attempts):
        disk = _open_read_only(path)
        try:
            memory = ox.Store()
            memory.bulk_extend(disk.quads_for_pattern(None, None, None, None))
            for graph in disk.named_graphs():  # empty named graphs exist too
                memory.add_graph(graph)
            return memory
        except (OSError, RuntimeError) as exc:
            if attempt == attempts - 1 or not re.match(r"(?:Corruption|IO error): ", str(exc)):
                raise
        finally:
            del disk
    raise AssertionError("unreachable")


def _open_read_only(path: Path, attempts: int = 20) -> ox.Store:
    """Open read-only, retrying while a writer elsewhere swaps the files the manifest names."""
    for attempt in range(attempts):
        try:
            return ox.Store.read_only(str(path))
        except (OSError, RuntimeError) as exc:
            if attempt == attempts - 1 or not re.match(r"(?:Corruption|IO error): ", str(exc)):
                raise
            time.sleep(0.05)
    raise AssertionError("unreachable")


_WHERE = re.compile(r"\bWHERE\s*\{", re.IGNORECASE)


def _with_values(sparql: str, substitutions: Mapping[str, ox.NamedNode | ox.Literal | ox.BlankNode]) -> str:
    """Bind variables by a ``VALUES`` block opening the outermost ``WHERE`` group."""
    from concord_kg.errors import QueryError

    if any(isinstance(v, ox.BlankNode) for v in substitutions.values()):
        raise QueryError("a blank node cannot be sent to a remote store as a parameter value")
    where = _WHERE.search(sparql)
    if where is None:
        raise QueryError("a query with parameters needs a WHERE clause to run on a remote store")
    names = " ".join(f"?{k}" for k in substitutions)
    values = " ".join(str(v) for v in substitutions.values())
    block = f" VALUES ({names}) {{ ({values}) }} "
    return sparql[: where.end()] + block + sparql[where.end() :]


class RemoteStore(Store):
    """Any SPARQL 1.1 store over HTTP: queries through SPARQLWrapper, loads through the Graph Store Protocol.

    :param endpoint: the SPARQL query endpoint URL.
    :param update_endpoint: the SPARQL update endpoint (default: ``endpoint``, or Oxigraph's
        ``/update`` next to a ``/query`` endpoint).
    :param graph_store: the Graph Store Protocol URL (default: ``endpoint``, or Oxigraph's ``/store``
        next to a ``/query`` endpoint).
    :param timeout: seconds to wait for an answer.
    """

    def __init__(
        self,
        endpoint: str,
        *,
        update_endpoint: str | None = None,
        graph_store: str | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.endpoint = endpoint
        self.update_endpoint = update_endpoint or _sibling(endpoint, "update")
        self.graph_store = graph_store or _sibling(endpoint, "store")
        self.timeout = timeout

    def _wrapper(self, url: str) -> Any:
        from SPARQLWrapper import SPARQLWrapper

        wrapper = SPARQLWrapper(url, agent=f"concord-kg/{__version__}")
        wrapper.setTimeout(int(max(1, self.timeout)))
        wrapper.setOnlyConneg(True)
        return wrapper

    def query(
        self,
        sparql: str,
        *,
        default_graph: Sequence[str] | None = None,
        named_graphs: Sequence[str] | None = None,
        substitutions: Mapping[str, ox.NamedNode | ox.Literal | ox.BlankNode] | None = None,
        base_iri: str | None = None,
    ) -> QueryResult:
        """Send the query; parse the answer into pyoxigraph objects.

        Substitutions are sent as a ``VALUES`` block at the start of the query's outermost
        ``WHERE`` group, so filters in it see the bound values (values are serialised RDF terms,
        never raw text): SEP-0007 substitutions are not part of the protocol.
        """
        from SPARQLWrapper import JSON, POST, TURTLE

        wrapper = self._wrapper(self.endpoint)
        wrapper.setMethod(POST)
        # A form POST: every SPARQL 1.1 store takes it (Virtuoso 7.2 waits forever on a direct POST).
        wrapper.setRequestMethod("urlencoded")
        if substitutions:
            sparql = _with_values(sparql, substitutions)
        if base_iri:
            # A BASE opening the prologue: a BASE in the query itself still wins (it comes later).
            sparql = f"BASE <{base_iri}>\n{sparql}"
        wrapper.setQuery(sparql)
        for graph in default_graph or ():
            wrapper.addDefaultGraph(graph)
        for graph in named_graphs or ():
            wrapper.addNamedGraph(graph)
        wrapper.queryType = _query_form(sparql)  # SPARQLWrapper's guess picks its Accept header
        graph_form = wrapper.queryType in ("CONSTRUCT", "DESCRIBE")
        wrapper.setReturnFormat(TURTLE if graph_form else JSON)
        body = self._send(wrapper)
        if graph_form:
            return list(ox.parse(body, format=ox.RdfFormat.TURTLE))
        return ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)

    def _send(self, wrapper: Any) -> bytes:
        from urllib.error import HTTPError

        from SPARQLWrapper.SPARQLExceptions import QueryBadFormed, SPARQLWrapperException

        from concord_kg.errors import QueryError

        try:
            body: bytes = wrapper.query().response.read()
            return body
        except QueryBadFormed as exc:
            raise QueryError(f"the endpoint refused the query: {_http_failure(exc)}") from exc
        except (HTTPError, SPARQLWrapperException) as exc:  # any other HTTP error status
            raise StoreError(f"endpoint {wrapper.endpoint} failed: {_http_failure(exc)}") from exc
        except OSError as exc:  # no answer: refused connection, timeout
            raise StoreError(f"endpoint {wrapper.endpoint} did not answer: {exc}") from exc

    def update(self, sparql: str) -> None:
        """Send a SPARQL update to the update endpoint."""
        from SPARQLWrapper import POST

        wrapper = self._wrapper(self.update_endpoint)
        wrapper.setMethod(POST)
        wrapper.setRequestMethod("urlencoded")
        wrapper.setQuery(sparql)
        self._send(wrapper)

    def load_many(self, batches: Sequence[Batch]) -> list[int]:
        """Check every batch parses, then ``PUT`` (replace) or ``POST`` (add) each to the graph store.

        A bad batch sends nothing; whether the sends commit together is up to the remote store.
        """
        import urllib.error
        import urllib.request

        counts = [len(_parse_batch(batch)) for batch in batches]
        for batch in batches:
            url = f"{self.graph_store}?graph={quote(batch.graph, safe='')}"
            request = urllib.request.Request(  # noqa: S310 - the URL is the configured endpoint
                url,
                data=batch.data,
                method="PUT" if batch.replace else "POST",
                headers={"Content-Type": batch.media_type},
            )
            try:
                with urllib.request.urlopen(request, timeout=max(self.timeout, 60)) as response:  # noqa: S310
                    response.read()
            except urllib.error.HTTPError as exc:
                raise StoreError(
                    f"graph store {self.graph_store} refused the data: {_http_failure(exc)}",
                    source=batch.source,
                ) from exc
            except OSError as exc:
                raise StoreError(f"graph store {self.graph_store} did not answer: {exc}") from exc
        return counts

    def graphs(self) -> list[str]:
        """Ask the endpoint which named graphs it has.

        ``GRAPH ?g { }`` is the cheap form; Virtuoso answers it with one empty row, so a store that
        binds no graph is asked again with a triple pattern.
        """
        graphs: list[str] = []
        for pattern in ("", "?s ?p ?o"):
            result = self.query(f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ {pattern} }} }}")
            rows = result if isinstance(result, ox.QuerySolutions) else ()
            graphs = sorted(s["g"].value for s in rows if isinstance(s["g"], ox.NamedNode))
            if graphs:
                break
        return graphs


#: Characters of an endpoint's error answer kept in a message (the start says what went wrong).
_MAX_ANSWER = 500


#: The HTTP status each of SPARQLWrapper's exceptions stands for (they keep no status of their own).
_WRAPPER_STATUS = {
    "QueryBadFormed": 400,
    "Unauthorized": 401,
    "EndPointNotFound": 404,
    "URITooLong": 414,
    "EndPointInternalError": 500,
}


def _http_failure(exc: Exception) -> str:
    """Say what an endpoint answered with an HTTP error: the status, then the start of its body.

    SPARQLWrapper raises its own exceptions for some statuses, keeping the body only inside the
    message (the repr of the bytes after a ``Response:`` line); urllib's ``HTTPError`` has it still unread.
    """
    import ast
    from urllib.error import HTTPError

    if isinstance(exc, HTTPError):
        status = f"HTTP {exc.code} {exc.reason}"
        try:
            body = exc.read()
        except OSError:
            body = b""
    else:
        code = _WRAPPER_STATUS.get(type(exc).__name__)
        status = f"HTTP {code}" if code else type(exc).__name__
        _, _, response = str(exc).partition("\n\nResponse:\n")
        try:
            body = ast.literal_eval(response) if response else b""
        except (ValueError, SyntaxError):
            body = response.encode()
    text = " ".join(bytes(body).decode("utf-8", "replace").split())
    if len(text) > _MAX_ANSWER:
        text = text[:_MAX_ANSWER] + "…"
    return f"{status}: {text}" if text else status


#: Comments (outside IRIs and strings) and prologue declarations, removed before reading a query's form.
_COMMENT_OR_PROLOGUE = re.compile(
    r"#[^\n]*|BASE\s*<[^<>]*>|PREFIX\s+[^\s:]*:\s*<[^<>]*>|<[^<>\s]*>|\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'",
    re.IGNORECASE,
)
_FORM_WORD = re.compile(r"\b(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", re.IGNORECASE)


def _query_form(sparql: str) -> str:
    r"""Return a query's form (``SELECT``, ``ASK``, ``CONSTRUCT`` or ``DESCRIBE``).

    SPARQLWrapper's own guess reads words in comments (a header comment saying "describe" makes a
    ``SELECT`` a ``DESCRIBE``); here comments, prologue, IRIs and strings are blanked out first.

    >>> _query_form("# describe the terms\nPREFIX d: <http://x/describe#>\nSELECT * {}")
    'SELECT'
    """
    match = _FORM_WORD.search(_COMMENT_OR_PROLOGUE.sub(" ", sparql))
    return match.group(1).upper() if match else "SELECT"


def _sibling(endpoint: str, name: str) -> str:
    """Return Oxigraph's ``/update`` or ``/store`` next to a ``/query`` endpoint (else the endpoint)."""
    if endpoint.endswith("/query"):
        return endpoint.removesuffix("/query") + "/" + name
    return endpoint


def open_store(
    path: Path | str | None = None,
    *,
    endpoint: str | None = None,
    graph_store: str | None = None,
    timeout: float = 30.0,
) -> Store:
    """Open the embedded store at ``path`` (default ``.concord-kg/store``) or the endpoint at ``endpoint``."""
    if endpoint:
        return RemoteStore(endpoint, graph_store=graph_store, timeout=timeout)
    return EmbeddedStore(path or DEFAULT_STORE_DIR)


def _graph_name(batch: Batch) -> str:
    """Return the batch's graph as SPARQL (``<iri>``), refusing anything that is not an IRI."""
    try:
        return str(ox.NamedNode(batch.graph))
    except ValueError as exc:
        raise DataLoadError(f"not a graph IRI: {batch.graph!r} ({exc})", source=batch.source) from None


def _parse_batch(batch: Batch) -> list[ox.Triple]:
    try:
        return _parse(batch.data, batch.media_type)
    except DataLoadError as exc:
        exc.source = batch.source or exc.source
        raise


def _parse(data: bytes, media_type: str) -> list[ox.Triple]:
    """Parse RDF bytes into triples (quads lose their graph), raising :class:`DataLoadError`."""
    fmt = graph_format(media_type)
    if fmt is None:
        raise DataLoadError(f"unsupported RDF media type {media_type!r}")
    try:
        # Fresh blank-node ids per document: two files' _:b0 are two nodes.
        quads = ox.parse(data, format=fmt, rename_blank_nodes=True)
        return [q.triple if isinstance(q, ox.Quad) else q for q in quads]
    except SyntaxError as exc:
        raise parse_error(exc, error=DataLoadError, source=None, syntax=fmt.name) from exc


def _mapping_paths() -> list[Path]:
    return sorted((ontology_dir() / "mappings").glob("*.sssom.tsv"))


def ontology_hash() -> str:
    """Return a hash of everything the ontology graphs are built from (files, package version)."""
    digest = hashlib.sha256(f"{_LOADER_VERSION}\n{__version__}\n".encode())
    for path in [*module_paths(), ontology_dir() / "context.json", *_mapping_paths()]:
        digest.update(path.name.encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def ontology_graphs(authored: Graph | None = None) -> dict[str, Graph]:
    """Return the graphs derived from ``ontology/`` by graph IRI: release ontology, SKOS scheme, mappings.

    The graphs are disjoint: each holds only triples the graphs before it lack. The store's default
    graph is the union of its named graphs and keeps every copy of a triple, so a triple in two
    graphs would come back twice from a query without ``DISTINCT``.

    :param authored: the authored ontology if already loaded (it is copied, not changed).
    """
    from concord_kg.build import release_graph, skos_scheme

    release = release_graph(authored)
    graphs = {ONTOLOGY_GRAPH: release, SKOS_GRAPH: skos_scheme(release)}
    mapping_paths = _mapping_paths()
    if mapping_paths:
        graphs[MAPPINGS_GRAPH] = sssom_graph(mapping_paths)
    seen = Graph()
    for graph in graphs.values():
        graph -= seen
        seen += graph
    return graphs


def sssom_graph(paths: Iterable[Path]) -> Graph:
    """Read SSSOM TSV files into ``subject predicate object`` triples (e.g. ``skos:exactMatch``).

    An ``object_label`` becomes the object's ``rdfs:label`` (a plain literal: SSSOM gives no language).
    A negated row (``predicate_modifier Not``) and a row whose object is ``sssom:NoTermFound`` state
    no match, so they give no triple; their cells are still checked, since a malformed row makes
    the file malformed whatever it states. Files are read by :func:`concord_kg.sssom_io.read_sssom`.

    :raises MappingError: a file is unreadable, lacks the SSSOM columns, or has a cell that is no
        CURIE or IRI (with the file, line and column).
    """
    from concord_kg.sssom_io import NO_TERM, read_sssom

    graph = Graph()
    for path in paths:
        table = read_sssom(path)
        for row in table:
            subject, predicate, obj = (
                URIRef(table.iri(row, c)) for c in ("subject_id", "predicate_id", "object_id")
            )
            if row.get("predicate_modifier") == "Not" or row.get("object_id") == NO_TERM:
                continue
            graph.add((subject, predicate, obj))
            label = row.get("object_label")
            if label:  # so term pages and queries can name the other vocabulary's term
                graph.add((obj, RDFS.label, Literal(label)))
    return graph


def graph_batch(graph: Graph, iri: str, *, replace: bool = False, source: str | None = None) -> Batch:
    """Return an rdflib graph as a :class:`Batch` for the named graph ``iri``."""
    nt = ox.RdfFormat.N_TRIPLES
    return Batch(
        graph.serialize(format=rdflib_format(nt), encoding="utf-8"), media_type_of(nt), iri, replace, source
    )


def ontology_batches() -> list[Batch]:
    """Return the graphs derived from ``ontology/`` (:func:`ontology_graphs`), each replacing its graph."""
    return [graph_batch(graph, iri, replace=True) for iri, graph in ontology_graphs().items()]


def memory_store(files: Iterable[Path] = ()) -> MemoryStore:
    """Return an in-memory store holding the ontology graphs, plus each file in the data graph of its stem.

    This is the store of ``concord-kg query`` (``--data`` files) and of :func:`concord_kg.api.run_query`:
    the same named graphs as a loaded embedded store, without the bookkeeping graph.

    :raises DataLoadError: a file has an unknown extension or does not parse (nothing is loaded).
    :raises InputErrors: a scenario table has bad rows.
    """
    store = MemoryStore()
    batches = ontology_batches() + [file_batch(path, graph=data_graph(path.stem)) for path in files]
    store.load_many(batches)
    return store


def ensure_ontology(store: Store, *, force: bool = False) -> bool:
    """Load the ontology graphs into ``store`` unless the files are unchanged since the last load.

    :returns: whether the graphs were (re)loaded.
    """
    current = ontology_hash()
    if not force and store.meta_hash() == current:
        return False
    nt = media_type_of(ox.RdfFormat.N_TRIPLES)
    batches = ontology_batches()
    if MAPPINGS_GRAPH in store.graphs() and not _mapping_paths():
        batches.append(Batch(b"", nt, MAPPINGS_GRAPH, replace=True))
    meta = f'<{ONTOLOGY_GRAPH}> <{_HASH.value}> "{current}" .\n'.encode()
    batches.append(Batch(meta, nt, META_GRAPH, replace=True))
    store.load_many(batches)  # one change: a reader never sees half an ontology
    return True


def file_batch(path: Path, *, graph: str, replace: bool = False) -> Batch:
    """Read one file as a :class:`Batch`: RDF by extension, SSSOM mappings, or a scenario table (classified).

    An SSSOM table (``*.sssom.tsv``, e.g. reviewed by ``concord-kg harmonise``) becomes its match triples
    (:func:`sssom_graph`). Another table (CSV, TSV, XLSX) is read with
    :func:`concord_kg.scenarios.read_scenarios`, classified with the fast engine and stored as
    :func:`concord_kg.classify.scenario_graph` (each scenario typed with its model).

    :raises DataLoadError: unknown extension or unreadable file.
    :raises MappingError: a malformed SSSOM table (file, line, column).
    :raises InputErrors: bad scenario rows.
    """
    suffix = path.suffix.lower()
    if path.name.lower().endswith(SSSOM_SUFFIX):
        return graph_batch(sssom_graph([path]), graph, replace=replace, source=str(path))
    if suffix in TABLE_SUFFIXES:
        from concord_kg.classify import classified_graph

        return graph_batch(classified_graph(path), graph, replace=replace, source=str(path))
    fmt = rdf_format(path)
    if fmt is not None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise read_error(exc, error=DataLoadError, source=str(path)) from exc
        return Batch(data, media_type_of(fmt), graph, replace, str(path))
    raise DataLoadError(
        f"unknown file type {suffix!r}",
        source=str(path),
        hint=f"use RDF ({', '.join(RDF_EXTENSIONS)}) or a scenario table (.csv, .tsv, .xlsx)",
    )


def load_file(store: Store, path: Path, *, graph: str, replace: bool = False) -> int:
    """Load one file into ``graph`` (see :func:`file_batch`); return the number of triples loaded.

    :raises DataLoadError: unknown extension or unparsable RDF (nothing is loaded).
    :raises InputErrors: bad scenario rows (nothing is loaded).
    """
    return store.load_many([file_batch(path, graph=graph, replace=replace)])[0]
