"""Meaning-aware scores of dataset values against taxonomy terms, from word embeddings shipped in a wheel.

The embedding model is WordLlama's 256-dimension ``l2_supercat`` (MIT licence): its weights
(``wordllama/weights/*.safetensors``) and tokenizer (``wordllama/tokenizers/*.json``) are files inside
the ``wordllama`` wheel, read from there. ``WordLlama.load()`` is not used because wordllama 0.4 looks
for the tokenizer under ``tokenizer/`` while the wheel ships it under ``tokenizers/``, then falls back
to downloading it from Hugging Face; nothing here ever opens a network connection.

A text's embedding is the mean of its tokens' vectors, scaled to unit length, so a score is a cosine.
Each term is represented by several texts (its label, every synonym, its definition, the exemplar
wordings written for it and the dataset values a curator labelled with it, :func:`load_exemplars`), and
its score for a value is the best of them: the nearest exemplar votes for its term. Labelled values a
curator left unmapped join the out-of-domain exemplars: a value nearest one of them abstains.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from functools import cache
from importlib.resources import files
from importlib.util import find_spec
from pathlib import Path

import numpy as np

__all__ = [
    "Embedder",
    "load_embedder",
    "curated_exemplars",
    "labelled_sets",
    "load_exemplars",
    "MODEL_NAME",
    "EXEMPLARS",
    "LABELLED",
]

#: The model used, as wordllama names its files.
MODEL_NAME = "l2_supercat_256"
#: Values embedded per block: bounds the memory the token vectors of one block take.
_BLOCK = 4096
#: Padded tokens summed in one group (texts of similar length): 16,384 tokens take 16 MiB.
_GROUP_TOKENS = 16_384


class Embedder:
    """Embed short texts with a static token-embedding table and a tokenizer (mean pooling, unit length)."""

    def __init__(self, table: np.ndarray, tokenizer: object) -> None:
        # One zero row after the table: a padding token id that adds nothing to a sum.
        self._padded = np.vstack(
            [np.asarray(table, dtype=np.float32), np.zeros((1, table.shape[1]), np.float32)]
        )
        self.table = self._padded[:-1]
        self.tokenizer = tokenizer

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
            sums = self._sums([e.ids for e in encoded])
            norms = np.linalg.norm(sums, axis=1, keepdims=True)
            np.divide(sums, norms, out=sums, where=norms > 0)
            out[start : start + len(block)] = sums
        return out

    def _sums(self, ids: list[list[int]]) -> np.ndarray:
        """Return the sum of each text's token vectors (zero for a text without tokens).

        Texts are taken in groups of similar length, each padded with the zero row to a matrix of token
        ids: one ``take`` and one contiguous sum per group, many times faster than gathering the tokens of
        all texts and reducing them segment by segment. A group holds at most :data:`_GROUP_TOKENS`
        padded tokens, so one very long text is summed on its own and memory stays bounded.
        """
        pad = len(self._padded) - 1
        lengths = np.fromiter(map(len, ids), dtype=np.int64, count=len(ids))
        sums = np.zeros((len(ids), self.dimension), dtype=np.float32)
        order = [int(at) for at in np.argsort(lengths, kind="stable") if lengths[at]]
        start = 0
        while start < len(order):
            # Sorted by length: the group's last text is its longest, so it sets the width.
            end = start + 1
            while end < len(order) and (end + 1 - start) * lengths[order[end]] <= _GROUP_TOKENS:
                end += 1
            group = order[start:end]
            width = int(lengths[group[-1]])
            matrix = np.full((len(group), width), pad, dtype=np.int64)
            for row, at in enumerate(group):
                matrix[row, : lengths[at]] = ids[at]
            sums[group] = np.take(self._padded, matrix, axis=0).sum(axis=1)
            start = end
        return sums


@cache
def load_embedder() -> Embedder:
    """Load the model from the files inside the installed ``wordllama`` package (no download)."""
    from safetensors import safe_open
    from tokenizers import Tokenizer

    # The package's folder, found without importing it: its import pulls in requests and pydantic (0.5 s).
    spec = find_spec("wordllama")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("the wordllama package is not installed", name="wordllama")
    root = Path(spec.submodule_search_locations[0])
    with safe_open(str(root / "weights" / f"{MODEL_NAME}.safetensors"), framework="np", device="cpu") as f:
        table = f.get_tensor("embedding.weight")
    tokenizer = Tokenizer.from_file(str(root / "tokenizers" / "l2_supercat_tokenizer_config.json"))
    tokenizer.no_padding()
    tokenizer.no_truncation()
    return Embedder(table, tokenizer)


#: The exemplar wordings written for the package (``concord_kg/exemplars/``; see its README).
EXEMPLARS = "care-coordination.csv"
#: The folder of labelled value sets the meaning stage learns from (``value,gold,kind[,domain]``).
LABELLED = "labelled"

Exemplar = tuple[str, str]


@cache
def curated_exemplars() -> tuple[Exemplar, ...]:
    """Return the written exemplar wordings as ``(notation, text)``; an empty notation: out of domain."""
    text = (files("concord_kg") / "exemplars" / EXEMPLARS).read_text(encoding="utf-8")
    rows = csv.DictReader(io.StringIO(text))
    return tuple((row["notation"].strip(), row["text"].strip()) for row in rows if row["text"].strip())


@cache
def labelled_sets() -> dict[str, tuple[Exemplar, ...]]:
    """Return each labelled set by file name, as ``(gold notation, value)``; an empty gold: stays unmapped.

    These are the tuning sets: dataset values a curator labelled from the taxonomy alone. The held-out
    sets are not in the package (``tests/data/harmonisation/``), so nothing learns from them.
    """
    folder = files("concord_kg") / "exemplars" / LABELLED
    sets = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".csv"):
            rows = csv.DictReader(io.StringIO(entry.read_text(encoding="utf-8")))
            sets[entry.name] = tuple(
                (row["gold"].strip(), row["value"].strip()) for row in rows if row["value"].strip()
            )
    return sets


@cache
def load_exemplars() -> tuple[Exemplar, ...]:
    """Return every exemplar the meaning stage uses: the written ones, then the labelled values, each once."""
    labelled = (pair for rows in labelled_sets().values() for pair in rows)
    return tuple(dict.fromkeys((*curated_exemplars(), *labelled)))
