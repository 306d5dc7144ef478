"""Harmonise dataset values onto the taxonomy: labels and synonyms to IRIs, with an SSSOM table out.

The ontology's own labels are the one source of truth: the ``skos:prefLabel``/``rdfs:label``,
``skos:altLabel`` and ``skos:hiddenLabel`` of every taxonomy term (those with ``ckg:taxonomyLevel``).
Both labels and dataset values go through the same :func:`concord_kg.wording.normalise` (case, accents,
punctuation, plurals, British/American spelling, hyphenated prefixes, a few abbreviations and clinical
shorthand).
Matching then runs in order, first hit wins:

1. **exact**: the value equals a term's preferred label (confidence 1.0);
2. **synonym**: the value equals one of its alternative or hidden labels (0.95);
3. **cue**: the curator's cue rules (:mod:`concord_kg.cues`) name the option from the concepts the
   value's words carry (0.9 or 0.7 as the meaning stage ranks the option first or among its first
   four), unless the meaning stage ranks it lower or puts a term of another family far ahead, or the
   cues also name a sibling option;
4. **fuzzy**: a spelling variant of a label (rapidfuzz similarity ≥ :data:`FUZZY_THRESHOLD`, clear of the
   runner-up term), or a short value that contains a multi-word label (confidence ≤ 0.9), kept only when
   the meaning scores agree;
5. **semantic**: the term whose texts (labels, synonyms, definition, the exemplar wordings of
   ``concord_kg/exemplars/`` and the values curators labelled with it in ``concord_kg/exemplars/labelled/``)
   are nearest in meaning, when it is clearly ahead of every unrelated term and nearer than any
   out-of-domain exemplar (findings, identifiers, contact details, other topics, values a curator left
   unmapped); failing that, the term a classifier trained on the same texts
   (:mod:`concord_kg.term_classifier`) gives a probability of at least :data:`LEARNED_FILL` (confidence
   :data:`LEARNED_CONFIDENCE`).

A cue or meaning match whose term that classifier gives less than :data:`LEARNED_VETO` is dropped.

Precision comes first (a wrong mapping is worse than none): values saying nothing (``N/A``, ``unknown``,
a field without an answer, dates, numbers, identifiers, questions, a question answered "no") and values
about topics the taxonomy leaves out (research, medicines, failing technology) are never matched; a value
with a negation (``no``, ``not``, ``lack``, "used to"…) only matches a label that has one too; a key
shared by two unrelated terms matches neither (one that a sub-domain and its option share, neither's
preferred label, goes to the option); fuzzy matches need a margin over the best other term; a short
value offering alternatives ("video or telephone"), or any value with "either ... or", names neither,
and one listing two options ("letters and email") names neither unless the taxonomy has their
combination (hybrid, combination: checked after the first hit); meaning alone never maps a one-word
value, a rare condition's name, a value that mentions a side topic (an interpreter, transport) or two
parties who share the work, nor any value onto a whole domain. Synonyms belong in the ontology, not here.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import os
import re
import sys
from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal, NamedTuple, get_args

import numpy as np
from rapidfuzz import fuzz, process
from rdflib import Graph, URIRef
from rdflib.namespace import RDFS, SKOS
from threadpoolctl import threadpool_limits

from concord_kg import tables
from concord_kg.errors import MappingError
from concord_kg.files import write_atomic
from concord_kg.harmonised import count_column, iter_rows, write_harmonised
from concord_kg.mappings import Reviewed, review_key, write_sssom
from concord_kg.ontology import CKG, Term, load_ontology, term_info
from concord_kg.phrases import longest_by_start, longest_first
from concord_kg.semantic import Embedder
from concord_kg.term_classifier import TermClassifier
from concord_kg.term_classifier import train as train_classifier
from concord_kg.wording import STOPWORDS, is_negated, join_dotted, normalise, readable

if TYPE_CHECKING:
    from concord_kg.cues import CueRule, Cues

__all__ = [
    "MatchType",
    "TableFormat",
    "Match",
    "Harmonisation",
    "Harmoniser",
    "read_column",
    "harmonise_values",
    "harmonise_file",
    "write_sssom",
    "harmonise_counts",
    "Candidate",
    "Reviewed",
    "FUZZY_THRESHOLD",
    "CSV_COLUMNS",
]

MatchType = Literal["exact", "synonym", "cue", "fuzzy", "semantic", "reviewed", "none"]
TableFormat = Literal["csv", "json"]

#: Columns of the mapping table.
CSV_COLUMNS = ("value", "notation", "iri", "label", "confidence", "match_type", "count")
#: Lowest rapidfuzz similarity (0-100) for a spelling-variant match: high, for precision.
FUZZY_THRESHOLD = 90.0
#: A fuzzy match must beat the best label of any other term by this many points.
FUZZY_MARGIN = 4.0
#: A contained label must cover at least this share of the value's words.
CONTAINMENT_COVERAGE = 0.65

#: A fuzzy (spelling-level) match is dropped when the meaning score of its term is below this.
FUZZY_MEANING_FLOOR = 0.4
#: ...or when another term, not its ancestor or descendant, scores this much more on meaning.
FUZZY_MEANING_LAG = 0.1
#: A meaning-only match needs a cosine of at least this (below: out of domain, left unmapped)...
SEMANTIC_FLOOR = 0.6
#: ...and this lead over the best term that is not its ancestor or descendant (else: ambiguous).
SEMANTIC_MARGIN = 0.1

#: ...and this lead over the nearest out-of-domain exemplar (else: more like a finding, date or other topic).
VOID_MARGIN = 0.0

#: A meaning match goes to a descendant of the best term that scores at most this much less
#: (set on tune.csv and tune-2.csv: broad terms' generic texts otherwise win over the specific option).
NARROWER_LAG = 0.1

#: Values matched per batch (bounds the value × term and value × label matrices).
_BATCH = 4096
#: Blocks whose scores are computed ahead of the one being decided.
_AHEAD = 2
#: Values per product with the meaning stage's texts: a text × value matrix of a few MiB, many times
#: faster than one product for the whole batch (measured on 13,000 texts).
_PRODUCT = 256
#: Threads the scoring may use (BLAS products, rapidfuzz) while one core decides values in Python: more
#: would only take turns with the deciding thread (measured on 2 cores: a quarter of the CPU time was lost).
_SCORING_THREADS = max(1, len(os.sched_getaffinity(0)) - 1 if hasattr(os, "sched_getaffinity") else 1)

#: Confidence of a match named by the curator's cue rules (:mod:`concord_kg.cues`), by where the meaning
#: stage ranks the named term: first, or second to fourth (:data:`CUE_SHOWN`). On the tuning sets,
#: cross-validated (``bench/harmonise_eval.py``), such matches were right 95 % and 72 % of the time.
CUE_CONFIDENCE = (0.9, 0.7)
#: A cue-named term is not taken when an out-of-domain wording is this much nearer the value.
CUE_VOID_LEAD = 0.15
#: ... nor when a term outside its family (its parent's sub-tree) is this much nearer.
CUE_OUTSIDE_LAG = 0.15
#: ... nor when its meaning score is below this.
CUE_MEANING_FLOOR = 0.1
#: When rules name several unrelated terms, the nearest in meaning must lead the next by this much.
CUE_TIE_MARGIN = 0.05
#: The terms the meaning stage ranks first: the best one and the alternatives a reviewer is shown. A cue
#: is taken only for one of them: the rest were right less than half the time (cross-validated on the
#: tuning sets), often a side remark in a long answer or a word the rules read too broadly.
CUE_SHOWN = 4

#: The learnt second opinion (:mod:`concord_kg.term_classifier`): a term proposed by a cue rule or by meaning
#: is dropped when the classifier gives it a probability below LEARNED_VETO, and a value nothing else
#: maps takes the classifier's term when its probability is at least LEARNED_FILL, with confidence
#: LEARNED_CONFIDENCE. Set by cross-validation over the tuning sets (bench/harmonise_eval.py).
LEARNED_VETO = 0.02
LEARNED_FILL = 0.9
LEARNED_CONFIDENCE = 0.75

#: Confidence given to each kind of match (fuzzy scores are scaled into ``[0.7, 0.9]``).
CONFIDENCE = {"exact": 1.0, "synonym": 0.95}

#: A value that asks ("Can my GP see the records?", "Who do I ring?"), not one that hedges ("When
#: needed?", "Every 6 months?"): a question word, or a verb before its subject, and a final "?".
_ASKING = (
    r"(?:can|could|do|does|did|is|are|was|will|would|should)\s+"
    r"(?:i|we|you|he|she|they|it|my|our|his|her|the|there|anyone|someone|somebody|nobody)"
    r"|who|whom|which|what|why|where"
    r"|how\s+(?:do|can|does|did|often|much|many|long)"
    r"|when\s+(?:do|does|did|can|will|should|is|are)"
)
_QUESTION = re.compile(rf"\s*(?:{_ASKING})\b.*\?\s*$", re.I | re.S)
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
#: Whole values that mean "no answer": never mapped.
_NULL_VALUES = {
    "", "na", "n a", "nan", "null", "none", "nil", "unknown", "not known", "dont know", "do not know",
    "not applicable", "not stated", "not recorded", "missing", "other", "prefer not to say", "declined",
    "no answer", "not answered", "tbc", "tbd", "see note", "see notes", "under review", "test", "x", "yes",
    "no", "n", "y",
}  # fmt: skip

#: A field and an answer that gives none ("Team working: not known", "Regular or PRN - not specified").
_NO_ANSWER = re.compile(
    r"(?::|\s[-\u2013\u2014]\s|=)\s*(?:unknown|not known|not specified|unspecified|not stated|not recorded"
    r"|missing|not answered|no answer|n/?a|not applicable|tbc|tbd|declined|prefer not to say"
    r"|don['\u2019]?t know|not sure|not decided|not yet decided|undecided|to be decided|\?+)\W*$",
    re.I,
)
#: A short value left to be confirmed ("Clinical lead TBC"); in a longer one it is one detail of several.
_TBC = re.compile(r"\b(?:tbc|tbd|to be confirmed)\W*$", re.I)
#: A question answered in the negative ("Outreach? Don't think so", "Working together? Rarely"): the
#: whole answer after the question denies it, so it names nothing the taxonomy can take.
_DENIED = re.compile(
    r"\?\s*(?:(?:also |i )?(?:no|nope|never|rarely|hardly(?: ever)?|not really|don['\u2019]?t think so"
    r"|do not think so|not that i(?:['\u2019]?ve| have) (?:ever )?seen)[\s.!]*)+$",
    re.I,
)

#: "Video or telephone", "GP or specialist nurse": a short value offering alternatives names neither.
_ALTERNATIVES = re.compile(r"\S\s+or\s+\S|\band/or\b", re.I)
#: Where such a value splits into its alternatives.
_OR = re.compile(r"\s+or\s+|\s*\band/or\b\s*", re.I)
#: Match types a stage infers (not a label, a synonym or a reviewed decision): checked for two options.
_INFERRED = frozenset({"cue", "fuzzy", "semantic"})
#: Characters stripped from the ends of a word when words are counted.
_PUNCTUATION = "\"'()[]{}.,;:!?-*"
#: Where a short value joins two things ("Letters and email", "GP + charity", "F2F/video").
_BOTH = re.compile(r"\s+(?:and|plus)\s+|\s*[+&]\s*|(?<!\bw)/", re.I)
#: Each part of such a value has at most this many words: longer parts describe, they do not list.
_PART_WORDS = 3
#: ... unless "or" is part of an idiom ("once or twice a year", "one or more centres", "or not").
_OR_IDIOMS = re.compile(
    r"\b(?:once or twice|one or more|two or more|one or two|or so|or not|either or|little or no|few or no)\b",
    re.I,
)
#: Values of at most this many words are read as offering alternatives; in longer ones "or" is prose.
_SHORT_VALUE = 8
#: "Either ... or ..." in one clause offers a choice at any length, whatever else the value negates
#: ("Either a nurse or a doctor, not decided").
_EITHER = re.compile(r"\beither\b[^,;:.!?]*\S\s+or\s+\S", re.I)
#: A value of at most this many words that ends "TBC" leaves its one detail to be confirmed.
_SHORT_TBC = 3


def _offers_alternatives(value: str) -> bool:
    """Tell whether a short value offers a choice of options ("video or telephone"), naming neither.

    A negation before the choice denies both ("No named lead or point of contact" is no choice); one
    after it is a remark on it ("Phone or video, I have no preference" still is).

    >>> values = ("Video or phone", "No lead or contact", "Phone or video, no preference", "Little or no MDT")
    >>> [_offers_alternatives(v) for v in values]
    [True, False, True, False]
    >>> [_offers_alternatives(v) for v in ("Either the nurse or the GP, not decided", "Either once or twice")]
    [True, False]
    """
    text = _OR_IDIOMS.sub(" ", value)
    if _EITHER.search(text):
        return True
    if len(value.split()) > _SHORT_VALUE:
        return False
    found = _ALTERNATIVES.search(text)
    return found is not None and not is_negated(normalise(text[: found.start() + 1]))


def _is_null(key: str, raw: str) -> bool:
    """Values that say nothing: no answer (alone or a field's), numbers, dates, digit codes, a question.

    >>> [_is_null(normalise(v), v) for v in ("f/u 6/12", "6/12", "GP 1234", "12/03/2024", "Annual r/v")]
    [False, True, True, True, False]
    >>> asked = ("Who do I ring?", "Can my GP see it?", "When needed?", "Is seen yearly?")
    >>> [_is_null(normalise(v), v) for v in asked]
    [True, True, False, False]
    >>> fields = ("Team working: not known", "Access: ?", "Joint clinic: Y", "Collaboration: none")
    >>> [_is_null(normalise(v), v) for v in fields]
    [True, True, False, False]
    """
    if key in _NULL_VALUES or not re.search(r"[a-z]{2}", key) or not re.search(r"[A-Za-z]", raw):
        return True
    if _QUESTION.match(raw) or _NO_ANSWER.search(raw) or ("?" in raw and _DENIED.search(raw)):
        return True  # asks about an arrangement, gives no answer, or answers its question "no"
    if len(raw.split()) <= _SHORT_TBC and _TBC.search(raw):
        return True
    # Letters as written (an expansion such as GP -> general practitioner adds none); digits in the key,
    # where clinical shorthand ("6/12 r/v": in six months) is already spelt out.
    letters = sum(map(str.isalpha, raw))
    digits = sum(map(str.isdigit, key))
    return digits >= 2 and digits >= letters / 2


@functools.cache
def _condition_names() -> frozenset[str]:
    """Return the keys of the rare conditions' names that hpo3 embeds (Orphanet; read on first need).

    Labelled values name conditions ("Dedicated Marfan syndrome clinic"), so a value that is only a
    condition's name lands near them in meaning; it says nothing about how care is coordinated.
    """
    from concord_kg.orphanet import condition_names

    return frozenset(map(normalise, condition_names()))


def _words(value: str) -> int:
    """Count a value's words as written, without articles and possessives ("The nurse's" is one word).

    >>> [_words(v) for v in ("The nurse.", "Nurse/GP", "Co-ordinator", "M.D.T.", "Full access")]
    [1, 1, 1, 1, 2]
    """
    words = (w.strip(_PUNCTUATION).lower().removesuffix("'s") for w in join_dotted(value).split())
    return sum(1 for w in words if w and w not in STOPWORDS)


class Candidate(NamedTuple):
    """A term that could be meant, with its meaning score (cosine of embeddings, -1 to 1)."""

    term: Term
    score: float

    def record(self) -> dict[str, str | float]:
        """Return the JSON form: notation, iri, label, score."""
        return {
            "notation": self.term.notation or "",
            "iri": str(self.term.iri),
            "label": self.term.label,
            "score": round(self.score, 3),
        }


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
    alternatives: tuple[Candidate, ...] = ()

    def record(self) -> dict[str, Any]:
        """Return the JSON form: the table row plus the top-3 alternatives with their meaning scores."""
        return {**self.row(), "alternatives": [c.record() for c in self.others()]}

    def others(self, limit: int = 3) -> list[Candidate]:
        """Return the best-scored terms other than the one chosen, at most ``limit``."""
        chosen = self.term.iri if self.term else None
        return [c for c in self.alternatives if c.term.iri != chosen][:limit]

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
            + ", ".join(f"{k} {kinds[k]}" for k in get_args(MatchType) if k != "none")
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
    """Match values against the taxonomy terms of one ontology graph: lexical stages, then meaning.

    :param domains: notations of sub-trees (``D3``, ``D6.2``): only their terms are candidates.
    :param semantic: add the embedding stage (off: the lexical stages alone, as before).
    :param cue_rules: let the curator's cue rules name terms (off: what the label, synonym and spelling
        stages leave goes to the meaning stage; the cue concepts still stop identifiers and off-topic
        values and tell the parts of a short list).
    :param exemplars: the meaning stage's ``(notation, text)`` wordings, an empty notation for an
        out-of-domain one (default: those shipped, :func:`concord_kg.semantic.load_exemplars`); the
        benchmark passes subsets to score labelled sets on wordings learnt without them.
    """

    def __init__(
        self,
        graph: Graph | None = None,
        *,
        domains: Iterable[str] = (),
        semantic: bool = True,
        cue_rules: bool = True,
        exemplars: Iterable[tuple[str, str]] | None = None,
    ) -> None:
        self.graph = graph if graph is not None else load_ontology()
        self.exemplars = tuple(exemplars) if exemplars is not None else None
        self.domains = tuple(dict.fromkeys(d.strip() for d in domains if d.strip()))
        self.semantic = semantic
        self.cue_rules = cue_rules
        known = {t.notation for t in self._all_terms}
        unknown = [d for d in self.domains if d not in known]
        if unknown:
            raise MappingError(
                f"--domain {unknown[0]}: no taxonomy term has this notation",
                hint="domains: " + ", ".join(sorted(n for n in known if n and "." not in n)),
            )

    @cached_property
    def all_terms(self) -> list[Term]:
        """Return every taxonomy term, whatever the domains chosen."""
        return self._all_terms

    @cached_property
    def _all_terms(self) -> list[Term]:
        subjects = {s for s in self.graph.subjects(CKG.taxonomyLevel, None) if isinstance(s, URIRef)}
        return sorted((term_info(self.graph, s) for s in subjects), key=lambda t: str(t.iri))

    @cached_property
    def terms(self) -> list[Term]:
        """Return the candidate terms: every taxonomy term, or those under the chosen domains."""
        return [t for t in self._all_terms if not self.domains or _within(t.notation, self.domains)]

    def term_by_iri(self, iri: str) -> Term | None:
        """Return the taxonomy term with this IRI (any domain), or None."""
        return self._by_iri.get(iri)

    @cached_property
    def _by_iri(self) -> dict[str, Term]:
        return {str(t.iri): t for t in self._all_terms}

    @cached_property
    def index(self) -> dict[str, _Entry]:
        """Return normalised label → entry; keys shared by two terms are left out (ambiguous)."""
        found: dict[str, list[_Entry]] = {}
        for term in self.terms:
            for prop, kind, field in _LABEL_PROPERTIES:
                for label in self.graph.objects(term.iri, prop):
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
            deepest = max(entries, key=lambda e: (len(e.term.notation or ""), e.kind == "exact"))
            if len(exact) == 1:  # one term's preferred label wins over another's synonym
                index[key] = next(e for e in entries if e.kind == "exact")
            elif all(_related(e.term, deepest.term) for e in entries):
                # A sub-domain and its option both claim the wording ("no MDT working"): a curator
                # takes the most specific term that fits.
                index[key] = deepest
            else:
                self._ambiguous.add(key)
        return index

    @cached_property
    def _ambiguous(self) -> set[str]:
        """Label keys two terms share: a value with one of them is left unmapped by every stage."""
        return set()

    @cached_property
    def _keys(self) -> list[str]:
        return list(self.index)

    @cached_property
    def _spans(self) -> dict[tuple[str, ...], _Entry]:
        """Every label as a tuple of words, for containment matching."""
        return {tuple(k.split()): e for k, e in self.index.items()}

    @cached_property
    def _span_longest(self) -> dict[str, int]:
        """For each first word of a label, the length of the longest label beginning with it."""
        return longest_by_start(self._spans)

    @cached_property
    def _negative_terms(self) -> set[URIRef]:
        """Terms whose label or a synonym says something is absent (no collaboration, nobody responsible)."""
        return {e.term.iri for k, e in self.index.items() if is_negated(k)}

    @cached_property
    def _space(self) -> _TermSpace:
        """The embeddings of every candidate term's texts (label, synonyms, definition, exemplars).

        Out-of-domain exemplars (empty notation: written ones, and labelled values a curator left
        unmapped) are embedded apart: a value closer to one of them than to any term is left unmapped.
        """
        from concord_kg.semantic import load_embedder, load_exemplars

        # Each text as the meaning stage reads values (readable), once per term: labelled values repeat.
        texts: dict[tuple[int, str], str] = {}
        at_notation = {t.notation: at for at, t in enumerate(self.terms) if t.notation}
        for at, term in enumerate(self.terms):
            labels = {str(o) for prop, _, _ in _LABEL_PROPERTIES for o in self.graph.objects(term.iri, prop)}
            if term.definition:
                labels.add(term.definition)
            for text in sorted(labels):
                texts.setdefault((at, readable(text)), text)
        void: dict[str, None] = {}
        for notation, text in self.exemplars if self.exemplars is not None else load_exemplars():
            if not notation:
                void[readable(text)] = None
            elif notation in at_notation:
                texts.setdefault((at_notation[notation], readable(text)), text)
        embedder = load_embedder()
        vectors = embedder.embed([read for _, read in texts])
        owners = np.fromiter((at for at, _ in texts), dtype=np.int64, count=len(texts))
        void_vectors = (
            embedder.embed(list(void)) if void else np.zeros((0, embedder.dimension), dtype=np.float32)
        )
        # The classifier's classes: each term by its position, then "out of domain".
        classes = np.concatenate((owners, np.full(len(void_vectors), len(self.terms))))
        return _TermSpace(
            embedder,
            vectors,
            owners,
            void_vectors,
            np.fromiter((is_negated(normalise(t)) for t in texts.values()), dtype=bool, count=len(texts)),
            train_classifier(np.vstack((vectors, void_vectors)), classes, len(self.terms) + 1),
        )

    def match(self, value: str, *, count: int = 1, exclude: Iterable[str] = ()) -> Match:
        """Return the best match of one value (``match_type`` ``none`` if nothing is sure enough).

        :param exclude: IRIs of terms this value must not be mapped to (reviewed ``Not`` decisions).
        """
        return self.match_all([(value, count)], exclude={review_key(value): set(exclude)})[0]

    def match_all(
        self,
        counted: Sequence[tuple[str, int]],
        *,
        exclude: Mapping[str, set[str]] | None = None,
        advance: Callable[[int], None] | None = None,
    ) -> list[Match]:
        """Match many distinct values at once (the embedding stage runs in one batch).

        :param exclude: review key (:func:`review_key`) → IRIs of terms that value must not take.
        :param advance: called with a number of values decided, for a progress bar.
        """
        exclude = exclude or {}
        keys = [normalise(v) for v, _ in counted]
        live = [i for i, (v, _) in enumerate(counted) if not _is_null(keys[i], v)]
        if advance:
            advance(len(counted) - len(live))  # the values that say nothing are decided already
        # The value as written is embedded, not its matching key, whose expansions can change the
        # meaning ("GPS" is not "general practitioner s"): only slashed shorthand is spelt out. Values
        # read alike ("Key worker", "KEY WORKER") are taken side by side: a block scores each once.
        texts = {i: readable(counted[i][0]) for i in live}
        live.sort(key=lambda i: (texts[i], keys[i]))
        if self.semantic and live:  # built here, its classifier trained with every core, not under the limit
            self._space  # noqa: B018
        out = [Match(v, None, 0.0, "none", c) for v, c in counted]
        blocks = [live[start : start + _BATCH] for start in range(0, len(live), _BATCH)]
        # The next block's scores are computed in a worker thread (numpy and rapidfuzz release the GIL)
        # while this one decides each value in Python: the two cores are both busy. At most _AHEAD blocks
        # are scored ahead, so memory stays bounded. The first block builds the label keys before this
        # thread reads them. The BLAS limit is process-wide: calls overlapping in a server may leave it
        # lower than it was, which costs speed, never results.
        with ThreadPoolExecutor(max_workers=1) as worker, threadpool_limits(_SCORING_THREADS, "blas"):
            ahead = deque(worker.submit(self._prepare, texts, keys, b) for b in blocks[:_AHEAD])
            for at, block in enumerate(blocks):
                scores, void, negations, learned, orders, similar = ahead.popleft().result()
                if at + _AHEAD < len(blocks):
                    ahead.append(worker.submit(self._prepare, texts, keys, blocks[at + _AHEAD]))
                for row, i in enumerate(block):
                    value, count = counted[i]
                    banned = exclude.get(review_key(value), set())
                    ranked: list[Candidate] = []
                    if scores is not None and orders is not None:
                        order = orders[row] if len(banned) < 4 else np.argsort(-scores[row])
                        ranked = [
                            Candidate(self.terms[j], float(scores[row, j]))
                            for j in order
                            if not banned or str(self.terms[j].iri) not in banned
                        ]
                    match = self._decide(
                        value,
                        keys[i],
                        count,
                        banned,
                        None if scores is None else scores[row],
                        ranked,
                        similar[row],
                        -1.0 if void is None else float(void[row]),
                        None if negations is None else negations[row],
                        None if learned is None else learned[row],
                    )
                    if (
                        match.term is not None
                        and match.match_type in _INFERRED
                        and self._names_two(value, match.term)
                    ):
                        match = Match(value, None, 0.0, "none", count, alternatives=match.alternatives)
                    out[i] = match
                if advance:
                    advance(len(block))
        return out

    def _prepare(self, texts: Mapping[int, str], keys: list[str], block: list[int]) -> tuple[Any, ...]:
        """Return one block's meaning scores and what goes with them, term order and similarities.

        With the meaning stage: its scores, out-of-domain scores, negations and learnt probabilities.

        :param texts: each value's text as the meaning stage reads it (:func:`readable`), by position.
        """
        read = [texts[i] for i in block]
        scores, void, negations, learned = self._scores(read) if self.semantic else (None,) * 4
        # The best 8 terms are enough for the runner-up (a term has at most 4 ancestors, which are
        # skipped as rivals) and the 3 alternatives.
        orders = None if scores is None else np.argsort(-scores, axis=1)[:, :8]
        return scores, void, negations, learned, orders, self._similarities([keys[i] for i in block])

    def _names_two(self, value: str, term: Term) -> bool:
        """Tell whether a short value joins two options and ``term`` is only one of them.

        "Letters and email" names written and digital sharing, not either one; a curator leaves it
        unmapped. A term that combines (:attr:`_combining`: "Video and face to face" is D6.2.4, "Hub and
        local care" D1.2) stands, and so does a term related to neither part ("Specialist + local care"
        names D1.2.2 through both).
        """
        if term.iri in self._combining:
            return False
        parts = [p for p in _BOTH.split(value) if p.strip()]
        if len(parts) < 2 or any(len(p.split()) > _PART_WORDS for p in parts):
            return False
        named = [t for t in map(self._part_term, parts) if t is not None]
        if not any(_related(t, term) for t in named):
            return False
        return any(not _related(t, term) for t in named)

    @cached_property
    def _combining(self) -> frozenset[URIRef]:
        """Return the options whose labels say they combine others (hybrid, combination, mixed, blended)."""
        words = {"combination", "combined", "hybrid", "mix", "mixed", "blended"}
        return frozenset(e.term.iri for key, e in self.index.items() if words & set(key.split()))

    def _one_choice(self, value: str) -> bool:
        """Tell whether every alternative a value offers names one and the same term ("Parent or carer")."""
        named = {self._part_term(p) for p in _OR.split(value) if p.strip()}
        return len(named) == 1 and None not in named

    def _part_term(self, part: str) -> Term | None:
        """Return the term one part of a value names by a label, a synonym or a single cue, if any."""
        entry = self.index.get(normalise(part))
        if entry is not None:
            return entry.term
        named = self._cues.named(part) or {}
        return self._by_notation.get(next(iter(named))) if len(named) == 1 else None

    def _scores(self, keys: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Return value × term meaning scores, out-of-domain scores, negations and learnt probabilities.

        Each term's score is its best cosine over its texts; each value's out-of-domain score is its best
        cosine to an out-of-domain exemplar; a negation tells whether the term's nearest text is negated;
        the classifier gives each term, then "out of domain", a probability.
        """
        space = self._space
        unique = list(dict.fromkeys(keys))  # values differing only in case or spacing are embedded once
        where = {text: at for at, text in enumerate(unique)}
        rows = np.fromiter((where[k] for k in keys), dtype=np.int64, count=len(keys))
        embedded = space.embedder.embed(unique)
        # Texts grouped by (term, negated), then the out-of-domain exemplars as one last group: the best
        # cosine of each group in one product and one reduction; a term's nearest text is negated when
        # its negated group beats its other one.
        reduced = np.empty((len(space.bounds), len(unique)), dtype=np.float32)
        for start in range(0, len(unique), _PRODUCT):
            chunk = embedded[start : start + _PRODUCT]
            product = space.ordered @ chunk.T
            reduced[:, start : start + len(chunk)] = np.maximum.reduceat(product, space.bounds, axis=0)
        groups = reduced[: len(space.starts)]
        plain = np.full((len(self.terms), len(unique)), -np.inf, dtype=np.float32)
        denied = np.full((len(self.terms), len(unique)), -np.inf, dtype=np.float32)
        plain[space.group_owner[~space.group_negated]] = groups[~space.group_negated]
        denied[space.group_owner[space.group_negated]] = groups[space.group_negated]
        best = np.maximum(plain, denied).T[rows]
        negated = (denied > plain).T[rows]
        void = reduced[-1][rows] if len(space.void) else np.full(len(keys), -1.0, dtype=np.float32)
        return best, void, negated, space.classifier.probabilities(embedded)[rows]

    def _decide(
        self,
        value: str,
        key: str,
        count: int,
        banned: set[str],
        scores: np.ndarray | None,
        ranked: list[Candidate],
        similarity: np.ndarray | None = None,
        void: float = -1.0,
        negations: np.ndarray | None = None,
        learned: np.ndarray | None = None,
    ) -> Match:
        """Combine the stages for one value: exact/synonym, then fuzzy confirmed by meaning, then meaning.

        :param ranked: the terms by meaning score, best first (banned ones left out).
        :param void: the value's best cosine to an out-of-domain exemplar.
        :param negations: for each term, whether the text of it nearest to the value says something is absent.
        :param learned: the classifier's probability of each term, then of "out of domain".
        """
        # The best terms, as a reviewer is shown them (record() shows the 3 besides the chosen one).
        alternatives = tuple(ranked[:CUE_SHOWN])
        entry = self.index.get(key)
        if entry is None and key in self._ambiguous:
            return Match(value, None, 0.0, "none", count, alternatives=alternatives)
        if entry is not None and str(entry.term.iri) not in banned:
            return Match(
                value,
                entry.term,
                CONFIDENCE[entry.kind],
                entry.kind,
                count,
                entry.label,
                entry.field,
                alternatives,
            )
        named = self._cues.named(value)
        if named is None:  # a short identifier or side topic, a topic the taxonomy leaves out, a doubt
            return Match(value, None, 0.0, "none", count, alternatives=alternatives)
        negated = is_negated(key)
        choice = _offers_alternatives(value)
        # A spelling-level match is looked for now only when it can stop a choice ("Key worker or care
        # coordinator" names one term twice: its labels must cover every word, so "Regional or national
        # centre" stays a choice); otherwise after the cues, which come first.
        found = self._fuzzy(key, similarity) or self._contained(key, whole=True) if choice else None
        if choice and found is None and not self._one_choice(value):
            return Match(value, None, 0.0, "none", count, alternatives=alternatives)
        cued = self._cued(named, banned, scores, ranked, void, negated) if self.cue_rules else None
        if cued is not None:
            term, rule = cued
            rank = _meaning_rank(term, ranked)
            if rank < CUE_SHOWN:  # lower, the cue is more often a side remark than the answer
                if self._learned_against(term, learned):
                    return Match(value, None, 0.0, "none", count, alternatives=alternatives)
                wording = " ".join(sorted(rule.requires))
                confidence = CUE_CONFIDENCE[0 if rank == 0 else 1]
                return Match(value, term, confidence, "cue", count, wording, "", alternatives)
        if not choice:
            found = self._fuzzy(key, similarity) or self._contained(key)
        if found is not None and str(found[0].term.iri) not in banned:
            lexical, confidence = found
            # A spelling-level match must also make sense ("Coordinates (GPS)" is not a GP), and not
            # contradict a clearly better meaning ("Shared care record" is about records, not shared care).
            if scores is None or self._sensible(lexical.term, scores, ranked):
                return Match(
                    value,
                    lexical.term,
                    confidence,
                    "fuzzy",
                    count,
                    lexical.label,
                    lexical.field,
                    alternatives,
                )
        if not ranked:
            return Match(value, None, 0.0, "none", count, alternatives=alternatives)
        best = ranked[0]
        # A curator picks the most specific term that fits: a descendant nearly as close beats its ancestor.
        narrower = [
            c for c in ranked[1:] if _below(c.term, best.term) and best.score - c.score <= NARROWER_LAG
        ]
        if narrower:
            best = narrower[0]
        rival = next(
            (c.score for c in ranked if c.term.iri != best.term.iri and not _related(c.term, best.term)), -1.0
        )
        if (
            _words(value) > 1  # one word ("Nurse", "The nurse.", "MDT") is too little for meaning alone
            and best.score >= SEMANTIC_FLOOR
            and best.score - rival >= SEMANTIC_MARGIN
            and best.score - void >= VOID_MARGIN
            and negated == self._says_absent(best.term, negations)
            and self._meaning_may_map(value, key, best.term)
        ):
            if self._learned_against(best.term, learned):
                return Match(value, None, 0.0, "none", count, alternatives=alternatives)
            confidence = semantic_confidence(best.score, best.score - rival)
            return Match(value, best.term, confidence, "semantic", count, alternatives=alternatives)
        learnt = self._learned_term(value, key, learned, banned)
        if learnt is not None:
            return Match(value, learnt, LEARNED_CONFIDENCE, "semantic", count, alternatives=alternatives)
        return Match(value, None, 0.0, "none", count, alternatives=alternatives)

    def _meaning_may_map(self, value: str, key: str, term: Term) -> bool:
        """Tell whether meaning alone (nearest texts or the classifier) may map ``value`` to ``term``."""
        return (
            "." in (term.notation or "")  # a whole domain is the question, never an answer by meaning
            and not self._cues.only_by_rule(value)  # a side topic, or two parties: only a rule may map it
            and key not in _condition_names()  # "Marfan syndrome" is about the condition, not its care
        )

    def _learned_against(self, term: Term, learned: np.ndarray | None) -> bool:
        """Tell whether the classifier makes ``term`` all but impossible for the value."""
        return learned is not None and float(learned[self._position[term.iri]]) < LEARNED_VETO

    def _learned_term(
        self, value: str, key: str, learned: np.ndarray | None, banned: set[str]
    ) -> Term | None:
        """Return the term the classifier is near certain of for a value nothing else maps, if any.

        The meaning stage's own limits hold (:meth:`_meaning_may_map`).
        """
        if learned is None:
            return None
        at = int(learned.argmax())
        if at >= len(self.terms) or learned[at] < LEARNED_FILL:
            return None
        term = self.terms[at]
        if str(term.iri) in banned or not self._meaning_may_map(value, key, term):
            return None
        return term

    def _cued(
        self,
        named: Mapping[str, CueRule],
        banned: set[str],
        scores: np.ndarray | None,
        ranked: list[Candidate],
        void: float,
        negated: bool,
    ) -> tuple[Term, CueRule] | None:
        """Return the term the curator's cue rules name for a value, with the rule, if its meaning allows.

        :param named: the notations the rules name (:meth:`concord_kg.cues.Cues.named`).
        :param negated: whether the value's words negate.

        When the rules name several unrelated terms, the one the meaning stage scores clearly highest is
        taken, unless another is its sibling: "Information is shared by letter and by phone" names two
        options of one question, and a curator takes neither. The meaning stage can still veto: a value
        much nearer an out-of-domain wording than the term, or a term outside the named term's family
        far ahead of it ("Coordinates (GPS)" is about coordinates, not a GP), leaves the value to the
        other stages.
        """
        terms = {
            self._by_notation[n]: rule
            for n, rule in named.items()
            if n in self._by_notation and str(self._by_notation[n].iri) not in banned
        }
        if not terms:
            return None
        if scores is None:
            return next(iter(terms.items())) if len(terms) == 1 else None
        meaning = {t: float(scores[self._position[t.iri]]) for t in terms}
        order = sorted(terms, key=meaning.__getitem__, reverse=True)
        term = order[0]
        if len(order) > 1 and meaning[term] - meaning[order[1]] < CUE_TIE_MARGIN:
            return None
        if any(_siblings(term.notation, other.notation) for other in order[1:]):
            return None
        # A negated value ("not working together") is near the positive terms it negates: not a rival.
        outside = max(
            (
                c.score
                for c in ranked
                if _rivals(term.notation, c.term.notation) and (c.term.iri in self._negative_terms) == negated
            ),
            default=-1.0,
        )
        if (
            meaning[term] < CUE_MEANING_FLOOR
            or void - meaning[term] > CUE_VOID_LEAD
            or outside - meaning[term] > CUE_OUTSIDE_LAG
        ):
            return None
        return term, terms[term]

    @cached_property
    def _cues(self) -> Cues:
        from concord_kg.cues import load_cues

        return load_cues().restricted(t.notation for t in self.terms if t.notation)

    @cached_property
    def _by_notation(self) -> dict[str, Term]:
        return {t.notation: t for t in self.terms if t.notation}

    def _says_absent(self, term: Term, negations: np.ndarray | None) -> bool:
        """Tell whether the text of ``term`` nearest to the value is negated (else: whether its labels are).

        A value must agree with the text it is matched through: "Services work in silos" may match the
        option labelled "not working together" through an exemplar without a negation.
        """
        if negations is None:
            return term.iri in self._negative_terms
        return bool(negations[self._position[term.iri]])

    def _fuzzy(self, key: str, similarity: np.ndarray | None = None) -> tuple[_Entry, float] | None:
        """Match a spelling variant of one label: high similarity, clear of every other term.

        :param similarity: the value's similarity to every label key (:meth:`_similarities`), if known.
        """
        if len(key) < 5:
            return None
        row = self._similarities([key])[0] if similarity is None else similarity
        if row.max() < FUZZY_THRESHOLD:
            return None
        order = np.argsort(-row, kind="stable")[:8]
        candidates = [(self._keys[j], float(row[j])) for j in order if row[j] >= FUZZY_THRESHOLD - 15]
        if not candidates:
            return None
        best_key, best = candidates[0]
        entry = self.index[best_key]
        if best < FUZZY_THRESHOLD or is_negated(key) != is_negated(best_key):
            return None
        rival = max((s for k, s in candidates[1:] if self.index[k].term.iri != entry.term.iri), default=0.0)
        if best - rival < FUZZY_MARGIN:
            return None
        return entry, 0.7 + 0.2 * (best - FUZZY_THRESHOLD) / (100 - FUZZY_THRESHOLD)

    def _sensible(self, term: Term, scores: np.ndarray, ranked: list[Candidate]) -> bool:
        """Tell whether a spelling-level match of ``term`` agrees with the meaning scores."""
        meaning = float(scores[self._position[term.iri]])
        if meaning < FUZZY_MEANING_FLOOR:
            return False
        best = ranked[0] if ranked else None
        # Only the term itself or a narrower one confirms it: a broad ancestor far ahead ("Coordinates
        # (GPS)" is near the domain "who coordinates", not its GP option) does not.
        if best is not None and best.term.iri != term.iri and not _below(best.term, term):
            return best.score - meaning < FUZZY_MEANING_LAG
        return True

    @cached_property
    def _position(self) -> dict[URIRef, int]:
        return {t.iri: at for at, t in enumerate(self.terms)}

    def _similarities(self, keys: list[str]) -> np.ndarray:
        """Return value × label-key similarity (0-100): the best of character and word-order-free ratios."""
        if not keys:
            return np.zeros((0, len(self._keys)), dtype=np.float32)
        # Below the cut-off a similarity counts for nothing (:meth:`_fuzzy`), so rapidfuzz may stop early.
        cutoff = FUZZY_THRESHOLD - 15
        unique = list(dict.fromkeys(keys))  # values differing only in case or punctuation are scored once
        where = {key: at for at, key in enumerate(unique)}
        best: np.ndarray = np.maximum.reduce(
            [
                process.cdist(
                    unique,
                    self._keys,
                    scorer=scorer,
                    dtype=np.float32,
                    workers=_SCORING_THREADS,
                    score_cutoff=cutoff,
                )
                for scorer in (fuzz.ratio, fuzz.token_sort_ratio)
            ]
        )
        return best[[where[key] for key in keys]]

    def _contained(self, key: str, *, whole: bool = False) -> tuple[_Entry, float] | None:
        """Match a short value that contains one term's multi-word label and no other term's label.

        Labels found in the value are taken longest first without overlap; all must belong to one
        term, and together cover at least :data:`CONTAINMENT_COVERAGE` of the value's content words
        (every one of them if ``whole``).
        """
        words = key.split()
        if self._span_longest.keys().isdisjoint(words):  # a value without a label's first word has none
            return None
        spans, taken = longest_first(words, self._spans.get, self._span_longest)
        chosen = [(" ".join(words[start : start + size]), entry) for start, size, entry in spans]
        if not chosen or len(chosen[0][0].split()) < 2:
            return None
        label, entry = chosen[0]
        if {e.term.iri for _, e in chosen} != {entry.term.iri}:
            return None
        content = [w for w, t in zip(words, taken, strict=True) if t or w not in _FUNCTION_WORDS]
        coverage = sum(taken) / len(content)
        if coverage < (1.0 if whole else CONTAINMENT_COVERAGE) or is_negated(key) != any(
            is_negated(k) for k, _ in chosen
        ):
            return None
        return entry, 0.7 + 0.2 * coverage


@dataclass(frozen=True)
class _TermSpace:
    embedder: Embedder
    vectors: np.ndarray  # one unit row per term text
    owners: np.ndarray  # the index (in Harmoniser.terms) of the term each row belongs to
    void: np.ndarray  # one unit row per out-of-domain exemplar
    negated: np.ndarray  # whether each term text says something is absent (a negation word)
    classifier: TermClassifier  # classes: the terms by position, then out of domain

    @cached_property
    def order(self) -> np.ndarray:
        """The text rows sorted by (term, negated): each group is one run."""
        return np.lexsort((self.negated, self.owners))

    @cached_property
    def ordered(self) -> np.ndarray:
        """The text rows in :attr:`order`, then the out-of-domain rows: one matrix for all values."""
        return np.ascontiguousarray(np.vstack([self.vectors[self.order], self.void]))

    @cached_property
    def bounds(self) -> np.ndarray:
        """Where each run of :attr:`ordered` begins: the (term, negated) runs, then the out-of-domain one."""
        return np.concatenate((self.starts, [len(self.vectors)])) if len(self.void) else self.starts

    @cached_property
    def starts(self) -> np.ndarray:
        """Where each (term, negated) run begins in :attr:`order`."""
        owners, negated = self.owners[self.order], self.negated[self.order]
        change = (owners[1:] != owners[:-1]) | (negated[1:] != negated[:-1])
        return np.concatenate(([0], np.flatnonzero(change) + 1))

    @cached_property
    def group_owner(self) -> np.ndarray:
        """The term of each run."""
        owner: np.ndarray = self.owners[self.order][self.starts]
        return owner

    @cached_property
    def group_negated(self) -> np.ndarray:
        """Whether each run's texts are negated."""
        negated: np.ndarray = self.negated[self.order][self.starts]
        return negated


def _below(a: Term, b: Term) -> bool:
    """Tell whether term ``a`` is a descendant of term ``b`` (by notation)."""
    return bool(a.notation and b.notation and a.notation.startswith(b.notation + "."))


def _within(notation: str | None, domains: Sequence[str]) -> bool:
    """Tell whether a notation lies in one of the sub-trees (``D3.2.1`` is within ``D3``)."""
    return notation is not None and any(notation == d or notation.startswith(d + ".") for d in domains)


@functools.cache  # terms are few, and asked about for every value
def _rivals(notation: str | None, other: str | None) -> bool:
    """Tell whether term ``other`` can outvote a cue-named term ``notation``: it lies outside its family.

    Siblings are what the cues tell apart, and the term's ancestors (its own domain) are no rivals of it.

    >>> _rivals("D6.2.4", "D6.2.2"), _rivals("D6.2.4", "D6.1.3"), _rivals("D3.2.3", "D3")
    (False, True, False)
    """
    if not notation or not other:
        return notation != other
    family = notation.rsplit(".", 1)[0]
    return not _within(other, [family]) and not notation.startswith(other + ".")


def _siblings(notation: str | None, other: str | None) -> bool:
    """Tell whether two options share a parent.

    >>> _siblings("D6.1.2", "D6.1.3"), _siblings("D6.1.2", "D6.2.3"), _siblings("D6.1", "D6")
    (True, False, False)
    """
    if not notation or not other or "." not in notation or "." not in other:
        return False
    return notation != other and notation.rsplit(".", 1)[0] == other.rsplit(".", 1)[0]


def _related(a: Term, b: Term) -> bool:
    """Tell whether one term is the other's ancestor or descendant (a parent is no rival of its child)."""
    x, y = a.notation or "", b.notation or ""
    return bool(x and y) and (x.startswith(y + ".") or y.startswith(x + ".") or x == y)


def _meaning_rank(term: Term, ranked: list[Candidate]) -> int:
    """Return where the meaning stage ranks a term (0: first), past the end if not among ``ranked``.

    Without the meaning stage (nothing ranked) every term counts as second: neither confirmed nor doubted.
    """
    if not ranked:
        return 1
    return next((i for i, c in enumerate(ranked) if c.term.iri == term.iri), len(ranked))


def semantic_confidence(score: float, margin: float) -> float:
    """Return the confidence of a meaning-only match from its cosine and its lead over the runner-up.

    Fitted by hand on dev.csv and eval.csv (score bands against the share of right answers), never on
    the held-out set; ``bench/harmonise_eval.py`` prints the reliability table that checks it.
    """
    raw = 0.5 + 0.5 * (score - SEMANTIC_FLOOR) + 0.5 * (min(margin, 0.4) - SEMANTIC_MARGIN)
    return float(min(0.85, max(0.3, raw)))


@functools.cache
def default_harmoniser() -> Harmoniser:
    """Return one shared harmoniser over the project's ontology, every term a candidate (built once)."""
    return Harmoniser()


def harmonise_values(
    values: Iterable[str],
    *,
    harmoniser: Harmoniser | None = None,
    min_confidence: float | None = None,
    reviewed: Reviewed | None = None,
) -> Harmonisation:
    """Map each distinct value once; return them most frequent first.

    :param min_confidence: leave unmapped any match whose confidence is below this.
    :param reviewed: human decisions applied before any matching (fixed terms, forbidden pairs).
    """
    counts = Counter(v.strip() for v in values)
    return harmonise_counts(counts, harmoniser=harmoniser, min_confidence=min_confidence, reviewed=reviewed)


def harmonise_counts(
    counts: Mapping[str, int],
    *,
    harmoniser: Harmoniser | None = None,
    min_confidence: float | None = None,
    reviewed: Reviewed | None = None,
    advance: Callable[[int], None] | None = None,
) -> Harmonisation:
    """Map distinct values (value → number of rows); return them most frequent first.

    :param advance: called with a number of values decided, for a progress bar.
    """
    harmoniser = harmoniser or default_harmoniser()
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0].lower()))
    fixed: dict[int, Match] = {}
    if reviewed is not None:
        for at, (value, count) in enumerate(ordered):
            decision = reviewed.fixed.get(review_key(value))
            if decision is not None:
                term = harmoniser.term_by_iri(decision) if decision else None
                fixed[at] = Match(value, term, 1.0, "reviewed", count)
    todo = [kv for at, kv in enumerate(ordered) if at not in fixed]
    if advance:
        advance(len(fixed))
    found = iter(harmoniser.match_all(todo, exclude=reviewed.excluded if reviewed else None, advance=advance))
    matches = []
    for at, (value, count) in enumerate(ordered):
        match = fixed.get(at) or next(found)
        if match.term is not None and min_confidence is not None and match.confidence < min_confidence:
            match = Match(value, None, 0.0, "none", count, alternatives=match.alternatives)
        matches.append(match)
    return Harmonisation(matches)


def read_column(
    path: Path, column: str, *, sheet: str | None = None, table_format: tables.TableFormat | None = None
) -> list[str]:
    """Return every cell of ``column`` in a CSV or XLSX file (header in the first row), in file order.

    :raises MappingError: the file cannot be read, or has no such column (the error lists the columns).
    """
    count_column(path, column, sheet=sheet, table_format=table_format)  # checks the header
    with iter_rows(path, sheet=sheet, table_format=table_format) as rows:
        header = [str(h or "").strip() for h in next(rows)]
        at = header.index(column)
        return ["" if at >= len(r) or r[at] is None else str(r[at]) for r in rows if r]


def harmonise_file(
    path: Path,
    column: str,
    *,
    out: Path | None = None,
    fmt: TableFormat = "csv",
    sssom: Path | None = None,
    out_dataset: Path | None = None,
    min_confidence: float | None = None,
    sheet: str | None = None,
    harmoniser: Harmoniser | None = None,
    reviewed: Reviewed | None = None,
    stdout: IO[str] | None = None,
    progress: bool = False,
    table_format: tables.TableFormat | None = None,
) -> Harmonisation:
    """Harmonise one column of a CSV/XLSX file; write the table to ``out`` (or stdout), SSSOM to ``sssom``.

    :param out_dataset: also write the dataset itself with ``C_notation``, ``C_iri``, ``C_label`` columns
        after the column (CSV, or XLSX when the name ends in ``.xlsx``), streamed row by row.
    :param progress: show progress bars on standard error (callers pass ``True`` only on a terminal).

    Nothing is written if the input cannot be read.
    """
    counts, rows = count_column(path, column, sheet=sheet, table_format=table_format)
    harmoniser = harmoniser or default_harmoniser()
    with _bar(progress, len(counts), "matching values") as bar:
        result = harmonise_counts(
            counts,
            harmoniser=harmoniser,
            min_confidence=min_confidence,
            reviewed=reviewed,
            advance=bar.update,
        )
    result.source, result.column = str(path), column
    table = io.StringIO()
    if fmt == "json":
        json.dump([m.record() for m in result.matches], table, ensure_ascii=False, indent=1)
        table.write("\n")
    else:
        writer = csv.DictWriter(table, fieldnames=CSV_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(m.row() for m in result.matches)
    if out_dataset is not None:
        lookup = {
            m.value: (m.term.notation or "", str(m.term.iri), m.term.label) for m in result.mapped if m.term
        }
        with _bar(progress, rows, "writing rows") as bar:
            write_harmonised(
                path, column, out_dataset, lookup, sheet=sheet, table_format=table_format, advance=bar.update
            )
    if sssom is not None:
        mapping = io.StringIO()
        write_sssom(result, mapping, dataset=path.stem)
        write_atomic(sssom, mapping.getvalue())
    if out is not None:
        write_atomic(out, table.getvalue())
    elif out_dataset is None:  # with a harmonised dataset written, the table goes out only with -o
        (stdout or sys.stdout).write(table.getvalue())
    return result


class _NoBar:
    def update(self, _: int) -> None:
        """Do nothing: no terminal to draw on."""

    def __enter__(self) -> _NoBar:
        return self

    def __exit__(self, *_: object) -> None:
        return None


def _bar(show: bool, length: int, label: str) -> Any:
    if not show:
        return _NoBar()
    import click

    return click.progressbar(length=length, label=label, file=sys.stderr)
