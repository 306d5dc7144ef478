"""Browsing the taxonomy: the domain → sub-domain → option tree, breadcrumbs and a term's links to models.

Read from the ontology graph (``ckg:taxonomyLevel``, ``rdfs:subClassOf``, the model annotations), so
a term added to ``ontology/`` appears in the tree without code changes.
"""

from __future__ import annotations

from typing import Any

from rdflib import Graph, URIRef
from rdflib.namespace import RDFS, SKOS
from rdflib.term import Node

from concord_kg.decision import notation_order
from concord_kg.ontology import CKG, taxonomy_terms

from .terms import term_link

__all__ = ["taxonomy_tree", "breadcrumbs", "term_relations"]

#: Model annotations that point at taxonomy options, with the words used on a term page.
_MODEL_LINKS = (
    (CKG.placeOfCare, "place of care"),
    (CKG.coordinationRole, "coordination role"),
    (CKG.supportFrom, "support from"),
)


def taxonomy_tree(graph: Graph) -> list[dict[str, Any]]:
    """Return the taxonomy as nested dicts (``children`` lists), domains first, in notation order."""
    terms = taxonomy_terms(graph)
    known = {t.iri for t in terms}
    nodes = {t.iri: {**term_link(graph, t.iri), "children": []} for t in terms}
    roots: list[dict[str, Any]] = []
    for term in terms:
        parent = next((p for p in _taxonomy_parents(graph, term.iri) if p in known), None)
        (nodes[parent]["children"] if parent is not None else roots).append(nodes[term.iri])
    return roots


def breadcrumbs(graph: Graph, iri: URIRef) -> list[dict[str, Any]]:
    """Return the taxonomy ancestors of ``iri``, domain first (empty for terms outside the taxonomy)."""
    trail: list[dict[str, Any]] = []
    seen = {iri}
    current = iri
    while True:
        parent = next(
            (p for p in _taxonomy_parents(graph, current) if (p, CKG.taxonomyLevel, None) in graph),
            None,
        )
        if parent is None or parent in seen:
            return trail
        trail.insert(0, term_link(graph, parent))
        seen.add(parent)
        current = parent


def term_relations(graph: Graph, iri: URIRef) -> dict[str, list[dict[str, Any]]]:
    """Return the models using a term (as place of care, role, support), and decisions concerning it.

    For a model, return what it offers and the decisions to make instead.
    """
    relations: dict[str, list[dict[str, Any]]] = {}
    for predicate, words in _MODEL_LINKS:
        models = [term_link(graph, m) for m in graph.subjects(predicate, iri)]
        if models:
            relations[f"Models with this {words}"] = sorted(models, key=_model_order)
        options = [term_link(graph, o) for o in graph.objects(iri, predicate)]
        if options:
            relations[f"This model's {words}"] = options
    decisions = [term_link(graph, d) for d in graph.subjects(CKG.concerns, iri) if _is_decision(graph, d)]
    if decisions:
        relations["Decisions to make about this"] = sorted(decisions, key=lambda d: d["label"])
    made = [term_link(graph, d) for d in graph.objects(iri, CKG.decisionToMake)]
    if made:
        relations["Decisions still to make with this model"] = sorted(made, key=lambda d: d["label"])
    concerns = [term_link(graph, t) for t in graph.objects(iri, CKG.concerns)]
    if concerns:
        relations["What this is about"] = sorted(concerns, key=lambda d: d["label"])
    users = [term_link(graph, m) for m in graph.subjects(CKG.decisionToMake, iri)]
    if users:
        relations["Models where this decision is made"] = sorted(users, key=_model_order)
    related = {*graph.objects(iri, SKOS.related), *graph.subjects(SKOS.related, iri)}
    if related:
        relations["Related terms"] = sorted((term_link(graph, r) for r in related), key=lambda d: d["label"])
    return relations


def _taxonomy_parents(graph: Graph, iri: URIRef) -> list[Any]:
    # A term the paper only groups under a domain (D5.3) has that domain as skos:broader, not as superclass.
    return [*graph.objects(iri, RDFS.subClassOf), *graph.objects(iri, SKOS.broader)]


def _is_decision(graph: Graph, node: Node) -> bool:
    return (node, None, CKG.SituationSpecificDecision) in graph


def _model_order(link: dict[str, Any]) -> tuple[int, str]:
    return (notation_order(link["notation"]), link["label"])
