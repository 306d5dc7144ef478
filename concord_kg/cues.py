"""A curator's cue rules: which taxonomy option a value names, read from the concepts its words carry.

Static embeddings blur the words that tell sibling options apart ("full" and "some" access to records,
"regular" and "on demand" appointments, a nurse and a doctor who coordinates). A curator reads them
first. The rules in ``concord_kg/exemplars/`` (see its README) write that reading down:

- ``concepts.csv`` (``concept,phrases``): a concept is a set of phrases, ``|``-separated; a value
  carries the concept when one phrase occurs in its words (both sides through
  :func:`concord_kg.wording.normalise`, so spellings, plurals and abbreviations meet).
- ``rules.csv`` (``notation,requires,forbids``): the option is named when the value carries every
  required concept and no forbidden one. Several rows for one notation are alternatives.

A negation (:data:`NEGATION`) covers its clause: a concept said in a negated clause fires only rules
that require a negation, so "no full access" is not full access. Words after "rather than",
"instead of" or "without" are read as negated too. A short value that carries the ``identifier``
concept (a number, an address) is a field name, a short one that carries ``aside`` (an interpreter,
transport) is about a side topic, any value that carries ``off_topic`` (research, funding,
medicines...) is about something the taxonomy leaves out, and any value that carries ``unsure`` ("don't
know who coordinates") names no option: none of them is mapped at all. ("Unclear who" is no such
doubt: it says nobody is clearly responsible, ``no_owner``.) A value of at most four words as read
(after :func:`~concord_kg.wording.normalise`: articles dropped, abbreviations spelt out) carries the
computed concept :data:`BARE`, so that a rule can name an option from a picklist answer that gives a
role alone ("Self", "Parent/carer").

When rules of several options fire, a rule whose required concepts include all of another's wins
("video and face to face" is the combination, not face-to-face), and a term beats its ancestors.
Options still left side by side are weighed by the meaning stage.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib.resources import files
from operator import attrgetter

from concord_kg.phrases import longest_by_start, longest_first
from concord_kg.wording import is_negated, join_dotted, normalise

__all__ = ["CueRule", "Cues", "Reading", "load_cues", "parse_cues", "NEGATION", "BARE"]

#: The concept a value carries when its words negate (see ``wording.NEGATIONS``); it is computed,
#: not listed in ``concepts.csv``.
NEGATION = "negation"
#: The concept a value carries when it has at most :data:`_SHORT` words: a picklist answer or a field
#: value, which names its option by a role alone ("Self", "Parent/carer"). Computed, like :data:`NEGATION`.
BARE = "bare"
#: Concepts that name "somebody or nothing is absent": rules requiring them may fire on a negated value.
_NEGATIVE = frozenset({NEGATION, "nobody", "no_owner"})


#: Where a clause ends: a negation ("not", "never") covers its own clause only. A full stop ends a
#: clause only before a space (dotted abbreviations such as "G.P." are joined before).
_CLAUSE_BREAK = re.compile(
    r"[,;!?]|\.(?=\s|$)|\s[-\u2013\u2014]\s|\b(?:but|whereas|although|though|except|so|because|since)\b",
    re.I,
)
#: Words after which a clause names what is *not* done ("reviews on request rather than at fixed intervals").
_CONTRAST = re.compile(r"\b(?:rather than|instead of|without)\b", re.I)
#: A value of at most this many words that carries the ``identifier`` or ``aside`` concept is a field
#: name or a side topic ("Interpreter needed"); in a longer value such words are said in passing.
_SHORT = 4
#: Concepts that stop every stage of matching: a short value about an identifier or a side topic
#: (interpreting, transport), or any value about a topic the taxonomy leaves out (research, funding,
#: waiting times, medicines...) or that says its writer does not know who or where. They are looked
#: for in every phrase of the value, even one inside a longer phrase ("telephone number of the nurse").
_ASIDE = frozenset({"aside"})
_BLOCKING_SHORT = frozenset({"identifier"}) | _ASIDE
_BLOCKING = frozenset({"off_topic", "unsure"})
_BLOCKERS = _BLOCKING_SHORT | _BLOCKING
#: Concepts that say two parties share what a value names; meaning alone would take one of them.
_TWO_PARTIES = frozenset({"shared_role", "both_parties"})


@dataclass(frozen=True)
class Reading:
    """The concepts a value carries: all of them, those said in a clause without a negation, blockers."""

    carried: frozenset[str]
    affirmed: frozenset[str]
    blocking: frozenset[str]
    words: int


@dataclass(frozen=True, eq=False)  # rules are compared by identity: two rows are two rules
class CueRule:
    """One row of ``rules.csv``: the notation named when ``requires`` are all carried and no ``forbids``."""

    notation: str
    requires: frozenset[str]
    forbids: frozenset[str]
    row: int  # the rule's place in the file: the first row of a notation speaks for it

    def fires(self, reading: Reading) -> bool:
        """Tell whether a value read so satisfies the rule.

        A rule that requires a negation needs one of its other concepts in a negated clause; any other
        rule needs each of its concepts in a clause that is not negated ("they liaise with each other
        but not with the consultants" still liaise), and is stopped only by a forbidden concept that is
        said, not denied ("routine reviews rather than on request" is regular).
        """
        if not self.requires <= reading.carried:
            return False
        plain = self.requires - _NEGATIVE
        if self.requires & _NEGATIVE:
            return not self.forbids & reading.carried and (not plain or not plain <= reading.affirmed)
        return not self.forbids & reading.affirmed and plain <= reading.affirmed


class Cues:
    """The compiled concepts and rules, restricted to some notations."""

    def __init__(self, phrases: dict[str, list[tuple[str, ...]]], rules: Iterable[CueRule]) -> None:
        self.phrases = phrases
        self.rules = tuple(rules)
        self._by_words: dict[tuple[str, ...], frozenset[str]] = {}
        for concept, spans in phrases.items():
            for span in spans:
                self._by_words[span] = self._by_words.get(span, frozenset()) | {concept}
        self._longest = longest_by_start(self._by_words)
        self._blockers = {
            span: concepts & _BLOCKERS for span, concepts in self._by_words.items() if concepts & _BLOCKERS
        }
        self._blocker_starts = frozenset(span[0] for span in self._blockers)
        # Clauses recur across a column's values ("Key worker; ward 3", "Key worker; ward 4", "KEY WORKER"):
        # each clause is read once per matching key.
        self._clause = lru_cache(maxsize=1 << 16)(self._read_key)
        # Each rule filed under one concept it requires: a value is checked only against rules it can fire.
        self._by_concept: dict[str, list[CueRule]] = {}
        for rule in self.rules:
            self._by_concept.setdefault(min(rule.requires), []).append(rule)

    def restricted(self, notations: Iterable[str]) -> Cues:
        """Return the cues whose rules name one of these notations (the candidate terms)."""
        keep = set(notations)
        return Cues(self.phrases, (r for r in self.rules if r.notation in keep))

    def concepts(self, key: str) -> frozenset[str]:
        """Return the concepts a normalised text carries (with :data:`NEGATION` if its words negate).

        Phrases are taken longest first, without overlap ("video call" is no phone call). A negation
        word inside a phrase ("non-clinical", "not-for-profit") does not negate the text.
        """
        words = key.split()
        spans, taken = longest_first(words, self._by_words.get, self._longest)
        found: set[str] = set().union(*(concepts for _, _, concepts in spans))
        loose = " ".join(w for w, t in zip(words, taken, strict=True) if not t)
        if is_negated(loose) or found & _NEGATIVE:
            found.add(NEGATION)
        return frozenset(found)

    def read(self, value: str) -> Reading:
        """Return the concepts a value carries, clause by clause."""
        carried: set[str] = set()
        affirmed: set[str] = set()
        blocking: set[str] = set()
        words = 0
        for clause in _CLAUSE_BREAK.split(join_dotted(value)):
            parts = _CONTRAST.split(clause) if _CONTRAST.search(clause) else (clause,)
            for part, text in enumerate(parts):
                found, size, blockers = self._clause(normalise(text.strip()))
                if part and found:  # what comes after "rather than" or "without" is not done
                    found |= {NEGATION}
                words += size
                carried |= found
                blocking |= blockers
                if NEGATION not in found:
                    affirmed |= found
        if words <= _SHORT:
            carried.add(BARE)
            affirmed.add(BARE)
        return Reading(frozenset(carried), frozenset(affirmed), frozenset(blocking), words)

    def _read_key(self, key: str) -> tuple[frozenset[str], int, frozenset[str]]:
        """Return a clause's concepts, its number of words and the blocking concepts in any of its phrases.

        :param key: the clause's matching key (:func:`~concord_kg.wording.normalise`).
        """
        tokens = key.split()
        blocking: set[str] = set()
        for at, token in enumerate(tokens):  # every phrase, even one inside a longer phrase
            if token in self._blocker_starts:
                for size in range(1, min(len(tokens) - at, self._longest[token]) + 1):
                    blocking |= self._blockers.get(tuple(tokens[at : at + size]), set())
        return self.concepts(key), len(tokens), frozenset(blocking)

    def only_by_rule(self, value: str) -> bool:
        """Tell whether a value may be mapped by a rule only, never by meaning alone.

        So it is when the value mentions a side topic (interpreting, transport, accessible formats...:
        a short value about one is not mapped at all, see :meth:`named`; "Interpreters can be booked for
        any appointment"), or when it names two parties who share what it says ("Both my GP and the
        specialist nurse", "Key worker and the charity between them"): meaning alone would take one of
        them. Identifier words are not side topics in a longer value ("a number of specialists").
        """
        reading = self.read(value)
        return bool(reading.blocking & _ASIDE or reading.carried & _TWO_PARTIES)

    def named(self, value: str) -> dict[str, CueRule] | None:
        """Return the notations the rules name for a value, each with a rule that named it.

        Usually one; several when rules of unrelated options fire (the caller weighs them by meaning).
        None when the value must stay unmapped whatever the other stages say (a short identifier or side
        topic, a topic the taxonomy leaves out, a writer who does not know who or where).
        """
        reading = self.read(value)
        if _BLOCKING & reading.blocking or (_BLOCKING_SHORT & reading.blocking and reading.words <= _SHORT):
            return None
        fired = {r for c in reading.carried for r in self._by_concept.get(c, ()) if r.fires(reading)}
        # A rule that asks for more (all of another's concepts and some) is the more specific reading.
        kept = [r for r in fired if not any(r.requires < o.requires for o in fired)]
        named: dict[str, CueRule] = {}
        for rule in sorted(kept, key=attrgetter("row")):
            named.setdefault(rule.notation, rule)
        return {n: r for n, r in named.items() if not any(o.startswith(n + ".") for o in named)}


def _text(name: str) -> str:
    return (files("concord_kg") / "exemplars" / name).read_text(encoding="utf-8")


@cache
def load_cues() -> Cues:
    """Read ``concepts.csv`` and ``rules.csv`` from the package and compile them."""
    return parse_cues(_text("concepts.csv"), _text("rules.csv"))


def parse_cues(concepts: str, rules: str) -> Cues:
    """Compile the text of a concepts table and a rules table (the CSV forms described above).

    :raises ValueError: an empty or repeated concept, a rule naming an undefined concept or requiring
        none (``concepts.csv:LINE: ...``, ``rules.csv:LINE: ...``).
    """
    phrases: dict[str, list[tuple[str, ...]]] = {}
    reader = csv.DictReader(io.StringIO(concepts))
    for row in reader:
        name = (row.get("concept") or "").strip()
        spans = {tuple(normalise(p).split()) for p in (row.get("phrases") or "").split("|")}
        spans.discard(())
        if not name or not spans:
            raise ValueError(f"concepts.csv:{reader.line_num}: a concept needs a name and phrases")
        if name in phrases:
            raise ValueError(f"concepts.csv:{reader.line_num}: concept {name} is defined twice")
        phrases[name] = sorted(spans)
    known = set(phrases) | {NEGATION, BARE}
    compiled: list[CueRule] = []
    reader = csv.DictReader(io.StringIO(rules))
    for row in reader:
        requires = frozenset((row.get("requires") or "").split())
        forbids = frozenset((row.get("forbids") or "").split())
        unknown = sorted((requires | forbids) - known)
        if unknown:
            raise ValueError(f"rules.csv:{reader.line_num}: unknown concept(s): {', '.join(unknown)}")
        if not requires:
            raise ValueError(f"rules.csv:{reader.line_num}: the rule requires no concept")
        compiled.append(CueRule((row.get("notation") or "").strip(), requires, forbids, len(compiled)))
    return Cues(phrases, compiled)
