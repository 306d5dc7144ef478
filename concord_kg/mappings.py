"""SSSOM mapping tables of harmonised values: write them, and read reviewed ones back as decisions.

The metadata block is YAML written by ``yaml.safe_dump`` (never text built by hand, so a column named
``Q3: who "coordinates"?`` stays valid YAML); the table is TSV through the ``csv`` module. Tables are read
back by :func:`concord_kg.sssom_io.read_sssom`. Reviewed decisions read from a table:

- a row whose ``mapping_justification`` is ``semapv:ManualMappingCuration`` (and no ``predicate_modifier``)
  fixes its value (``subject_label``) to the term ``object_id``; ``object_id`` ``sssom:NoTermFound``
  fixes it to "no term";
- a row with ``predicate_modifier`` ``Not`` forbids its value → term pair, whatever the justification.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO, TYPE_CHECKING
from urllib.parse import quote

import yaml

from concord_kg import __version__
from concord_kg.errors import MappingError
from concord_kg.links import shorten
from concord_kg.ontology import prefixes
from concord_kg.sssom_io import NO_TERM, read_sssom

if TYPE_CHECKING:
    from concord_kg.harmonise import Harmonisation, Match

__all__ = [
    "Reviewed",
    "read_reviewed",
    "write_sssom",
    "MANUAL",
    "LEXICAL",
    "SEMANTIC",
    "NO_TERM",
    "SSSOM_LICENSE",
]

#: Justifications (semapv) of the mappings written.
MANUAL = "semapv:ManualMappingCuration"
LEXICAL = "semapv:LexicalMatching"
SEMANTIC = "semapv:SemanticSimilarityThresholdMatching"
#: A cue rule: concepts read in the value's words, checked against the meaning stage.
COMPOSITE = "semapv:CompositeMatching"
#: Licence of every mapping set written.
SSSOM_LICENSE = "https://creativecommons.org/licenses/by/4.0/"
#: Columns written, in order.
SSSOM_COLUMNS = (
    "subject_id",
    "subject_label",
    "predicate_id",
    "predicate_modifier",
    "object_id",
    "object_label",
    "mapping_justification",
    "confidence",
    "subject_match_field",
    "object_match_field",
    "match_string",
    "comment",
)


def review_key(value: str) -> str:
    """Return the key under which a decision about a value is kept: spacing and case do not count.

    >>> review_key("  Key   Worker ")
    'key worker'
    """
    return " ".join(value.split()).casefold()


@dataclass
class Reviewed:
    """Human decisions about values: a fixed term IRI (``""`` for none) and forbidden term IRIs per value."""

    fixed: dict[str, str] = field(default_factory=dict)
    excluded: dict[str, set[str]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.fixed) + sum(len(v) for v in self.excluded.values())


def read_reviewed(paths: list[Path], *, known: set[str] | None = None) -> Reviewed:
    """Read reviewed SSSOM tables; later files override earlier ones for the same value.

    :param known: IRIs a fixed term must be one of (taxonomy terms).
    :raises MappingError: a file cannot be read, has no ``subject_label``/``object_id`` column, or names an
        unknown term or prefix (with the file and line).
    """
    reviewed = Reviewed()
    for path in paths:
        _read_one(path, reviewed, known)
    return reviewed


def _read_one(path: Path, reviewed: Reviewed, known: set[str] | None) -> None:
    table = read_sssom(path, required=("subject_label", "object_id"))
    for row in table:
        value = row.cells.get("subject_label") or ""
        obj = row.get("object_id")
        negated = row.get("predicate_modifier") == "Not"
        manual = row.get("mapping_justification") == MANUAL
        if not (negated or manual):
            continue
        iri = "" if obj == NO_TERM else table.iri(row, "object_id")
        if iri and known is not None and iri not in known:
            raise MappingError(
                f"object_id {obj}: not a taxonomy term",
                source=table.source,
                line=row.line,
                column="object_id",
                term=obj or None,
            )
        key = review_key(value)
        if negated:
            if iri:
                reviewed.excluded.setdefault(key, set()).add(iri)
        else:
            reviewed.fixed[key] = iri


def _row(
    match: Match, *, base: str, predicate: str, modifier: str = "", justification: str
) -> dict[str, str]:
    term = match.term
    return {
        "subject_id": "data:" + quote(match.value, safe=""),
        "subject_label": match.value,
        "predicate_id": predicate,
        "predicate_modifier": modifier,
        "object_id": shorten(str(term.iri)) if term else NO_TERM,
        "object_label": term.label if term else "",
        "mapping_justification": justification,
        "confidence": f"{match.confidence:.3f}" if term else "",
        "subject_match_field": "rdfs:label",
        "object_match_field": match.matched_field,
        # A cue match's "matched" text is the concepts the rule read, not a string of the value or label.
        "match_string": "" if match.match_type == "cue" else match.matched,
        "comment": f"{match.match_type} match"
        + (f" (concepts: {match.matched})" if match.match_type == "cue" else "")
        + f"; value seen {match.count} time(s)",
    }


def write_sssom(
    result: Harmonisation,
    handle: IO[str],
    *,
    dataset: str = "dataset",
    rejected: dict[str, list[Match]] | None = None,
) -> None:
    """Write the mapped values as SSSOM TSV with its YAML metadata block (``#``-prefixed lines).

    Dataset values have no identifiers, so each gets one in a per-column namespace (prefix ``data``).
    Exact and synonym matches are ``skos:exactMatch``; fuzzy and meaning matches ``skos:closeMatch``;
    reviewed ones are ``skos:exactMatch`` justified by ``semapv:ManualMappingCuration``, and a reviewed
    value with no term is written with object ``sssom:NoTermFound``.

    :param rejected: value → the proposals a reviewer turned down, written with ``predicate_modifier Not``.
    """
    base = (
        f"https://w3id.org/concord-kg/data/dataset/{quote(dataset, safe='')}/{quote(result.column, safe='')}/"
    )
    known = prefixes()
    meta = {
        "curie_map": {
            "ckg": known["ckg"],
            "data": base,
            "semapv": known["semapv"],
            "skos": known["skos"],
            "sssom": known["sssom"],
        },
        "mapping_set_id": f"{base}mappings.sssom.tsv",
        "mapping_set_title": f"Column {result.column} of {dataset} mapped to CONCORD",
        "license": SSSOM_LICENSE,
        "mapping_tool": "concord-kg harmonise",
        "mapping_tool_version": __version__,
        "mapping_date": date.today().isoformat(),
        "object_source": "https://w3id.org/concord-kg/",
    }
    block = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=1_000_000)
    for line in block.splitlines():
        handle.write(f"# {line}\n")
    writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
    writer.writerow(SSSOM_COLUMNS)
    for match in result.matches:
        if match.match_type == "reviewed":
            row = _row(match, base=base, predicate="skos:exactMatch", justification=MANUAL)
        elif match.term is None:
            continue
        elif match.match_type in {"exact", "synonym"}:
            row = _row(match, base=base, predicate="skos:exactMatch", justification=LEXICAL)
        elif match.match_type == "fuzzy":
            row = _row(match, base=base, predicate="skos:closeMatch", justification=LEXICAL)
        elif match.match_type == "cue":
            row = _row(match, base=base, predicate="skos:closeMatch", justification=COMPOSITE)
        else:
            row = _row(match, base=base, predicate="skos:closeMatch", justification=SEMANTIC)
        writer.writerow([row[c] for c in SSSOM_COLUMNS])
        for turned_down in (rejected or {}).get(match.value, []):
            row = _row(
                turned_down, base=base, predicate="skos:exactMatch", modifier="Not", justification=MANUAL
            )
            writer.writerow([row[c] for c in SSSOM_COLUMNS])
