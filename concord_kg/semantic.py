"""Meaning-aware scores of dataset values against taxonomy terms, from word embeddings shipped in a wheel.

The embedding model is WordLlama's 256-dimension ``l2_supercat`` (MIT licence): its weights
(``wordllama/weights/*.safetensors``) and tokenizer (``wordllama/tokenizers/*.json``) are files inside
the ``wordllama`` wheel, read from there. ``WordLlama.load()`` is not used because wordllama 0.4 looks
for the tokenizer under ``tokenizer/`` while the wheel ships it under ``tokenizers/``, then falls back
to downloading it from Hugging Face; nothing here ever opens a network connection.

A text's embedding is the mean of its tokens' vectors, scaled to unit length, so a score is a cosine.
Each term is represented by several texts (its label, every synonym, its definition and its exemplar
wordings, :func:`load_exemplars`), and its score for a value is the best of them: the nearest exemplar
votes for its term.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from importlib.resources import files

import numpy as np

__all__ = ["Embedder", "load_embedder", "load_exemplars", "MODEL_NAME", "EXEMPLARS"]

#: The model used, as wordllama names its files.
MODEL_NAME = "l2_supercat_256"
#: Values embedded per block: bounds the memory the token vectors of one block take.
_BLOCK = 4096


class Embedder:
    """Embed short texts with a static token-embedding table and a tokenizer (mean pooling, unit length)."""

    def __init__(self, table: np.ndarray, tokenizer: object) -> None:
        self.table = np.ascontiguousarray(table, dtype=np.float32)
        self.tokenizer = tokenizer
        self._columns = np.ascontiguousarray(self.table.T)

    @property
    def dimension(self) -> int:
        """Return the length of an embedding."""
        return int(self.table.shape[1])

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Return one unit-length row per text (a zero row for a text without tokens)."""
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for start in range(0, len(texts), _BLOCK):
            block = list(texts[start : start + _BLOCK])
            encoded = self.tokenizer.encode_batch(block, add_special_tokens=False)  # type: ignore[attr-defined]
            ids = [e.ids for e in encoded]
            lengths = np.fromiter((len(i) for i in ids), dtype=np.int64, count=len(ids))
            if not lengths.sum():
                continue
            flat = np.fromiter((t for i in ids for t in i), dtype=np.int64, count=int(lengths.sum()))
            # Reduce along the last (contiguous) axis: numpy's reduceat along rows is many times slower.
            starts = np.minimum(np.concatenate(([0], np.cumsum(lengths)[:-1])), len(flat) - 1)
            sums = np.add.reduceat(self._columns[:, flat], starts, axis=1).T
            sums[lengths == 0] = 0.0  # reduceat gives an empty text the next text's first token
            norms = np.linalg.norm(sums, axis=1, keepdims=True)
            np.divide(sums, norms, out=sums, where=norms > 0)
            out[start : start + len(block)] = sums
        return out


@cache
def load_embedder() -> Embedder:
    """Load the model from the files inside the installed ``wordllama`` package (no download)."""
    from safetensors import safe_open
    from tokenizers import Tokenizer

    root = files("wordllama")
    with safe_open(str(root / "weights" / f"{MODEL_NAME}.safetensors"), framework="np", device="cpu") as f:
        table = f.get_tensor("embedding.weight")
    tokenizer = Tokenizer.from_file(str(root / "tokenizers" / "l2_supercat_tokenizer_config.json"))
    tokenizer.no_padding()
    tokenizer.no_truncation()
    return Embedder(table, tokenizer)


#: The exemplar wordings shipped with the package (``concord_kg/exemplars/``; see its README).
EXEMPLARS = "care-coordination.csv"


@cache
def load_exemplars() -> tuple[tuple[str, str], ...]:
    """Return the exemplar wordings as ``(notation, text)``; an empty notation: an out-of-domain wording."""
    import csv
    import io

    text = (files("concord_kg") / "exemplars" / EXEMPLARS).read_text(encoding="utf-8")
    rows = csv.DictReader(io.StringIO(text))
    return tuple((row["notation"].strip(), row["text"].strip()) for row in rows if row["text"].strip())
