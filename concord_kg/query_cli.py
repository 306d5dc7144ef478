"""The ``concord-kg query`` command: run a saved query of ``queries/`` without a server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from concord_kg.cli_base import CONTEXT, user_errors

__all__ = ["query"]

_FORMATS = ("csv", "tsv", "json")


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
    from concord_kg.store import memory_store

    if list_queries:
        for saved in list_saved_queries():
            click.echo(f"{saved.name}: {saved.title}")
            for param in saved.params:
                click.echo(f"    {param.name} = {param.default_text}  ({param.description})")
        return
    if name is None:
        raise click.UsageError("give a query NAME, or --list to see them")
    saved = load_saved_query(name)
    solutions = run_saved_query(memory_store(data), saved, params)
    click.echo(_serialise(solutions, fmt), nl=False)


def _serialise(solutions: Any, fmt: str) -> str:
    from pyoxigraph import QueryResultsFormat

    text: str = solutions.serialize(format=QueryResultsFormat.from_extension(fmt)).decode("utf-8")
    return text if text.endswith("\n") else text + "\n"
