"""The ``concord-kg`` command line: thin commands that parse options, call the library, print."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Literal

import click

from concord_kg import __version__
from concord_kg.answers import unknown_answers
from concord_kg.cli_base import CONTEXT, OUT_HELP, table_options, user_errors
from concord_kg.data_cli import harmonise, link
from concord_kg.decision import notation_order
from concord_kg.query_cli import query
from concord_kg.service_cli import load, serve
from concord_kg.tables import TableFormat

__all__ = ["main"]


@click.group(context_settings=CONTEXT)
@click.version_option(__version__, "-V", "--version", prog_name="concord-kg")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
def main(debug: bool) -> None:
    """Knowledge graph of care coordination for rare conditions (CONCORD).

    Build and check the ontology, classify patient scenarios into the ten models,
    and serve everything over SPARQL.
    """


@main.command(context_settings=CONTEXT)
@click.option(
    "-o",
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("dist"),
    show_default=True,
    help="Folder for the artefacts (created if missing).",
)
@user_errors
def build(out: Path) -> None:
    """Write the release artefacts: merged Turtle, RDF/XML, JSON-LD, SKOS, HTML docs, vocabulary guide."""
    from concord_kg.build import build_release

    start = time.perf_counter()
    written = build_release(out)
    for kind, path in written.items():
        click.echo(f"{kind:10} {path}")
    click.echo(f"built {len(written)} artefacts in {time.perf_counter() - start:.1f} s")


@main.command(context_settings=CONTEXT)
@click.option("--no-reasoner", is_flag=True, help="Skip the HermiT run (SHACL checks only).")
@click.option(
    "--ontology",
    "directory",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=None,
    help="Folder of ontology modules to check (default: the project's ontology/).",
)
@user_errors
def check(no_reasoner: bool, directory: Path | None) -> None:
    """Check the ontology: SHACL quality shapes, HermiT consistency, model definitions.

    Exits 0 when every check passes, 1 when one fails.
    """
    from concord_kg.qc import check_ontology

    start = time.perf_counter()
    result = check_ontology(directory, reasoner=not no_reasoner)
    click.echo(str(result))
    click.echo(f"checked in {time.perf_counter() - start:.1f} s")
    sys.exit(0 if result.passed else 1)


@main.command(context_settings=CONTEXT)
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option(
    "--engine",
    type=click.Choice(["fast", "hermit"]),
    default="fast",
    show_default=True,
    help="fast: decision table compiled from the OWL definitions; hermit: the DL reasoner (reference).",
)
@click.option("--format", "fmt", type=click.Choice(["csv", "json", "ttl"]), default="csv", show_default=True)
@click.option("-o", "--out", type=click.Path(dir_okay=False, path_type=Path), default=None, help=OUT_HELP)
@click.option(
    "--allow-partial",
    is_flag=True,
    help=f"Accept unknown answers ({unknown_answers()}): a scenario gets a model only if its known "
    "values entail one; a 'candidates' column lists the models still possible.",
)
@table_options
@user_errors
def classify(
    file: Path,
    engine: Literal["fast", "hermit"],
    fmt: Literal["csv", "json", "ttl"],
    out: Path | None,
    allow_partial: bool,
    table_format: TableFormat,
) -> None:
    """Classify the patient scenarios in FILE (CSV, XLSX, Turtle or JSON-LD) into the ten models.

    CSV header: id,access_to_specialist_centre,lives_near_specialist_centre,can_travel,
    can_coordinate_own_care,clear_who_to_see (other columns are kept in the output).
    Answers: yes/no, also y/n, true/false, 1/0 (any case).
    """
    from concord_kg.classify import classify_file

    counts = classify_file(
        file,
        out,
        engine=engine,
        fmt=fmt,
        allow_partial=allow_partial,
        progress=True,
        table_format=table_format,
    )
    summary = ", ".join(
        f"{k or 'none'}: {v}" for k, v in sorted(counts.items(), key=lambda kv: notation_order(kv[0]))
    )
    click.echo(f"classified {sum(counts.values())} scenario(s) — {summary}", err=True)


@main.command(context_settings=CONTEXT)
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option(
    "--shapes",
    "kind",
    default="scenario",
    show_default=True,
    help="Which shapes file of shapes/ to validate against (ontology, scenario, registry...).",
)
@table_options
@user_errors
def validate(file: Path, kind: str, table_format: TableFormat) -> None:
    """Validate FILE with the project's SHACL shapes. Exits 1 if it does not conform, 2 if unreadable.

    FILE is RDF (.ttl, .nt, .nq, .trig, .jsonld, .json, .rdf, .owl), or a scenario or registry
    table (.csv, .tsv, .xlsx) read as classify and link read it (bad rows are reported as they
    report them, exit 2), then validated as the RDF they make. A file with no triples is an error.
    """
    from concord_kg.validate import validate_file

    report = validate_file(file, kind, table_format=table_format)
    click.echo(str(report))
    sys.exit(0 if report.conforms else 1)


for _command in (load, serve, harmonise, link, query):
    main.add_command(_command)


if __name__ == "__main__":  # pragma: no cover
    main()
