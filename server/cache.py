"""Build derived values once per key, under one lock per key, keeping all of them or the most recently used.

The backend keeps the ontology, the classifier and the other values every request shares for the app's
life; values keyed by what a client sends (a harmoniser per set of domains) are kept in a bounded cache,
so a client cannot grow the server's memory by asking for ever new keys.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

__all__ = ["KeyedCache"]

_T = TypeVar("_T")


@dataclass
class _Building:
    """The lock of one key being built, who builds it, and how many callers hold it or wait for it."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    builder: int | None = None  # the thread running the build
    callers: int = 0


class KeyedCache(Generic[_T]):
    """Values built on first use, once per key whatever the threads; at most ``limit`` kept (LRU).

    A slow build blocks only the callers that need that key, never hits on other keys. Locks live only
    while a key builds, so keys that fail to build (a client's unknown domain) leave nothing behind.

    >>> cache: KeyedCache[str] = KeyedCache(limit=2)
    >>> [cache.get(k, lambda: k.upper()) for k in ("a", "b", "a", "c")]
    ['A', 'B', 'A', 'C']
    >>> cache.keys()
    ['a', 'c']

    :param limit: most values kept; the least recently used goes first (``None``: keep every value).
    """

    def __init__(self, *, limit: int | None = None) -> None:
        if limit is not None and limit < 1:
            raise ValueError("limit must be at least 1")
        self.limit = limit
        self._lock = threading.Lock()
        self._values: OrderedDict[Hashable, _T] = OrderedDict()
        # Dropped when the last caller of a key leaves, so failed keys leave nothing behind.
        self._building: dict[Hashable, _Building] = {}

    def __len__(self) -> int:
        with self._lock:
            return len(self._values)

    def keys(self) -> list[Hashable]:
        """Return the keys held, least recently used first."""
        with self._lock:
            return list(self._values)

    def building(self) -> int:
        """Return how many keys are being built right now (their locks are the only other state kept)."""
        with self._lock:
            return len(self._building)

    def _hit(self, key: Hashable) -> bool:
        """Tell whether ``key`` is kept (with :attr:`_lock` held), marking it recently used."""
        if key in self._values:
            self._values.move_to_end(key)
            return True
        return False

    def get(self, key: Hashable, build: Callable[[], _T]) -> _T:
        """Return the value kept under ``key``, building it first if it is not kept.

        :raises Exception: whatever ``build`` raises (nothing is kept then).
        """
        with self._lock:
            if self._hit(key):
                return self._values[key]
            entry = self._building.setdefault(key, _Building())
            if entry.builder == threading.get_ident():
                raise RuntimeError(f"building {key!r} needs {key!r} itself")
            entry.callers += 1
        try:
            with entry.lock:
                with self._lock:
                    if self._hit(key):
                        return self._values[key]
                    entry.builder = threading.get_ident()
                built = build()  # a build may ask for other keys, under their own locks
                with self._lock:
                    self._values[key] = built
                    self._values.move_to_end(key)
                    while self.limit is not None and len(self._values) > self.limit:
                        self._values.popitem(last=False)
                return built
        finally:
            with self._lock:
                if entry.builder == threading.get_ident():
                    entry.builder = None
                entry.callers -= 1
                if entry.callers == 0:
                    del self._building[key]
