"""The ``concord-kg query`` command: run a saved query of ``queries/`` without a server."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from concord_kg.cli_base import CONTEXT, user_errors
from concord_kg.errors import DataLoadError, parse_error

if TYPE_CHECKING:
    from pyoxigraph import Store

__all__ = ["query", "load_default_store"]

_FORMATS = ("csv", "tsv", "json")


def load_default_store() -> Store:
    """Return an in-memory pyoxigraph store holding the graphs derived from ``ontology/``.

    The same named graphs as the server's store (:func:`concord_kg.store.ontology_graphs`); this is
    the one place the command builds its store.
    """
    from pyoxigraph import Store

    from concord_kg.store import ontology_graphs

    store = Store()
    for graph_iri, graph in ontology_graphs().items():
        _load_rdflib_graph(store, graph, graph_iri)
    return store


def load_data_file(store: Store, path: Path) -> str:
    """Load an RDF file or a scenario table (by extension) into the data graph named after its stem.

    :returns: the named graph's IRI.
    :raises DataLoadError: the extension is not an RDF format or table, or the file does not parse.
    :raises InputErrors: a scenario table has bad rows.
    """
    from pyoxigraph import NamedNode

    from concord_kg.formats import RDF_EXTENSIONS, rdf_format_of
    from concord_kg.store import data_graph
    from concord_kg.tables import TABLE_SUFFIXES

    graph = data_graph(path.stem)
    if path.suffix.lower() in TABLE_SUFFIXES:
        from concord_kg.classify import classified_graph

        # A scenario table, classified and stored as ``load`` stores it.
        _load_rdflib_graph(store, classified_graph(path), graph)
        return graph
    rdf_format = rdf_format_of(
        path, hint=f"use RDF ({', '.join(RDF_EXTENSIONS)}) or a scenario table (.csv, .tsv, .xlsx)"
    )
    try:
        store.load(path=str(path), format=rdf_format, to_graph=NamedNode(graph))
    except SyntaxError as exc:
        raise parse_error(exc, error=DataLoadError, source=str(path), syntax=rdf_format.name) from exc
    return graph


def _load_rdflib_graph(store: Store, graph: Any, graph_iri: str) -> None:
    from pyoxigraph import NamedNode, RdfFormat

    from concord_kg.formats import rdflib_format

    store.load(
        graph.serialize(format=rdflib_format(RdfFormat.N_TRIPLES), encoding="utf-8"),
        format=RdfFormat.N_TRIPLES,
        to_graph=NamedNode(graph_iri),
    )


def _parse_param(_ctx: click.Context, _param: click.Parameter, values: tuple[str, ...]) -> dict[str, str]:
    given: dict[str, str] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"{item!r} is not NAME=VALUE")
        given[key.strip()] = value
    return given


@click.command("query", context_settings=CONTEXT)
@click.argument("name", required=False)
@click.option(
    "-p",
    "--param",
    "params",
    multiple=True,
    callback=_parse_param,
    metavar="NAME=VALUE",
    help='Bind a parameter: VALUE is <iri>, a CURIE (ckg:Coordinator), "a literal", a number, or plain text.',
)
@click.option("--format", "fmt", type=click.Choice(_FORMATS), default="csv", show_default=True)
@click.option(
    "--data",
    "data",
    multiple=True,
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Extra data to query with the ontology: RDF, or a scenario table (.csv, .tsv, .xlsx) classified "
    "as load does; repeatable.",
)
@click.option("--list", "list_queries", is_flag=True, help="List the saved queries and their parameters.")
@user_errors
def query(
    name: str | None, params: dict[str, str], fmt: str, data: tuple[Path, ...], list_queries: bool
) -> None:
    """Run the saved query NAME (a file of queries/) on the ontology and print the results.

    Example: concord-kg query options-of-domain --param notation=D4
    """
    from concord_kg.saved_queries import list_saved_queries, load_saved_query, run_saved_query

    if list_queries:
        for saved in list_saved_queries():
            click.echo(f"{saved.name}: {saved.title}")
            for param in saved.params:
                click.echo(f"    {param.name} = {param.default_text}  ({param.description})")
        return
    if name is None:
        raise click.UsageError("give a query NAME, or --list to see them")
    saved = load_saved_query(name)
    store = load_default_store()
    for path in data:
        load_data_file(store, path)
    solutions = run_saved_query(store, saved, params)
    click.echo(_serialise(solutions, fmt), nl=False)


def _serialise(solutions: Any, fmt: str) -> str:
    from pyoxigraph import QueryResultsFormat

    text = solutions.serialize(format=QueryResultsFormat.from_extension(fmt)).decode("utf-8")
    return text if text.endswith("\n") else text + "\n"
