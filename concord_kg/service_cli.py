"""The store and server commands of ``concord-kg``: ``load`` data into the store, ``serve`` it over SPARQL."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from concord_kg.cli_base import CONTEXT, user_errors

__all__ = ["load", "serve"]


def _store_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add ``--store DIR`` and ``--endpoint URL`` (mutually exclusive) to a command."""

    @click.option(
        "--store",
        "store_dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Folder of the embedded Oxigraph store [env CONCORD_STORE_DIR; default: .concord-kg/store].",
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
    store_dir: Path | None,
    endpoint: str | None,
    graph_store: str | None,
) -> None:
    """Load FILES (Turtle, N-Triples, JSON-LD, RDF/XML, a scenario CSV, SSSOM mappings) into a named graph.

    A scenario CSV is classified first (fast engine) and stored with each scenario's model. An SSSOM
    table (``*.sssom.tsv``) is stored as its match triples (``skos:exactMatch``...).
    The ontology graphs are (re)loaded too if the ontology changed since the last load.
    """
    from concord_kg.server.settings import resolve
    from concord_kg.store import EmbeddedStore, data_graph, ensure_ontology, file_batch, open_store

    settings = resolve({"STORE_DIR": store_dir, "ENDPOINT": endpoint, "GRAPH_STORE": graph_store}, os.environ)
    batches = []
    for index, path in enumerate(files):
        iri = data_graph(graph or path.stem)
        batches.append(file_batch(path, graph=iri, replace=replace and (graph is None or index == 0)))
    with open_store(
        Path(settings["STORE_DIR"]), endpoint=settings["ENDPOINT"], graph_store=settings["GRAPH_STORE"]
    ) as store:
        if ensure_ontology(store):
            click.echo("loaded the ontology graphs", err=True)
        counts = store.load_many(batches)  # all files or none
        for batch, count in zip(batches, counts, strict=True):
            click.echo(f"{batch.source}: {count} triples → <{batch.graph}>")
        if isinstance(store, EmbeddedStore):
            store.settle()  # compact now, not later under a running server's read-only workers


def _default(name: str) -> str:
    """Say a setting's default and its environment variable, for ``--help``."""
    from concord_kg.server.settings import SETTINGS

    setting = next(s for s in SETTINGS if s.name == name)
    return f"[env CONCORD_{name}; default: {setting.default_text}]"


@click.command(context_settings=CONTEXT)
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@_store_options
@click.option(
    "--query-timeout", type=float, help="Seconds before a query is stopped " + _default("QUERY_TIMEOUT")
)
@click.option("--max-results", type=int, help="Rows (or triples) returned at most " + _default("MAX_RESULTS"))
@click.option("--workers", type=int, help="Query worker processes " + _default("WORKERS"))
@click.option(
    "--max-worker-memory",
    metavar="SIZE",
    help="Memory of one query worker, e.g. 2G " + _default("MAX_WORKER_MEMORY"),
)
@click.option(
    "--store-mode",
    type=click.Choice(["auto", "memory", "disk"]),
    help="Query workers answer from an in-memory copy of the store or from disk; auto takes memory when "
    "the copy fits --memory-budget " + _default("STORE_MODE"),
)
@click.option(
    "--memory-budget",
    metavar="SIZE",
    help="Largest in-memory copy per query worker for --store-mode auto, e.g. 1G "
    + _default("MEMORY_BUDGET"),
)
@click.option(
    "--allow-update/--read-only",
    default=None,
    help="Accept SPARQL Update, with a token " + _default("ALLOW_UPDATE"),
)
@click.option(
    "--update-token",
    metavar="SECRET",
    help="Bearer token updates must carry; prefer the environment, which `ps` does not show "
    "[env CONCORD_UPDATE_TOKEN].",
)
@click.option(
    "--public-url",
    metavar="URL",
    help="Base URL the service is reached at, for links and the service description "
    "[env CONCORD_PUBLIC_URL; default: http://HOST:PORT/].",
)
@user_errors
def serve(host: str, port: int, store_dir: Path | None, **options: Any) -> None:
    """Serve the knowledge graph: SPARQL 1.1 Protocol, term pages, search, classify/validate APIs.

    On first start the ontology is loaded into the store; later starts reuse it. Every option
    overrides its CONCORD_* environment variable, which overrides the default.
    """
    from concord_kg.server import serve as run_server

    config = {name.upper(): value for name, value in options.items()}
    config["STORE_DIR"] = store_dir

    def ready(base: str) -> None:
        click.echo(f"concord-kg serving at {base}/ (SPARQL endpoint {base}/sparql; Ctrl+C stops)", err=True)

    run_server(config, host, port, ready=ready, warn=lambda text: click.echo(f"warning: {text}", err=True))
