"""A curator's cue rules: which taxonomy option a value names, read from the concepts its words carry.

Static embeddings blur the words that tell sibling options apart ("full" and "some" access to records,
"regular" and "on demand" appointments, a nurse and a doctor who coordinates). A curator reads them
first. The rules in ``concord_kg/exemplars/`` (see its README) write that reading down:

- ``concepts.csv`` (``concept,phrases``): a concept is a set of phrases, ``|``-separated; a value
  carries the concept when one phrase occurs in its words (both sides through
  :func:`concord_kg.harmonise.normalise`, so spellings, plurals and abbreviations meet).
- ``rules.csv`` (``notation,requires,forbids``): the option is named when the value carries every
  required concept and no forbidden one. Several rows for one notation are alternatives.

A negation (:data:`NEGATION`) covers its clause: a concept said in a negated clause fires only rules
that require a negation, so "no full access" is not full access. Words after "rather than",
"instead of" or "without" are read as negated too. A short value that carries the ``identifier``
concept (a number, an address) is a field name, and a value that carries ``off_topic`` (research,
funding, medicines...) is about something the taxonomy leaves out: neither fires a rule.

When rules of several options fire, a rule whose required concepts include all of another's wins
("video and face to face" is the combination, not face-to-face), and a term beats its ancestors.
Options still left side by side are weighed by the meaning stage.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

__all__ = ["CueRule", "Cues", "Reading", "load_cues", "parse_cues", "NEGATION"]

#: The concept a value carries when its words negate (see ``harmonise._NEGATIONS``); it is computed,
#: not listed in ``concepts.csv``.
NEGATION = "negation"
#: Concepts that name "somebody or nothing is absent": rules requiring them may fire on a negated value.
_NEGATIVE = frozenset({NEGATION, "nobody", "no_owner"})


#: Where a clause ends: a negation ("not", "never") covers its own clause only.
_CLAUSE_BREAK = re.compile(
    r"[,;.!?()\[\]]|\s[-\u2013\u2014]\s|\b(?:but|whereas|although|though|except|so|because|since)\b", re.I
)
#: Words after which a clause names what is *not* done ("reviews on request rather than at fixed intervals").
_CONTRAST = re.compile(r"\b(?:rather than|instead of|without)\b", re.I)
#: A value of at most this many words that carries the ``identifier`` concept is a field name.
_SHORT = 4
#: Concepts that stop every rule: a value about an identifier (if short) or about a topic the taxonomy
#: leaves out (research, funding, waiting times, medicines...).
_BLOCKING_SHORT = "identifier"
_BLOCKING = "off_topic"


@dataclass(frozen=True)
class Reading:
    """The concepts a value carries: all of them, and those carried by a clause without a negation."""

    carried: frozenset[str]
    affirmed: frozenset[str]
    words: int


@dataclass(frozen=True)
class CueRule:
    """One row of ``rules.csv``: the notation named when ``requires`` are all carried and no ``forbids``."""

    notation: str
    requires: frozenset[str]
    forbids: frozenset[str]

    def fires(self, reading: Reading) -> bool:
        """Tell whether a value read so satisfies the rule.

        A rule that requires a negation needs one of its other concepts in a negated clause; any other
        rule needs each of its concepts in a clause that is not negated ("they liaise with each other
        but not with the consultants" still liaise).
        """
        carried = reading.carried
        if not self.requires <= carried or self.forbids & carried:
            return False
        plain = self.requires - _NEGATIVE
        if self.requires & _NEGATIVE:
            return not plain or not plain <= reading.affirmed
        return plain <= reading.affirmed


class Cues:
    """The compiled concepts and rules, restricted to some notations."""

    def __init__(
        self,
        phrases: dict[str, list[tuple[str, ...]]],
        rules: Iterable[CueRule],
        normalise: Callable[[str], str],
        negated: Callable[[str], bool],
    ) -> None:
        self.phrases = phrases
        self.rules = tuple(rules)
        self._normalise = normalise
        self._negated = negated
        self._longest = max((len(p) for ps in phrases.values() for p in ps), default=1)
        self._by_words: dict[tuple[str, ...], set[str]] = {}
        for concept, spans in phrases.items():
            for span in spans:
                self._by_words.setdefault(span, set()).add(concept)
        # Each rule filed under one concept it requires: a value is checked only against rules it can fire.
        self._by_concept: dict[str, list[CueRule]] = {}
        for rule in self.rules:
            self._by_concept.setdefault(min(rule.requires), []).append(rule)

    def restricted(self, notations: Iterable[str]) -> Cues:
        """Return the cues whose rules name one of these notations (the candidate terms)."""
        keep = set(notations)
        rules = (r for r in self.rules if r.notation in keep)
        return Cues(self.phrases, rules, self._normalise, self._negated)

    def concepts(self, key: str) -> frozenset[str]:
        """Return the concepts a normalised text carries (with :data:`NEGATION` if its words negate).

        Phrases are taken longest first, without overlap ("video call" is no phone call). A negation
        word inside a phrase ("non-clinical", "not-for-profit") does not negate the text.
        """
        words = key.split()
        found: set[str] = set()
        loose: list[str] = []
        start = 0
        while start < len(words):
            for size in range(min(self._longest, len(words) - start), 0, -1):
                concepts = self._by_words.get(tuple(words[start : start + size]))
                if concepts:
                    found |= concepts
                    start += size
                    break
            else:
                loose.append(words[start])
                start += 1
        if self._negated(" ".join(loose)) or found & _NEGATIVE:
            found.add(NEGATION)
        return frozenset(found)

    def read(self, value: str) -> Reading:
        """Return the concepts a value carries, clause by clause."""
        carried: set[str] = set()
        affirmed: set[str] = set()
        words = 0
        for clause in _CLAUSE_BREAK.split(value):
            for part, text in enumerate(_CONTRAST.split(clause)):
                key = self._normalise(text)
                found = self.concepts(key)
                words += len(key.split())
                carried |= found
                if part == 0 and NEGATION not in found:
                    affirmed |= found
        return Reading(frozenset(carried), frozenset(affirmed), words)

    def named(self, value: str) -> dict[str, CueRule]:
        """Return the notations the rules name for a value, each with a rule that named it.

        Usually one; several when rules of unrelated options fire (the caller weighs them by meaning).
        """
        reading = self.read(value)
        if _BLOCKING in reading.carried or (_BLOCKING_SHORT in reading.carried and reading.words <= _SHORT):
            return {}
        fired = {r for c in reading.carried for r in self._by_concept.get(c, ()) if r.fires(reading)}
        # A rule that asks for more (all of another's concepts and some) is the more specific reading.
        kept = [r for r in self.rules if r in fired and not any(r.requires < o.requires for o in fired)]
        named = {r.notation: r for r in reversed(kept)}  # the first row of a notation speaks for it
        return {n: r for n, r in named.items() if not any(o.startswith(n + ".") for o in named)}


def _text(name: str) -> str:
    return (files("concord_kg") / "exemplars" / name).read_text(encoding="utf-8")


@cache
def load_cues() -> Cues:
    """Read ``concepts.csv`` and ``rules.csv`` from the package and compile them."""
    return parse_cues(_text("concepts.csv"), _text("rules.csv"))


def parse_cues(concepts: str, rules: str) -> Cues:
    """Compile the text of a concepts table and a rules table (the CSV forms described above).

    :raises ValueError: a rule names an undefined concept or requires none (``rules.csv:LINE: ...``).
    """
    from concord_kg.harmonise import _negated, normalise

    phrases: dict[str, list[tuple[str, ...]]] = {}
    for row in csv.DictReader(io.StringIO(concepts)):
        spans = {tuple(normalise(p).split()) for p in row["phrases"].split("|")}
        phrases[row["concept"].strip()] = sorted(s for s in spans if s)
    known = set(phrases) | {NEGATION}
    compiled = []
    for line, row in enumerate(csv.DictReader(io.StringIO(rules)), start=2):
        requires = frozenset((row["requires"] or "").split())
        forbids = frozenset((row["forbids"] or "").split())
        unknown = sorted((requires | forbids) - known)
        if unknown:
            raise ValueError(f"rules.csv:{line}: unknown concept(s): {', '.join(unknown)}")
        if not requires:
            raise ValueError(f"rules.csv:{line}: the rule requires no concept")
        compiled.append(CueRule(row["notation"].strip(), requires, forbids))
    return Cues(phrases, compiled, normalise, _negated)
