"""The embedder: each text is the unit-length sum of its tokens' vectors, whatever the batch holds."""

from __future__ import annotations

import numpy as np

from concord_kg.semantic import load_embedder


def test_an_embedding_is_the_unit_sum_of_its_token_vectors() -> None:
    embedder = load_embedder()
    texts = ["", "care coordinator", "a much longer answer about who organises the appointments", "gp"]
    got = embedder.embed(texts)
    for text, row in zip(texts, got, strict=True):
        ids = embedder.tokenizer.encode(text, add_special_tokens=False).ids  # type: ignore[attr-defined]
        if not ids:
            assert not row.any()  # a text without tokens has a zero row
            continue
        total = embedder.table[ids].sum(axis=0)
        assert np.allclose(row, total / np.linalg.norm(total), atol=1e-6)


def test_an_embedding_does_not_depend_on_the_other_texts_of_its_batch() -> None:
    embedder = load_embedder()
    alone = embedder.embed(["key worker"])[0]
    # Texts of many lengths, so that "key worker" is summed in a group padded for longer texts.
    batch = embedder.embed([" ".join(["word"] * n) for n in range(1, 600)] + ["key worker"])
    assert np.allclose(batch[-1], alone, atol=1e-6)
