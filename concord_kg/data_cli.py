"""The ``harmonise`` and ``link`` commands: dataset values onto taxonomy terms, registry rows onto ORDO."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Literal

import click

from concord_kg.cli_base import CONTEXT, OUT_HELP, table_options, user_errors
from concord_kg.tables import TableFormat

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
    help="Mapping table file (default: standard output, unless --out-dataset is given); "
    "missing parent folders are created.",
)
@click.option(
    "--sssom",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the mappings as an SSSOM TSV file (with its YAML metadata header; folders created).",
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
    help="Match wordings only (labels, synonyms, cue rules, spelling variants), without the meaning stage.",
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
    domains: tuple[str, ...],
    reviewed: tuple[Path, ...],
    fmt: Literal["csv", "json"],
    out: Path | None,
    sssom: Path | None,
    out_dataset: Path | None,
    min_confidence: float | None,
    lexical_only: bool,
    fail_under: float | None,
    table_format: TableFormat,
) -> None:
    """Map every distinct value of a dataset COLUMN onto a taxonomy term of the ontology.

    FILE is a CSV or XLSX dataset. Output columns: value,notation,iri,label,confidence,match_type,count
    (match_type exact, synonym, cue, fuzzy, semantic, reviewed or none). A value is left unmapped when
    no term is clearly ahead of the next or it is not about care coordination. A summary of what did
    not map goes to standard error; progress bars too, on a terminal.
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
        fmt=fmt,
        sssom=sssom,
        out_dataset=out_dataset,
        min_confidence=min_confidence,
        table_format=table_format,
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
    help="Orphanet's full ORDO OWL file (read streaming) instead of the embedded list of the Orphanet "
    "diseases annotated in HPO: codes must exist in it; obsolete codes are flagged.",
)
@click.option(
    "--answers",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    help="With a Phenopackets JSON FILE: CSV of patient_id and the five scenario columns "
    "(joined by subject id).",
)
@click.option("--format", "fmt", type=click.Choice(["csv", "ttl", "fhir"]), default="csv", show_default=True)
@click.option(
    "--summary", is_flag=True, help="Write one tidy table of patients per ORPHAcode × model (CSV) instead."
)
@click.option(
    "--chart",
    "charts",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also draw patients per model and disease × model into this .png or .svg file (repeatable).",
)
@click.option("-o", "--out", type=click.Path(dir_okay=False, path_type=Path), default=None, help=OUT_HELP)
@table_options
@user_errors
def link(
    file: Path,
    ordo: Path | None,
    answers: Path | None,
    fmt: Literal["csv", "ttl", "fhir"],
    summary: bool,
    charts: tuple[Path, ...],
    out: Path | None,
    table_format: TableFormat,
) -> None:
    """Link a registry extract: ORPHAcodes to ORDO IRIs and disease names, each patient to its model.

    FILE is a CSV, a FHIR R4 JSON Bundle, or GA4GH Phenopackets v2 JSON (with --answers).

    CSV: patient_id, orphacode and the five scenario columns access_to_specialist_centre,
    lives_near_specialist_centre, can_travel, can_coordinate_own_care, clear_who_to_see (extra
    columns kept; CSV, TSV or XLSX; ORPHAcodes as ORPHA:558, 558, Orphanet_558 or the ORDO IRI;
    answers yes/no, y/n, true/false or 1/0).

    FHIR: Patient; Condition coded with Orphanet (system http://www.orpha.net or an ORDO IRI);
    QuestionnaireResponse to the Questionnaire in examples/fhir/concord-questionnaire.json.

    Every error of the input is reported at once; nothing is written then.
    """
    from concord_kg.registry import link_file

    if summary and fmt != "csv":
        raise click.UsageError(f"--summary writes CSV; leave out --format {fmt}")
    bad = [c for c in charts if c.suffix.lower() not in (".png", ".svg")]
    if bad:
        raise click.UsageError(f"--chart {bad[0]}: the file name must end in .png or .svg")
    linkage = link_file(
        file,
        out,
        fmt=fmt,
        summary=summary,
        ordo=ordo,
        answers=answers,
        charts=charts,
        table_format=table_format,
    )
    for patient in linkage.obsolete:
        where = (
            f"{file}:{patient.scenario.line}"
            if patient.scenario.line
            else f"{file}: patient {patient.patient_id}"
        )
        click.echo(
            f"{where}: column orphacode: {patient.orphacode} is obsolete in ORDO ({patient.disease})",
            err=True,
        )
    click.echo(str(linkage), err=True)
