"""The learnt second opinion: trained on the meaning stage's texts, it vetoes unlikely terms, fills gaps."""

from __future__ import annotations

import numpy as np
import pytest

from concord_kg import harmonise
from concord_kg.harmonise import Harmoniser
from concord_kg.term_classifier import train

#: A value that nothing but the classifier maps, once it is allowed to (checked below without it).
UNMAPPED = "The hospital team talk to each other"


@pytest.fixture(scope="module")
def harmoniser() -> Harmoniser:
    return Harmoniser()


def _training(harmoniser: Harmoniser) -> tuple[np.ndarray, np.ndarray]:
    space = harmoniser._space
    texts = np.vstack((space.vectors, space.void))
    classes = np.concatenate((space.owners, np.full(len(space.void), len(harmoniser.terms))))
    return texts, classes


def test_the_classifier_learns_the_terms_texts_and_the_out_of_domain_ones(harmoniser):
    texts, classes = _training(harmoniser)
    probabilities = harmoniser._space.classifier.probabilities(texts)
    assert probabilities.shape == (len(texts), len(harmoniser.terms) + 1)
    assert np.allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
    assert (probabilities.argmax(axis=1) == classes).mean() > 0.9


def test_training_is_deterministic(harmoniser):
    texts, classes = _training(harmoniser)
    first = train(texts[:2000], classes[:2000], len(harmoniser.terms) + 1)
    second = train(texts[:2000], classes[:2000], len(harmoniser.terms) + 1)
    assert np.array_equal(first.weights, second.weights) and np.array_equal(first.bias, second.bias)


def test_a_term_the_classifier_rules_out_is_not_taken_from_a_rule_or_from_meaning(harmoniser, monkeypatch):
    values = ["Mum sorts it all out", "Clinic visits whenever he is poorly", "Care coordinator"]
    before = {m.value: m.match_type for m in harmoniser.match_all([(v, 1) for v in values])}
    assert before == {values[0]: "cue", values[1]: "semantic", values[2]: "exact"}
    monkeypatch.setattr(harmonise, "LEARNED_VETO", 1.01)  # every term ruled out
    after = {m.value: m.match_type for m in harmoniser.match_all([(v, 1) for v in values])}
    assert after == {values[0]: "none", values[1]: "none", values[2]: "exact"}  # a label stands


def test_a_value_nothing_else_maps_takes_the_learnt_term_only_when_sure_enough(harmoniser, monkeypatch):
    monkeypatch.setattr(harmonise, "LEARNED_FILL", 1.01)
    assert harmoniser.match(UNMAPPED).term is None
    monkeypatch.setattr(harmonise, "LEARNED_FILL", 0.0)
    match = harmoniser.match(UNMAPPED)
    probabilities = harmoniser._space.classifier.probabilities(
        harmoniser._space.embedder.embed([UNMAPPED.lower()])
    )[0]
    assert match.term == harmoniser.terms[int(probabilities.argmax())]
    assert (match.match_type, match.confidence) == ("semantic", harmonise.LEARNED_CONFIDENCE)
    # A reviewed "Not" decision holds against it too.
    banned = harmoniser.match(UNMAPPED, exclude={str(match.term.iri)})
    assert banned.term != match.term
