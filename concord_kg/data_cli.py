"""The ``harmonise`` and ``link`` commands: dataset values onto taxonomy terms, registry rows onto ORDO."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from concord_kg.cli_base import CONTEXT, user_errors

__all__ = ["harmonise", "link"]


@click.command(context_settings=CONTEXT)
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--column", required=True, help="The column whose values are mapped (header name).")
@click.option(
    "--domain",
    "domains",
    multiple=True,
    metavar="NOTATION",
    help="Only map onto terms under this taxonomy notation (D3, D6.2); repeatable. Default: every term.",
)
@click.option(
    "--mappings",
    "reviewed",
    multiple=True,
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="A reviewed SSSOM table applied before matching (ManualMappingCuration rows fix a value's term, "
    "predicate_modifier Not rows forbid a value-term pair); repeatable, later files win.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "json"]),
    default="csv",
    show_default=True,
    help="Mapping table format; json adds the top 3 alternative terms with their scores.",
)
@click.option(
    "-o",
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Mapping table file (default: standard output, unless --out-dataset is given).",
)
@click.option(
    "--sssom",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the mappings as an SSSOM TSV file (with its YAML metadata header).",
)
@click.option(
    "--out-dataset",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the dataset with COLUMN_notation, COLUMN_iri, COLUMN_label after COLUMN: "
    "an XLSX workbook if the name ends in .xlsx, else CSV.",
)
@click.option(
    "--min-confidence",
    type=click.FloatRange(0, 1),
    default=None,
    help="Leave unmapped any value whose best match scores below this (default: the matcher's thresholds).",
)
@click.option(
    "--lexical-only",
    is_flag=True,
    help="Match wordings only (labels, synonyms, spelling variants), without the meaning stage.",
)
@click.option(
    "--fail-under",
    type=click.FloatRange(0, 1),
    default=None,
    help="Exit 1 when the share of distinct values mapped is below this rate (0-1).",
)
@click.option("--sheet", default=None, help="Worksheet of an XLSX file (default: the first).")
@user_errors
def harmonise(
    file: Path,
    column: str,
    domains: tuple[str, ...],
    reviewed: tuple[Path, ...],
    fmt: str,
    out: Path | None,
    sssom: Path | None,
    out_dataset: Path | None,
    min_confidence: float | None,
    lexical_only: bool,
    fail_under: float | None,
    sheet: str | None,
) -> None:
    """Map every distinct value of a dataset COLUMN onto a taxonomy term of the ontology.

    FILE is a CSV or XLSX dataset. Output columns: value,notation,iri,label,confidence,match_type,count
    (match_type exact, synonym, fuzzy, semantic, reviewed or none). A value is left unmapped when no term
    is clearly ahead of the next or it is not about care coordination. A summary of what did not map
    goes to standard error; progress bars too, on a terminal.
    """
    from concord_kg.harmonise import Harmoniser, default_harmoniser, harmonise_file
    from concord_kg.mappings import read_reviewed

    harmoniser = (
        default_harmoniser()
        if not domains and not lexical_only
        else Harmoniser(default_harmoniser().graph, domains=domains, semantic=not lexical_only)
    )
    decisions = None
    if reviewed:
        decisions = read_reviewed(list(reviewed), known={str(t.iri) for t in harmoniser.all_terms})
    result = harmonise_file(
        file,
        column,
        out=out,
        fmt=fmt,  # type: ignore[arg-type]
        sssom=sssom,
        out_dataset=out_dataset,
        min_confidence=min_confidence,
        sheet=sheet,
        harmoniser=harmoniser,
        reviewed=decisions,
        progress=sys.stderr.isatty(),
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
@click.option(
    "-o",
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Output file (default: standard output). Nothing is written if the input has errors.",
)
@user_errors
def link(file: Path, ordo: Path | None, fmt: str, summary: bool, out: Path | None) -> None:
    """Link a registry extract: ORPHAcodes to ORDO IRIs, each patient's scenario to its model.

    CSV header: patient_id,orphacode,access_to_specialist_centre,lives_near_specialist_centre,can_travel,
    can_coordinate_own_care,clear_who_to_see (extra columns kept). ORPHAcodes as ORPHA:558, 558,
    Orphanet_558 or the ORDO IRI; answers yes/no/y/n/true/false.
    """
    from concord_kg.registry import link_file

    if summary and fmt == "ttl":
        raise click.UsageError("--summary writes CSV; leave out --format ttl")
    linkage = link_file(file, out, fmt=fmt, summary=summary, ordo=ordo)  # type: ignore[arg-type]
    for patient in linkage.obsolete:
        click.echo(
            f"{file}:{patient.scenario.line}: column orphacode: {patient.orphacode} is obsolete in ORDO "
            f"({patient.disease})",
            err=True,
        )
    click.echo(str(linkage), err=True)
