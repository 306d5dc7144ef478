"""The spellings accepted for answers to the situation questions: yes, no, and (where allowed) unknown.

This is the one list the scenario and registry readers, saved-query parameters and help texts use.
"""

from __future__ import annotations

__all__ = ["YES", "NO", "UNKNOWN", "read_answer", "accepted_answers", "unknown_answers", "UNKNOWN_ANSWER"]

#: Spellings read as the ``yes`` value (compared case-insensitively, surrounding blanks ignored).
YES = ("yes", "y", "true", "1")
#: Spellings read as the ``no`` value.
NO = ("no", "n", "false", "0")
#: Spellings read as "unknown" (accepted only where partial scenarios are: ``--allow-partial``).
UNKNOWN = ("", "na", "n/a", "unknown", "don't know", "dont know", "not known", "?", "-")

#: What :func:`read_answer` returns for an unknown marker.
UNKNOWN_ANSWER = ""

_ANSWERS = {**dict.fromkeys(YES, "yes"), **dict.fromkeys(NO, "no"), **dict.fromkeys(UNKNOWN, UNKNOWN_ANSWER)}


def read_answer(text: str) -> str | None:
    """Return the notation an answer spells (``yes``/``no``), ``""`` for unknown, ``None`` if unreadable.

    >>> read_answer(" Y"), read_answer("0"), read_answer("Don’t know"), read_answer("maybe")
    ('yes', 'no', '', None)
    """
    return _ANSWERS.get(text.strip().lower().replace("\u2019", "'"))


def accepted_answers() -> str:
    """Return the accepted yes/no spellings for an error message.

    >>> accepted_answers()
    'yes/y/true/1, no/n/false/0'
    """
    return f"{'/'.join(YES)}, {'/'.join(NO)}"


def unknown_answers() -> str:
    """Return the unknown markers for an error message or help text.

    >>> unknown_answers()
    "blank/NA/N/A/unknown/don't know/not known/?/-"
    """
    shown = [s for s in UNKNOWN if s not in {"", "dont know"}]
    return "/".join(["blank"] + [s.upper() if s in {"na", "n/a"} else s for s in shown])
