"""Definitions are written in our own words: none shares a long run of words with the papers.

The papers are the text files in ``../shared/seeds/`` (next to the checkout in CI), or in the folder named
by the ``CONCORD_SEEDS`` environment variable. Without them the test fails and says so: a copy check that
cannot see the papers must not pass.
"""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path

import pytest
from rdflib import Graph
from rdflib.namespace import SKOS

from concord_kg.ontology import module_paths

#: A definition may share at most this many consecutive words with a paper.
MAX_SHARED_RUN = 9
#: Where the papers are, relative to the repository root, unless ``CONCORD_SEEDS`` says otherwise.
DEFAULT_SEEDS = Path(__file__).resolve().parents[1].parent / "shared" / "seeds"

_WORD = re.compile(r"[a-z0-9]+")


def _words(text: str) -> list[str]:
    """Lower-case words; punctuation, hyphens and typographic quotes do not break a run."""
    return _WORD.findall(text.lower().replace("\u2019", "'"))


def _seed_dir() -> Path:
    return Path(os.environ["CONCORD_SEEDS"]) if os.environ.get("CONCORD_SEEDS") else DEFAULT_SEEDS


def seed_runs() -> set[tuple[str, ...]]:
    """Return every run of ``MAX_SHARED_RUN + 1`` consecutive words in the papers; fail if they are missing.

    Called inside each test (not as a fixture) so that missing papers make the tests fail, not error.
    """
    return _runs_in(_seed_dir())


@functools.cache
def _runs_in(folder: Path) -> set[tuple[str, ...]]:
    texts = sorted(folder.glob("*.txt")) if folder.is_dir() else []
    if not texts:
        pytest.fail(
            f"the papers' text files were not found in {folder}: the copy check needs them. "
            "CI checks out ../shared next to the repository; elsewhere set CONCORD_SEEDS to the folder "
            "holding the seed .txt files.",
            pytrace=False,
        )
    n = MAX_SHARED_RUN + 1
    runs: set[tuple[str, ...]] = set()
    for path in texts:
        words = _words(path.read_text(encoding="utf-8"))
        runs.update(tuple(words[i : i + n]) for i in range(len(words) - n + 1))
    return runs


def _shared_runs(definition: str, runs: set[tuple[str, ...]]) -> list[str]:
    words = _words(definition)
    n = MAX_SHARED_RUN + 1
    return [" ".join(words[i : i + n]) for i in range(len(words) - n + 1) if tuple(words[i : i + n]) in runs]


@pytest.mark.parametrize("path", module_paths(), ids=lambda p: p.name)
def test_definitions_share_no_long_run_with_the_papers(path: Path) -> None:
    runs = seed_runs()
    copied = {}
    for term, definition in Graph().parse(path).subject_objects(SKOS.definition):
        shared = _shared_runs(str(definition), runs)
        if shared:
            copied[str(term)] = shared[0]
    assert not copied, f"{len(copied)} definition(s) share {MAX_SHARED_RUN + 1}+ words with a paper: {copied}"


def test_the_check_finds_a_copied_sentence() -> None:
    runs = seed_runs()
    # A sentence of the models paper (Results, 'Aim 2'), as a definition would carry it.
    copied = (
        "The characteristics of the models are centred around attending a specialist centre"
        " or outreach clinic."
    )
    assert _shared_runs(copied, runs)
    assert not _shared_runs("A model is built around whether the patient attends a centre.", runs)


def test_missing_papers_fail_with_a_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONCORD_SEEDS", str(tmp_path / "nowhere"))
    with pytest.raises(pytest.fail.Exception, match="papers' text files were not found"):
        seed_runs()
