"""The cache of derived values: once per key across threads, bounded when asked, nothing left by failures.

That a slow build blocks only its own key is tested through the backend (`test_state.py`).
"""

from __future__ import annotations

import threading
import time

import pytest

from concord_kg.server.cache import KeyedCache


def test_bounded_cache_keeps_the_most_recently_used() -> None:
    cache: KeyedCache[object] = KeyedCache(limit=3)
    first = cache.get("a", object)
    for key in "bc":
        cache.get(key, object)
    assert cache.get("a", object) is first  # a hit makes "a" the most recent
    cache.get("d", object)  # evicts "b", the least recently used
    assert cache.keys() == ["c", "a", "d"]
    assert cache.get("a", object) is first
    assert len(cache) == 3


def test_unbounded_cache_keeps_everything() -> None:
    cache: KeyedCache[int] = KeyedCache()
    for n in range(100):
        cache.get(n, lambda n=n: n * n)
    assert len(cache) == 100


def test_a_key_is_built_once_across_threads() -> None:
    cache: KeyedCache[object] = KeyedCache(limit=2)
    builds: list[int] = []
    start = threading.Barrier(8)
    seen: list[object] = []

    building = threading.Event()
    release = threading.Event()

    def build() -> object:
        builds.append(1)
        building.set()
        release.wait(5)  # the build is slow: the other threads arrive while it runs
        return object()

    def work() -> None:
        start.wait()
        seen.append(cache.get("k", build))

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    assert building.wait(5)
    deadline = time.monotonic() + 5
    while cache._building["k"].callers < 8 and time.monotonic() < deadline:  # all eight are waiting
        time.sleep(0.01)
    release.set()
    for thread in threads:
        thread.join()
    assert len(builds) == 1 and len({id(v) for v in seen}) == 1
    assert cache.building() == 0


def test_a_failed_build_keeps_nothing_and_is_tried_again() -> None:
    cache: KeyedCache[str] = KeyedCache(limit=2)

    def fail() -> str:
        raise ValueError("no such domain")

    for n in range(50):
        with pytest.raises(ValueError, match="no such domain"):
            cache.get(("bad", n), fail)
    assert len(cache) == 0 and cache.building() == 0  # no lock left behind per key tried
    assert cache.get(("bad", 0), lambda: "built") == "built"


def test_a_build_that_needs_its_own_key_fails_clearly() -> None:
    cache: KeyedCache[str] = KeyedCache(limit=2)

    def build() -> str:
        return cache.get("k", build)

    with pytest.raises(RuntimeError, match="building 'k' needs 'k' itself"):
        cache.get("k", build)
    assert cache.building() == 0 and len(cache) == 0
