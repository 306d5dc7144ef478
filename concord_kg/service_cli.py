"""The store and server commands of ``concord-kg``: ``load`` data into the store, ``serve`` it over SPARQL."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from concord_kg.cli_base import CONTEXT, user_errors
from concord_kg.store import DEFAULT_STORE_DIR

__all__ = ["load", "serve"]


def _store_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add ``--store DIR`` and ``--endpoint URL`` (mutually exclusive) to a command."""

    @click.option(
        "--store",
        "store_dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=DEFAULT_STORE_DIR,
        show_default=True,
        help="Folder of the embedded Oxigraph store.",
    )
    @click.option(
        "--endpoint",
        default=None,
        metavar="URL",
        help="Use this SPARQL 1.1 query endpoint instead of the embedded store.",
    )
    @click.option(
        "--graph-store",
        default=None,
        metavar="URL",
        help="Graph Store Protocol URL for loading with --endpoint "
        "(default: the endpoint itself, or /store next to an Oxigraph /query endpoint).",
    )
    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return command(*args, **kwargs)

    return wrapper


@click.command(context_settings=CONTEXT)
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(dir_okay=False, exists=True, path_type=Path)
)
@click.option(
    "--graph",
    default=None,
    metavar="NAME",
    help="Named graph to load into: a name (→ https://w3id.org/concord-kg/graph/data/NAME) or an IRI "
    "[default: each file's name without extension].",
)
@click.option("--replace", is_flag=True, help="Empty the graph before loading.")
@_store_options
@user_errors
def load(
    files: tuple[Path, ...],
    graph: str | None,
    replace: bool,
    store_dir: Path,
    endpoint: str | None,
    graph_store: str | None,
) -> None:
    """Load FILES (Turtle, N-Triples, JSON-LD, RDF/XML, or a scenario CSV) into a named graph.

    A scenario CSV is classified first (fast engine) and stored with each scenario's model.
    The ontology graphs are (re)loaded too if the ontology changed since the last load.
    """
    from concord_kg.store import EmbeddedStore, data_graph, ensure_ontology, load_file, open_store

    with open_store(store_dir, endpoint=endpoint, graph_store=graph_store) as store:
        if ensure_ontology(store):
            click.echo("loaded the ontology graphs", err=True)
        for index, path in enumerate(files):
            iri = data_graph(graph or path.stem)
            count = load_file(store, path, graph=iri, replace=replace and (graph is None or index == 0))
            click.echo(f"{path}: {count} triples → <{iri}>")
        if isinstance(store, EmbeddedStore):
            store.settle()  # compact now, not later under a running server's read-only workers


@click.command(context_settings=CONTEXT)
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@_store_options
@click.option(
    "--query-timeout", default=30.0, show_default=True, type=float, help="Seconds before a query is stopped."
)
@click.option(
    "--max-results", default=100_000, show_default=True, type=int, help="Rows (or triples) returned at most."
)
@click.option("--workers", default=None, type=int, help="Query worker processes [default: 2].")
@click.option("--allow-update", is_flag=True, help="Accept SPARQL Update (read-only otherwise).")
@user_errors
def serve(
    host: str,
    port: int,
    store_dir: Path,
    endpoint: str | None,
    graph_store: str | None,
    query_timeout: float,
    max_results: int,
    workers: int | None,
    allow_update: bool,
) -> None:
    """Serve the knowledge graph: SPARQL 1.1 Protocol, term pages, search, classify/validate APIs.

    On first start the ontology is loaded into the store; later starts reuse it.
    """
    import waitress

    from server import create_app

    config: dict[str, Any] = {
        "STORE_DIR": str(store_dir),
        "ENDPOINT": endpoint,
        "GRAPH_STORE": graph_store,
        "QUERY_TIMEOUT": query_timeout,
        "MAX_RESULTS": max_results,
        "ALLOW_UPDATE": allow_update,
    }
    if workers:
        config["WORKERS"] = workers
    app = create_app(config)
    app.extensions["concord"].start()
    server = waitress.create_server(app, host=host, port=port, threads=8, ident="concord-kg")
    shown = f"[{host}]" if ":" in host else host
    base = f"http://{shown}:{server.effective_port}"
    click.echo(f"concord-kg serving at {base}/ (SPARQL endpoint {base}/sparql; Ctrl+C stops)", err=True)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        app.extensions["concord"].close()
