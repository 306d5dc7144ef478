"""Harmonise dataset values onto the taxonomy: labels and synonyms to IRIs, with an SSSOM table out.

The ontology's own labels are the one source of truth: the ``skos:prefLabel``/``rdfs:label``,
``skos:altLabel`` and ``skos:hiddenLabel`` of every taxonomy term (those with ``ckg:taxonomyLevel``).
Both labels and dataset values go through the same :func:`normalise` (case, accents, punctuation,
plurals, British/American spelling, hyphenated prefixes, a few abbreviations). Matching then runs in
order, first hit wins:

1. **exact**: the value equals a term's preferred label (confidence 1.0);
2. **synonym**: the value equals one of its alternative or hidden labels (0.95);
3. **fuzzy**: a spelling variant of a label (rapidfuzz similarity ≥ :data:`FUZZY_THRESHOLD`, clear of the
   runner-up term), or a short value that contains a multi-word label (confidence ≤ 0.9).

Precision comes first (a wrong mapping is worse than none): values saying nothing (``N/A``, ``unknown``,
dates, numbers, identifiers) are never matched; a value with a negation (``no``, ``not``, ``lack``…)
only matches a label that has one too; a key shared by two terms matches neither; fuzzy matches
need a margin over the best other term. Synonyms belong in the ontology, not here.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sys
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import IO, Literal
from urllib.parse import quote

from rapidfuzz import fuzz, process
from rdflib import Graph, URIRef
from rdflib.namespace import RDFS, SKOS

from concord_kg import __version__, tables
from concord_kg.errors import InputErrors, MappingError
from concord_kg.files import write_atomic
from concord_kg.ontology import CKG, Term, load_ontology, prefixes, term_info

__all__ = [
    "MatchType",
    "TableFormat",
    "Match",
    "Harmonisation",
    "Harmoniser",
    "normalise",
    "read_column",
    "harmonise_values",
    "harmonise_file",
    "write_sssom",
    "FUZZY_THRESHOLD",
    "CSV_COLUMNS",
]

MatchType = Literal["exact", "synonym", "fuzzy", "none"]
TableFormat = Literal["csv", "json"]

#: Columns of the mapping table.
CSV_COLUMNS = ("value", "notation", "iri", "label", "confidence", "match_type", "count")
#: Lowest rapidfuzz similarity (0-100) for a spelling-variant match: high, for precision.
FUZZY_THRESHOLD = 90.0
#: A fuzzy match must beat the best label of any other term by this many points.
FUZZY_MARGIN = 4.0
#: A contained label must cover at least this share of the value's words.
CONTAINMENT_COVERAGE = 0.65

#: Confidence given to each kind of match (fuzzy scores are scaled into ``[0.7, 0.9]``).
CONFIDENCE = {"exact": 1.0, "synonym": 0.95}

#: Abbreviations expanded during normalisation (on labels and values alike), so that ``MDT meeting``
#: and ``multidisciplinary team meeting`` meet. Only abbreviations with one reading in care
#: coordination belong here; synonyms of terms belong in the ontology as skos:altLabel/hiddenLabel.
ABBREVIATIONS = {
    "mdt": "multidisciplinary team",
    "mdts": "multidisciplinary team",
    "mdm": "multidisciplinary meeting",
    "gp": "general practitioner",
    "gps": "general practitioner",
    "cns": "clinical nurse specialist",
    "ehr": "electronic health record",
    "epr": "electronic patient record",
    "appt": "appointment",
    "appts": "appointment",
    "admin": "administrative",
    "coord": "coordinator",
    "f2f": "face to face",
    "tel": "telephone",
    "phone": "telephone",
    "docs": "document",
}
#: American spellings (and spelling variants) mapped to the British spelling the ontology uses.
SPELLINGS = {
    "center": "centre",
    "centers": "centres",
    "centered": "centred",
    "pediatric": "paediatric",
    "pediatrician": "paediatrician",
    "pediatrics": "paediatrics",
    "program": "programme",
    "programs": "programmes",
    "counselor": "counsellor",
    "counseling": "counselling",
    "behavior": "behaviour",
    "enrollment": "enrolment",
    "telehealth": "telehealth",
    "carer": "carer",
    "caregiver": "carer",
    "caregivers": "carers",
}
#: Words joined to the next word when written apart or hyphenated (co-ordinator, multi-disciplinary, e-mail).
_JOINED_PREFIXES = {"co", "multi", "e", "tele", "inter", "trans"}
#: Words that carry no meaning for matching.
_STOPWORDS = {"the", "a", "an", "my", "our", "their", "your", "his", "her"}
#: Words left out when measuring how much of a value a contained label covers.
_FUNCTION_WORDS = {
    "and",
    "or",
    "of",
    "for",
    "to",
    "in",
    "on",
    "at",
    "by",
    "with",
    "from",
    "between",
    "is",
    "are",
    "i",
    "we",
}
#: Words that negate a statement: a value with one only matches a label with one.
_NEGATIONS = {
    "no", "not", "non", "none", "nobody", "without", "lack", "lacking", "never", "unclear", "irregular",
    "unscheduled", "unplanned", "absent", "missing", "unavailable", "cannot", "nothing",
}  # fmt: skip
#: Whole values that mean "no answer": never mapped.
_NULL_VALUES = {
    "", "na", "n a", "nan", "null", "none", "nil", "unknown", "not known", "dont know", "do not know",
    "not applicable", "not stated", "not recorded", "missing", "other", "prefer not to say", "declined",
    "no answer", "not answered", "tbc", "tbd", "see note", "see notes", "test", "x", "yes", "no", "n", "y",
}  # fmt: skip

_DOTTED = re.compile(r"\b(?:[A-Za-z]\.){2,}")
_ISE = re.compile(r"(?<=[a-z]{3})iz(e|es|ed|ing|ation|ations)$")
_ISE_EXCEPTIONS = {"size", "sizes", "prize", "seize", "capsize"}


def normalise(text: str) -> str:
    """Return the matching key of a label or value: lower case, no accents or punctuation, singular, British.

    >>> normalise("Multi-disciplinary Team (MDT) Co-ordinators")
    'multidisciplinary team multidisciplinary team coordinator'
    >>> normalise("Pediatric Centers")
    'paediatric centre'
    >>> normalise("Our G.P.")
    'general practitioner'
    """
    # Dotted abbreviations (G.P., M.D.T.) are written as one word before punctuation is dropped.
    text = _DOTTED.sub(lambda m: m.group(0).replace(".", ""), text)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    text = text.replace("&", " and ").replace("n't", " not").replace("'s", "")
    words = re.findall(r"[a-z0-9]+", text)
    joined: list[str] = []
    for word in words:
        if joined and joined[-1] in _JOINED_PREFIXES and word.isalpha():
            joined[-1] += word
        else:
            joined.append(word)
    out: list[str] = []
    for word in joined:
        word = SPELLINGS.get(word, word)
        if word in ABBREVIATIONS:
            out.extend(_singular(w) for w in ABBREVIATIONS[word].split())
            continue
        if word not in _ISE_EXCEPTIONS:
            word = _ISE.sub(lambda m: "is" + m.group(1), word)
        if word not in _STOPWORDS:
            out.append(_singular(word))
    return " ".join(out)


def _singular(word: str) -> str:
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ss", "us", "is", "ous")):
        return word
    if word.endswith(("ches", "shes", "xes", "sses")):
        return word[:-2]
    if word.endswith("s"):
        return word[:-1]
    return word


def _is_null(key: str, raw: str) -> bool:
    """Values that say nothing: no answer, numbers, dates, codes with digits, a single letter."""
    if key in _NULL_VALUES or not re.search(r"[a-z]{2}", key):
        return True
    letters = sum(c.isalpha() for c in raw)
    digits = sum(c.isdigit() for c in raw)
    return digits >= 2 and digits >= letters / 2


def _negated(key: str) -> bool:
    return any(w in _NEGATIONS for w in key.split())


@dataclass(frozen=True)
class Match:
    """The mapping of one distinct value: the term (or none), how it was found, how sure, how often seen."""

    value: str
    term: Term | None
    confidence: float
    match_type: MatchType
    count: int = 1
    matched: str = ""
    matched_field: str = ""

    def row(self) -> dict[str, str | int | float]:
        """Return the table row: value, notation, iri, label, confidence, match_type, count."""
        term = self.term
        return {
            "value": self.value,
            "notation": term.notation or "" if term else "",
            "iri": str(term.iri) if term else "",
            "label": term.label if term else "",
            "confidence": round(self.confidence, 3),
            "match_type": self.match_type,
            "count": self.count,
        }


@dataclass
class Harmonisation:
    """Every distinct value of a column with its mapping, most frequent first."""

    matches: list[Match]
    source: str = ""
    column: str = ""

    @property
    def mapped(self) -> list[Match]:
        """Return the values that were mapped to a term."""
        return [m for m in self.matches if m.term is not None]

    @property
    def unmapped(self) -> list[Match]:
        """Return the values left unmapped, most frequent first."""
        return [m for m in self.matches if m.term is None]

    @property
    def mapped_rate(self) -> float:
        """Return the share of distinct values that were mapped (1.0 for no values)."""
        return len(self.mapped) / len(self.matches) if self.matches else 1.0

    def summary(self, *, limit: int = 20) -> str:
        """Return the report for people: distinct values and rows, then unmapped values by frequency."""
        rows = sum(m.count for m in self.matches)
        mapped_rows = sum(m.count for m in self.mapped)
        kinds = Counter(m.match_type for m in self.mapped)
        lines = [
            f"{self.source}: column {self.column}: {len(self.matches)} distinct value(s) in {rows} row(s); "
            f"mapped {len(self.mapped)} ({mapped_rows} rows: "
            + ", ".join(f"{k} {kinds[k]}" for k in ("exact", "synonym", "fuzzy"))
            + f"), unmapped {len(self.unmapped)} ({rows - mapped_rows} rows)"
        ]
        if self.unmapped:
            lines.append("unmapped values by frequency:")
            for m in self.unmapped[:limit]:
                lines.append(f"  {m.count:6d}  {m.value!r}")
            if len(self.unmapped) > limit:
                lines.append(f"  … and {len(self.unmapped) - limit} more")
        return "\n".join(lines)


#: Label properties read from the ontology, the kind of match each gives, and its CURIE.
_LABEL_PROPERTIES: tuple[tuple[URIRef, MatchType, str], ...] = (
    (SKOS.prefLabel, "exact", "skos:prefLabel"),
    (RDFS.label, "exact", "rdfs:label"),
    (SKOS.altLabel, "synonym", "skos:altLabel"),
    (SKOS.hiddenLabel, "synonym", "skos:hiddenLabel"),
)


@dataclass(frozen=True)
class _Entry:
    term: Term
    kind: MatchType
    label: str
    field: str  # the label property, as a CURIE


class Harmoniser:
    """Match values against the labels of the taxonomy terms of one ontology graph."""

    def __init__(self, graph: Graph | None = None) -> None:
        self.graph = graph if graph is not None else load_ontology()

    @cached_property
    def index(self) -> dict[str, _Entry]:
        """Return normalised label → entry; keys shared by two terms are left out (ambiguous)."""
        found: dict[str, list[_Entry]] = {}
        for subject in sorted(
            {s for s in self.graph.subjects(CKG.taxonomyLevel, None) if isinstance(s, URIRef)}
        ):
            term = term_info(self.graph, subject)
            for prop, kind, field in _LABEL_PROPERTIES:
                for label in self.graph.objects(subject, prop):
                    key = normalise(str(label))
                    if key:
                        found.setdefault(key, []).append(_Entry(term, kind, str(label), field))
        index: dict[str, _Entry] = {}
        for key, entries in found.items():
            terms = {e.term.iri for e in entries}
            if len(terms) == 1:
                index[key] = min(entries, key=lambda e: e.kind != "exact")
                continue
            exact = {e.term.iri for e in entries if e.kind == "exact"}
            if len(exact) == 1:  # one term's preferred label wins over another's synonym
                index[key] = next(e for e in entries if e.kind == "exact")
        return index

    @cached_property
    def _keys(self) -> list[str]:
        return list(self.index)

    @cached_property
    def _spans(self) -> list[tuple[str, _Entry]]:
        """Every label, longest first, for containment matching."""
        return sorted(self.index.items(), key=lambda kv: -len(kv[0].split()))

    def match(self, value: str, *, count: int = 1) -> Match:
        """Return the best match of one value (``match_type`` ``none`` if nothing is sure enough)."""
        key = normalise(value)
        if _is_null(key, value):
            return Match(value, None, 0.0, "none", count)
        entry = self.index.get(key)
        if entry is not None:
            return Match(
                value, entry.term, CONFIDENCE[entry.kind], entry.kind, count, entry.label, entry.field
            )
        found = self._fuzzy(key) or self._contained(key)
        if found is None:
            return Match(value, None, 0.0, "none", count)
        entry, confidence = found
        return Match(value, entry.term, confidence, "fuzzy", count, entry.label, entry.field)

    def _fuzzy(self, key: str) -> tuple[_Entry, float] | None:
        """Match a spelling variant of one label: high similarity, clear of every other term."""
        if len(key) < 5:
            return None
        candidates = process.extract(
            key, self._keys, scorer=_similarity, limit=8, score_cutoff=FUZZY_THRESHOLD - 15
        )
        if not candidates:
            return None
        best_key, best, _ = candidates[0]
        entry = self.index[best_key]
        if best < FUZZY_THRESHOLD or _negated(key) != _negated(best_key):
            return None
        rival = max(
            (s for k, s, _ in candidates[1:] if self.index[k].term.iri != entry.term.iri), default=0.0
        )
        if best - rival < FUZZY_MARGIN:
            return None
        return entry, 0.7 + 0.2 * (best - FUZZY_THRESHOLD) / (100 - FUZZY_THRESHOLD)

    def _contained(self, key: str) -> tuple[_Entry, float] | None:
        """Match a short value that contains one term's multi-word label and no other term's label.

        Labels found in the value are taken longest first without overlap; all must belong to one
        term, and together cover at least :data:`CONTAINMENT_COVERAGE` of the value's content words.
        """
        words = key.split()
        taken = [False] * len(words)
        chosen: list[tuple[str, _Entry]] = []
        for label, entry in self._spans:
            size = len(label.split())
            for start in range(len(words) - size + 1):
                if words[start : start + size] == label.split() and not any(taken[start : start + size]):
                    taken[start : start + size] = [True] * size
                    chosen.append((label, entry))
        if not chosen or len(chosen[0][0].split()) < 2:
            return None
        label, entry = chosen[0]
        if {e.term.iri for _, e in chosen} != {entry.term.iri}:
            return None
        content = [w for w, t in zip(words, taken, strict=True) if t or w not in _FUNCTION_WORDS]
        coverage = sum(taken) / len(content)
        if coverage < CONTAINMENT_COVERAGE or _negated(key) != any(_negated(k) for k, _ in chosen):
            return None
        return entry, 0.7 + 0.2 * coverage


def _similarity(a: str, b: str, **_: object) -> float:
    """Best of character similarity and word-order-free similarity (rapidfuzz, 0-100)."""
    return max(fuzz.ratio(a, b), fuzz.token_sort_ratio(a, b))


def harmonise_values(
    values: Iterable[str], *, harmoniser: Harmoniser | None = None, min_confidence: float | None = None
) -> Harmonisation:
    """Map each distinct value once; return them most frequent first.

    :param min_confidence: leave unmapped any match whose confidence is below this.
    """
    harmoniser = harmoniser or Harmoniser()
    counts = Counter(v.strip() for v in values)
    matches = []
    for value, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0].lower())):
        found = harmoniser.match(value, count=count)
        if found.term is not None and min_confidence is not None and found.confidence < min_confidence:
            found = Match(value, None, 0.0, "none", count)
        matches.append(found)
    return Harmonisation(matches)


def read_column(
    path: Path, column: str, *, sheet: str | None = None, table_format: tables.TableFormat | None = None
) -> list[str]:
    """Return every cell of ``column`` in a CSV or XLSX file (header in the first row).

    The file is read with :func:`concord_kg.tables.open_table` (delimiter sniffed, encoding errors
    named by line), as every command reads tables.

    :raises MappingError: the file cannot be read, or has no such column (the error lists the columns).
    """
    source = str(path)
    table_format = table_format or tables.TableFormat()
    if sheet is not None:
        table_format = tables.TableFormat(table_format.delimiter, table_format.encoding, sheet)
    try:
        with tables.open_table(
            path, expected=[column], table_format=table_format, error=MappingError
        ) as table:
            header = table.header
            if column not in header:
                raise MappingError(
                    f"column {column}: missing from the header",
                    source=source,
                    line=1,
                    hint="columns: " + ", ".join(header),
                )
            at = header.index(column)
            return [row[at] if at < len(row) else "" for row in table.rows if row]
    except InputErrors as exc:
        raise exc.errors[0] if len(exc.errors) == 1 else exc from None


#: SSSOM metadata of every mapping set written (a mapping_set_id is added per dataset and column).
SSSOM_LICENSE = "https://creativecommons.org/licenses/by/4.0/"
SSSOM_COLUMNS = (
    "subject_id",
    "subject_label",
    "predicate_id",
    "object_id",
    "object_label",
    "mapping_justification",
    "confidence",
    "subject_match_field",
    "object_match_field",
    "match_string",
    "mapping_tool",
    "mapping_tool_version",
    "mapping_date",
    "comment",
)


def write_sssom(result: Harmonisation, handle: IO[str], *, dataset: str = "dataset") -> None:
    """Write the mapped values as SSSOM TSV with its YAML metadata block (``#``-prefixed lines).

    Dataset values have no identifiers, so each gets one in a per-column namespace (prefix ``data``);
    exact and synonym matches are ``skos:exactMatch``, fuzzy ones ``skos:closeMatch``; every mapping is
    ``semapv:LexicalMatching``.
    """
    base = (
        f"https://w3id.org/concord-kg/data/dataset/{quote(dataset, safe='')}/{quote(result.column, safe='')}/"
    )
    known = prefixes()
    curie_map = {
        "ckg": known["ckg"],
        "data": base,
        "semapv": known["semapv"],
        "skos": known["skos"],
        "sssom": known["sssom"],
    }
    meta = [
        "curie_map:",
        *(f"  {k}: {v}" for k, v in curie_map.items()),
        f"mapping_set_id: {base}mappings.sssom.tsv",
        f"mapping_set_title: Column {_yaml(result.column)} of {_yaml(dataset)} mapped to CONCORD",
        f"license: {SSSOM_LICENSE}",
        "mapping_tool: concord-kg harmonise",
        f"mapping_tool_version: {__version__}",
        f"mapping_date: {date.today().isoformat()}",
        "object_source: https://w3id.org/concord-kg/",
    ]
    for line in meta:
        handle.write(f"# {line}\n")
    writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
    columns = [c for c in SSSOM_COLUMNS if c not in {"mapping_tool", "mapping_tool_version", "mapping_date"}]
    writer.writerow(columns)
    for m in result.mapped:
        assert m.term is not None  # noqa: S101 - mapped() keeps only matches with a term
        row = {
            "subject_id": "data:" + quote(m.value, safe=""),
            "subject_label": m.value,
            "predicate_id": "skos:closeMatch" if m.match_type == "fuzzy" else "skos:exactMatch",
            "object_id": "ckg:" + m.term.local_name,
            "object_label": m.term.label,
            "mapping_justification": "semapv:LexicalMatching",
            "confidence": f"{m.confidence:.3f}",
            "subject_match_field": "rdfs:label",
            "object_match_field": m.matched_field,
            "match_string": m.matched,
            "comment": f"{m.match_type} match; value seen {m.count} time(s)",
        }
        writer.writerow([row[c] for c in columns])


def _yaml(text: str) -> str:
    return json.dumps(text)[1:-1]


def harmonise_file(
    path: Path,
    column: str,
    *,
    out: Path | None = None,
    fmt: TableFormat = "csv",
    sssom: Path | None = None,
    min_confidence: float | None = None,
    sheet: str | None = None,
    harmoniser: Harmoniser | None = None,
    stdout: IO[str] | None = None,
    table_format: tables.TableFormat | None = None,
) -> Harmonisation:
    """Harmonise one column of a CSV/XLSX file; write the table to ``out`` (or stdout) and SSSOM to ``sssom``.

    Nothing is written if the input cannot be read.
    """
    values = read_column(path, column, sheet=sheet, table_format=table_format)
    result = harmonise_values(values, harmoniser=harmoniser, min_confidence=min_confidence)
    result.source, result.column = str(path), column
    table = io.StringIO()
    if fmt == "json":
        json.dump([m.row() for m in result.matches], table, ensure_ascii=False, indent=1)
        table.write("\n")
    else:
        writer = csv.DictWriter(table, fieldnames=CSV_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(m.row() for m in result.matches)
    if sssom is not None:
        mapping = io.StringIO()
        write_sssom(result, mapping, dataset=path.stem)
        write_atomic(sssom, mapping.getvalue())
    if out is not None:
        write_atomic(out, table.getvalue())
    else:
        (stdout or sys.stdout).write(table.getvalue())
    return result
