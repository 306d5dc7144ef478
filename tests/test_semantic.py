"""The embedder: each text is the unit-length sum of its tokens' vectors, whatever the batch holds."""

from __future__ import annotations

import numpy as np
import pytest

from concord_kg.semantic import load_embedder

#: Texts of many lengths, so that texts are summed in several groups, one of them a text on its own
#: that is longer than a group may hold.
BATCH = [
    "",
    "gp",
    "care coordinator",
    "a much longer answer about who organises the appointments",
    *(" ".join(["word"] * n) for n in range(1, 400, 7)),
    " ".join(["coordination"] * 20_000),
]


@pytest.fixture(scope="module")
def embedded() -> np.ndarray:
    return load_embedder().embed(BATCH)


@pytest.mark.parametrize("at", range(len(BATCH)), ids=[t[:30] or "<empty>" for t in BATCH])
def test_an_embedding_is_the_unit_sum_of_its_token_vectors(at: int, embedded: np.ndarray) -> None:
    embedder = load_embedder()
    ids = embedder.tokenizer.encode(BATCH[at], add_special_tokens=False).ids  # type: ignore[attr-defined]
    total = embedder.table[ids].sum(axis=0) if ids else np.zeros(embedder.dimension, dtype=np.float32)
    norm = np.linalg.norm(total)
    expected = total / norm if norm else total  # a text without tokens has a zero row
    assert np.allclose(embedded[at], expected, atol=1e-5)


def test_an_embedding_does_not_depend_on_the_other_texts_of_its_batch(embedded: np.ndarray) -> None:
    assert np.allclose(load_embedder().embed(["care coordinator"])[0], embedded[2], atol=1e-6)
