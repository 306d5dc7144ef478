"""The ``harmonise`` and ``link`` commands: dataset values onto taxonomy terms, registry rows onto ORDO."""

from __future__ import annotations

from pathlib import Path

import click

from concord_kg.cli_base import CONTEXT, OUT_HELP, table_options, user_errors
from concord_kg.tables import TableFormat

__all__ = ["harmonise", "link"]


@click.command(context_settings=CONTEXT)
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--column", required=True, help="The column whose values are mapped (header name).")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
@click.option(
    "-o",
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Mapping table file (default: standard output); missing parent folders are created.",
)
@click.option(
    "--sssom",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the mappings as an SSSOM TSV file (with its YAML metadata header; folders created).",
)
@click.option(
    "--min-confidence",
    type=click.FloatRange(0, 1),
    default=None,
    help="Leave unmapped any value whose best match scores below this (default: the matcher's thresholds).",
)
@click.option(
    "--fail-under",
    type=click.FloatRange(0, 1),
    default=None,
    help="Exit 1 when the share of distinct values mapped is below this rate (0-1).",
)
@table_options
@user_errors
def harmonise(
    file: Path,
    column: str,
    fmt: str,
    out: Path | None,
    sssom: Path | None,
    min_confidence: float | None,
    fail_under: float | None,
    table_format: TableFormat,
) -> None:
    """Map every distinct value of a dataset COLUMN onto a taxonomy term of the ontology.

    FILE is a CSV or XLSX dataset. Output columns: value,notation,iri,label,confidence,match_type,count
    (match_type exact, synonym, fuzzy or none). A summary of what did not map goes to standard error.
    """
    from concord_kg.harmonise import harmonise_file

    result = harmonise_file(
        file,
        column,
        out=out,
        fmt=fmt,
        sssom=sssom,
        min_confidence=min_confidence,
        table_format=table_format,
    )
    click.echo(result.summary(), err=True)
    if fail_under is not None and result.mapped_rate < fail_under:
        click.echo(f"mapped rate {result.mapped_rate:.2f} is under --fail-under {fail_under:.2f}", err=True)
        raise SystemExit(1)


@click.command(context_settings=CONTEXT)
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option(
    "--ordo",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    help="Orphanet's ORDO OWL file: codes must exist in it; disease labels added; obsolete codes flagged.",
)
@click.option("--format", "fmt", type=click.Choice(["csv", "ttl"]), default="csv", show_default=True)
@click.option("--summary", is_flag=True, help="Write patients per model and per ORPHAcode × model (CSV).")
@click.option("-o", "--out", type=click.Path(dir_okay=False, path_type=Path), default=None, help=OUT_HELP)
@table_options
@user_errors
def link(
    file: Path, ordo: Path | None, fmt: str, summary: bool, out: Path | None, table_format: TableFormat
) -> None:
    """Link a registry extract: ORPHAcodes to ORDO IRIs, each patient's scenario to its model.

    CSV header: patient_id,orphacode,access_to_specialist_centre,lives_near_specialist_centre,can_travel,
    can_coordinate_own_care,clear_who_to_see (extra columns kept); CSV or XLSX. ORPHAcodes as
    ORPHA:558, 558, Orphanet_558 or the ORDO IRI; answers yes/no, y/n, true/false or 1/0.
    """
    from concord_kg.registry import link_file

    if summary and fmt == "ttl":
        raise click.UsageError("--summary writes CSV; leave out --format ttl")
    linkage = link_file(
        file,
        out,
        fmt=fmt,  # type: ignore[arg-type]
        summary=summary,
        ordo=ordo,
        table_format=table_format,
    )
    for patient in linkage.obsolete:
        click.echo(
            f"{file}:{patient.scenario.line}: column orphacode: {patient.orphacode} is obsolete in ORDO "
            f"({patient.disease})",
            err=True,
        )
    click.echo(str(linkage), err=True)
