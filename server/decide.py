"""The decision aid's logic: which question to ask next, and what to show for the model that applies.

Everything is derived from the ontology: the questions are the decision variables (``ckg:question``,
``ckg:order``), a question is asked only while its answer can still change which models remain
(:attr:`DecisionModel.table`), and a model's offer, decisions and evidence are read from its
annotations (``ckg:placeOfCare``, ``ckg:coordinationRole``, ``ckg:supportFrom``,
``ckg:decisionToMake``) and the ``ckg:concerns`` links of findings.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from rdflib import Graph, URIRef
from rdflib.namespace import RDF, RDFS, SKOS
from rdflib.term import Node

from concord_kg.decision import DecisionModel, Model, Outcome, Value, Variable
from concord_kg.errors import ScenarioError
from concord_kg.ontology import CKG

from .terms import term_link, term_url

__all__ = ["AnsweredQuestion", "Step", "Offer", "read_answers", "next_step", "step_link", "model_offer"]

#: Model characteristics the paper's model table gave but which could not be recovered.
NOT_RECOVERED = ("Care plan", "MDT meetings", "Who oversees care")


@dataclass(frozen=True)
class AnsweredQuestion:
    """One answered question: the variable, the value chosen and the URL that removes it (and later ones)."""

    variable: Variable
    value: Value
    change_url: str


@dataclass(frozen=True)
class Step:
    """Where the decision aid stands: the answers given, the next question (or none) and the outcome."""

    answers: list[AnsweredQuestion]
    question: Variable | None
    choices: list[tuple[Value, str]]  # (value, URL that adds it)
    outcome: Outcome
    remaining: int  # questions that may still be asked, this one included


@dataclass
class Offer:
    """What a model offers and what is behind it, for the result page."""

    model: Model
    definition: str
    href: str | None = None  # the model's term page
    place_of_care: list[dict[str, Any]] = field(default_factory=list)
    coordination_role: list[dict[str, Any]] = field(default_factory=list)
    support: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    decisions: list[dict[str, Any]] = field(default_factory=list)
    evidence: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def read_answers(decision: DecisionModel, args: Mapping[str, str]) -> dict[URIRef, Value]:
    """Read answers from query parameters named by column (``can_travel=yes``); others are ignored.

    :raises ScenarioError: a known question has a value that is not one of its answers.
    """
    answers: dict[URIRef, Value] = {}
    for variable in decision.variables:
        text = args.get(variable.column)
        if text is None or text == "":
            continue
        value = variable.value(text.strip().lower())
        if value is None:
            allowed = ", ".join(v.notation for v in variable.values)
            raise ScenarioError(
                f"{text!r} is not an answer to {variable.label!r}",
                term=variable.column,
                hint=f"use {allowed}",
            )
        answers[variable.iri] = value
    return answers


def next_step(decision: DecisionModel, answers: dict[URIRef, Value], base: str = "/decide") -> Step:
    """Return the answers given (in question order), the next question that matters and the outcome.

    A question matters when some of its answers leave a different set of candidate models than
    others, given the answers so far. Answers to questions that no longer matter are dropped.
    """
    kept: dict[URIRef, Value] = {}
    for variable in decision.variables:
        if variable.iri in answers and _matters(decision, kept, variable):
            kept[variable.iri] = answers[variable.iri]
    outcome = decision.outcome(_combo(decision, kept))
    pending = [] if outcome.model else [v for v in decision.variables if v.iri not in kept]
    pending = [v for v in pending if _matters(decision, kept, v)]
    question = pending[0] if pending else None
    given = []
    for variable in decision.variables:
        if variable.iri in kept:
            earlier = {k: v for k, v in kept.items() if _order(decision, k) < variable.order}
            given.append(AnsweredQuestion(variable, kept[variable.iri], _url(decision, earlier, base)))
    choices = (
        [(value, _url(decision, {**kept, question.iri: value}, base)) for value in question.values]
        if question
        else []
    )
    return Step(given, question, choices, outcome, len(pending))


def _matters(decision: DecisionModel, known: dict[URIRef, Value], variable: Variable) -> bool:
    if variable.iri in known:
        return False
    seen = {
        tuple(m.notation for m in decision.outcome(_combo(decision, {**known, variable.iri: v})).candidates)
        for v in variable.values
    }
    return len(seen) > 1


def _combo(decision: DecisionModel, known: dict[URIRef, Value]) -> tuple[Value | None, ...]:
    return tuple(known.get(v.iri) for v in decision.variables)


def _order(decision: DecisionModel, iri: URIRef) -> int:
    return next(v.order for v in decision.variables if v.iri == iri)


def step_link(decision: DecisionModel, known: dict[URIRef, Value]) -> dict[str, Any]:
    """Return a link (``href``, ``notation``) to the decision aid with these answers given."""
    return {"href": _url(decision, known, "/decide"), "notation": ""}


def _url(decision: DecisionModel, known: dict[URIRef, Value], base: str) -> str:
    parts = [f"{v.column}={known[v.iri].notation}" for v in decision.variables if v.iri in known]
    return base + ("?" + "&".join(parts) if parts else "")


def model_offer(graph: Graph, model: Model) -> Offer:
    """Collect a model's characteristics, its decisions to make and the findings that concern them.

    Findings (preferences, benefits, challenges, factors, barriers, facilitators) are included when
    their ``ckg:concerns`` points at one of the model's options, at a term a decision concerns, or
    at a sub-domain or domain above one of those.
    """

    def links(predicate: URIRef) -> list[dict[str, Any]]:
        return _links(graph, graph.objects(model.iri, predicate))

    definition = str(graph.value(model.iri, SKOS.definition) or "")
    offer = Offer(model=model, definition=definition, href=term_url(model.iri))
    offer.place_of_care = links(CKG.placeOfCare)
    offer.coordination_role = links(CKG.coordinationRole)
    offer.support = links(CKG.supportFrom)
    offer.notes = sorted(str(n) for n in graph.objects(model.iri, SKOS.editorialNote))
    decisions = sorted(graph.objects(model.iri, CKG.decisionToMake), key=lambda d: str(d))
    offer.decisions = [
        {**term_link(graph, d), "concerns": _links(graph, graph.objects(d, CKG.concerns))} for d in decisions
    ]
    terms: set[Node] = {
        o
        for p in (CKG.placeOfCare, CKG.coordinationRole, CKG.supportFrom)
        for o in graph.objects(model.iri, p)
    }
    terms |= {t for d in decisions for t in graph.objects(d, CKG.concerns)}
    scope: set[Node] = {
        a
        for t in terms
        for a in graph.transitive_objects(t, RDFS.subClassOf)
        if a is not None and (a, CKG.taxonomyLevel, None) in graph
    }
    offer.evidence = _findings(graph, scope | terms)
    return offer


def _links(graph: Graph, nodes: Iterable[Node]) -> list[dict[str, Any]]:
    return sorted((term_link(graph, n) for n in nodes), key=lambda d: str(d["label"]))


def _findings(graph: Graph, terms: set[Node]) -> dict[str, list[dict[str, Any]]]:
    kinds = set(graph.transitive_subjects(RDFS.subClassOf, CKG.Finding)) - {CKG.Finding}
    grouped: dict[str, list[dict[str, Any]]] = {}
    items = {s for t in terms for s in graph.subjects(CKG.concerns, t)}
    for item in sorted(items, key=str):
        types = [t for t in graph.objects(item, RDF.type) if t in kinds]
        if not types:
            continue
        kind = min(term_link(graph, t)["label"] for t in types)
        about = sorted(term_link(graph, t)["label"] for t in graph.objects(item, CKG.concerns) if t in terms)
        grouped.setdefault(kind, []).append({**term_link(graph, item), "about": about})
    for entries in grouped.values():
        entries.sort(key=lambda d: d["label"])
    return dict(sorted(grouped.items()))
