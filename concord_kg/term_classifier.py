"""A second opinion learnt from the labelled values: which term, or none, a value's embedding points to.

The meaning stage votes by the nearest text of each term (:mod:`concord_kg.harmonise`); the cue rules
read concepts. Neither weighs all the labelled values at once. This classifier does: a softmax
regression over the same embeddings, trained on every text of the candidate terms (labels, synonyms,
definitions, written exemplars, labelled values) and on the out-of-domain exemplars, as one more class.
It is trained when the meaning stage is first built (about a second for 15,000 texts), from the
package's own files: nothing is stored or downloaded.

The harmoniser asks it two things (measured by cross-validation over the tuning sets, see
``bench/harmonise_eval.py``): whether a term a rule or the meaning stage proposes is one the labelled
values make all but impossible, and, for a value nothing else maps, whether the labelled values point
to one term with near certainty.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["TermClassifier", "train"]

#: Full-batch optimisation steps and their size (Adam), and the weight decay: on the tuning sets, more
#: steps (150, 400, with smaller sizes) gave about the same cross-validated figures (in a prototype).
_STEPS = 60
_RATE = 0.1
_DECAY = 1e-4


@dataclass(frozen=True)
class TermClassifier:
    """Weights of a softmax regression over standardised embeddings; class ``k`` is label ``k``."""

    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray  # dimension × classes
    bias: np.ndarray

    def probabilities(self, embedded: np.ndarray) -> np.ndarray:
        """Return one row of class probabilities per embedded value."""
        logits = ((embedded - self.mean) / self.scale) @ self.weights + self.bias
        logits -= logits.max(axis=1, keepdims=True)
        odds = np.exp(logits)
        probabilities: np.ndarray = odds / odds.sum(axis=1, keepdims=True)
        return probabilities


def train(embedded: np.ndarray, labels: np.ndarray, classes: int) -> TermClassifier:
    """Fit a classifier to embedded texts and their class numbers (``0 <= label < classes``).

    Deterministic: the weights start at zero and every step uses all texts.

    >>> rng = np.random.default_rng(0)
    >>> points = np.vstack([rng.normal(-1, 0.3, (20, 2)), rng.normal(1, 0.3, (20, 2))]).astype(np.float32)
    >>> model = train(points, np.repeat([0, 1], 20), 2)
    >>> model.probabilities(np.array([[-1, -1], [1, 1]], dtype=np.float32)).argmax(axis=1).tolist()
    [0, 1]
    """
    mean = embedded.mean(axis=0)
    scale = embedded.std(axis=0) + 1e-6
    x = ((embedded - mean) / scale).astype(np.float32)
    target = np.eye(classes, dtype=np.float32)[labels]
    weights = np.zeros((x.shape[1], classes), np.float32)
    bias = np.zeros(classes, np.float32)
    moments = [(np.zeros_like(p), np.zeros_like(p)) for p in (weights, bias)]
    for step in range(1, _STEPS + 1):
        logits = x @ weights + bias
        logits -= logits.max(axis=1, keepdims=True)
        odds = np.exp(logits)
        error = (odds / odds.sum(axis=1, keepdims=True) - target) / len(x)
        gradients = (x.T @ error + _DECAY * weights, error.sum(axis=0))
        for param, grad, (first, second) in zip((weights, bias), gradients, moments, strict=True):
            first *= 0.9
            first += 0.1 * grad
            second *= 0.999
            second += 0.001 * grad * grad
            param -= _RATE * (first / (1 - 0.9**step)) / (np.sqrt(second / (1 - 0.999**step)) + 1e-8)
    return TermClassifier(mean, scale, weights, bias)
