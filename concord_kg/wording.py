"""How dataset values and taxonomy labels are read into matching keys.

:func:`normalise` gives the key that exact, synonym, fuzzy and cue matching compare: lower case, no
accents or punctuation, British spelling, abbreviations and clinical shorthand spelt out, singular,
without articles. :func:`readable` gives the text the meaning stage embeds (only slashed shorthand
spelt out), and :func:`is_negated` tells whether a key's words deny what they name.
"""

from __future__ import annotations

import functools
import re
import unicodedata

__all__ = [
    "ABBREVIATIONS",
    "SPELLINGS",
    "STOPWORDS",
    "NEGATIONS",
    "normalise",
    "readable",
    "join_dotted",
    "is_negated",
]

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
    "pt": "patient",
    "pts": "patient",
    "hcp": "healthcare professional",
    "hcps": "healthcare professional",
    "pcp": "primary care physician",
    "pcps": "primary care physician",
    "spoc": "single point of contact",
    "pifu": "patient initiated follow up",
    "prn": "as needed",
    "paeds": "paediatric",
    "peds": "paediatric",
    "fu": "follow up",
    "jt": "joint",
    "tc": "telephone consultation",
    "collab": "collaboration",
    "comms": "communication",
    "shcr": "shared care record",
    "mtg": "meeting",
    "nk": "not known",
    "poc": "point of contact",
    "tac": "team around the child",
}

#: Clinical shorthand written with a slash, expanded before punctuation is dropped: ``f/u`` (follow-up),
#: ``r/v`` (review), ``t/c`` (telephone consultation), ``w/`` (with); ``6/12`` is "in six months" and
#: ``2/52`` "in two weeks" (an interval, so a regular review), unless part of a date. ``GPS`` in capitals
#: is the satellite system, not general practitioners (``GPs``).
_SHORTHAND = (
    (re.compile(r"\bf/u\b"), " follow up "),
    (re.compile(r"\br/v\b"), " review "),
    (re.compile(r"\bt/c\b"), " telephone consultation "),
    (re.compile(r"\bw/(?=\s|$)"), " with "),
    (re.compile(r"(?<![\d/])\d{1,2}/12(?![\d/])"), " interval of months "),
    (re.compile(r"(?<![\d/])\d{1,2}/52(?![\d/])"), " interval of weeks "),
)

#: "A&E", "A and E": the emergency department, read before "&" becomes "and".
_A_AND_E = re.compile(r"\ba\s*(?:&|and)\s*e\b")

#: "every 18 months", "every 4 to 6 months", "evry 3 mths" (as keys): a fixed interval, however many.
_EVERY = re.compile(r"\bevery \d+(?: (?:to |or )?\d+)? (month|week|year)\b")

_SATELLITE = re.compile(r"\bGPS\b")

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
    "caregiver": "carer",
    "caregivers": "carers",
    # Misspellings common in free text.
    "evry": "every",
    "clinc": "clinic",
    "apointment": "appointment",
    "apointments": "appointments",
    "seperate": "separate",
    "seperately": "separately",
    "multidiciplinary": "multidisciplinary",
    "coordinater": "coordinator",
    "docter": "doctor",
    "mth": "month",
    "mths": "months",
    "wks": "weeks",
    "req": "required",
    "annaul": "annual",
    "anual": "annual",
    "telephne": "telephone",
    "shrd": "shared",
    "yr": "year",
    "yrs": "years",
}

#: Words joined to the next word when written apart or hyphenated (co-ordinator, multi-disciplinary, e-mail).
_JOINED_PREFIXES = {"co", "multi", "e", "tele", "inter", "trans"}

#: Words that carry no meaning for matching.
STOPWORDS = frozenset({"the", "a", "an", "my", "our", "their", "your", "his", "her"})

#: Words that negate a statement: a value with one only matches a label with one.
NEGATIONS = frozenset({
    "no", "not", "non", "none", "nobody", "without", "lack", "lacking", "never", "unclear", "irregular",
    "unscheduled", "unplanned", "absent", "missing", "unavailable", "cannot", "nothing", "unable",
    "formerly", "stopped", "paused", "discontinued", "ceased", "anymore",
})  # fmt: skip

_DOTTED = re.compile(r"\b(?:[A-Za-z]\.){2,}")

_ISE = re.compile(r"(?<=[a-z]{3})iz(e|es|ed|ing|ation|ations)$")

_ISE_EXCEPTIONS = {"size", "sizes", "prize", "seize", "capsize"}

#: What a writer "used to" do is not done now ("We used to have a joint clinic", "It used to be yearly"):
#: read as "formerly", a negation. Only after a pronoun or at the start: "the means used to share
#: information" and "letters are used to keep the GP informed" say what something is for.
_USED_TO = re.compile(r"(^|\b(?:i|we|they|he|she|it|you|there)\s+)used to\b")

#: Contractions written without an apostrophe, as survey answers often are ("dont", "havent", "cant").
_BARE_NOT = re.compile(r"\b(do|does|did|has|have|had|is|are|was|were|could|would|should|need|ca|wo)nt\b")


@functools.lru_cache(maxsize=1 << 16)  # a value is normalised for its key and again by the cue rules
def normalise(text: str) -> str:
    """Return the matching key of a label or value: lower case, no accents or punctuation, singular, British.

    >>> normalise("Multi-disciplinary Team (MDT) Co-ordinators")
    'multidisciplinary team multidisciplinary team coordinator'
    >>> normalise("Pediatric Centers")
    'paediatric centre'
    >>> normalise("Our G.P.")
    'general practitioner'
    >>> normalise("Pt f/u 6/12")
    'patient follow up interval of month'
    >>> normalise("A&E can see it")
    'emergency department can see it'
    >>> normalise("Every 4-6 months"), normalise("evry 3 mths")
    ('every interval of month', 'every interval of month')
    >>> normalise("We havent got one, cant say")
    'we have not got one ca not say'
    """
    if "GPS" in text:
        text = _SATELLITE.sub(" geolocation ", text)
    if "." in text:
        text = join_dotted(text)
    text = _spell_shorthand(
        unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    )
    # "A&E" before "&" becomes "and" and its "e" joins the next word as in "e-mail".
    text = _A_AND_E.sub(" emergency department ", text)
    text = text.replace("&", " and ").replace("+", " and ").replace("n't", " not").replace("'s", "")
    text = text.replace("%", " percent ")
    if "nt" in text:
        text = _BARE_NOT.sub(r"\1 not", text)
    if "used to" in text:
        text = _USED_TO.sub(r"\1formerly", text)
    words = re.findall(r"[a-z0-9]+", text)
    joined: list[str] = []
    for word in words:
        if joined and joined[-1] in _JOINED_PREFIXES and word.isalpha():
            joined[-1] += word
        else:
            joined.append(word)
    key = " ".join(key for word in joined for key in _word_keys(word))
    return _EVERY.sub(r"every interval of \1", key) if "every" in key else key


def readable(text: str) -> str:
    """Return a value as the meaning stage reads it: lower case, slashed clinical shorthand spelt out.

    Abbreviations stay as written: the embedding knows "GP" and "CNS", and a spelt-out
    "general practitioner" outweighs the rest of a short value.

    >>> readable("F/U 6/12 w/ CNS"), readable("R/v   PRN")
    ('follow up interval of months with cns', 'review prn')
    """
    return " ".join(_spell_shorthand(text.lower()).split())


def _spell_shorthand(text: str) -> str:
    """Spell out the slashed clinical shorthand (:data:`_SHORTHAND`) of a lower-case text."""
    if "/" in text:  # every shorthand pattern has a slash
        for pattern, meaning in _SHORTHAND:
            text = pattern.sub(meaning, text)
    return text


@functools.lru_cache(maxsize=1 << 16)  # a column's words repeat far more than its values do
def _word_keys(word: str) -> tuple[str, ...]:
    """Return the key of one word: British spelling, abbreviation spelt out, singular; none for a stopword."""
    word = SPELLINGS.get(word, word)
    if word in ABBREVIATIONS:
        return tuple(_singular(w) for w in ABBREVIATIONS[word].split())
    if "iz" in word and word not in _ISE_EXCEPTIONS:
        word = _ISE.sub(lambda m: "is" + m.group(1), word)
    return () if word in STOPWORDS else (_singular(word),)


def join_dotted(text: str) -> str:
    """Write dotted abbreviations (G.P., M.D.T.) as one word, before punctuation is dropped or split on.

    >>> join_dotted("Our G.P. and the M.D.T.")
    'Our GP and the MDT'
    """
    return _DOTTED.sub(lambda m: m.group(0).replace(".", ""), text)


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


def is_negated(key: str) -> bool:
    """Tell whether a normalised text has a word that denies what it names ("no", "never", "formerly").

    >>> is_negated(normalise("No MDT")), is_negated(normalise("We used to have one")), is_negated("mdt")
    (True, True, False)
    """
    return any(w in NEGATIONS for w in key.split())
