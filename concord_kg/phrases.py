"""Find known phrases in a list of words: longest first, without overlap.

Both the containment stage of harmonisation (labels inside a value) and the cue rules (concept phrases
inside a value) read a value this way, so that "video call" is read as a video call, not as a call,
and "shared care coordinator" as a care coordinator, not as shared care.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TypeVar

__all__ = ["longest_first", "longest_by_start"]

_T = TypeVar("_T")


def longest_by_start(spans: Iterable[tuple[str, ...]]) -> dict[str, int]:
    """Return, for each word a phrase begins with, the length of the longest such phrase.

    >>> longest_by_start([("video", "call"), ("video",), ("call",)])
    {'video': 2, 'call': 1}
    """
    longest: dict[str, int] = {}
    for span in spans:
        longest[span[0]] = max(longest.get(span[0], 0), len(span))
    return longest


def longest_first(
    words: Sequence[str], lookup: Callable[[tuple[str, ...]], _T | None], longest: Mapping[str, int]
) -> tuple[list[tuple[int, int, _T]], list[bool]]:
    """Return the phrases found, as ``(start, size, found)`` in the order taken, and which words they cover.

    :param lookup: what a span of words names, or None.
    :param longest: for each word a phrase can begin with, the length of the longest such phrase
        (:func:`longest_by_start`).

    >>> known = {("video", "call"): "video", ("call",): "telephone", ("nurse",): "nurse"}
    >>> longest_first("nurse video call".split(), known.get, {"video": 2, "call": 1, "nurse": 1})[0]
    [(1, 2, 'video'), (0, 1, 'nurse')]
    """
    candidates: list[tuple[int, int, _T]] = []
    for start, word in enumerate(words):
        for size in range(min(longest.get(word, 0), len(words) - start), 0, -1):
            named = lookup(tuple(words[start : start + size]))
            if named is not None:
                candidates.append((size, start, named))
    candidates.sort(key=lambda c: (-c[0], c[1]))  # longest first, then leftmost
    taken = [False] * len(words)
    found: list[tuple[int, int, _T]] = []
    for size, start, named in candidates:
        if not any(taken[start : start + size]):
            taken[start : start + size] = [True] * size
            found.append((start, size, named))
    return found, taken
