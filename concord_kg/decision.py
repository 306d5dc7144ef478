"""Derive the models' decision procedure from the OWL model definitions in the ontology.

Each model class is ``owl:equivalentClass`` to the intersection of ``ckg:Scenario`` and
``owl:hasValue`` restrictions on the decision variables. This module reads those axioms (and the
variables' value partitions) and compiles them into a lookup table over every combination of
values, unknown included, so classification is one dictionary lookup per scenario. Nothing here
names a model or a condition: editing ``ontology/models.ttl`` changes the procedure.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from functools import cached_property

from rdflib import Graph, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS, SKOS
from rdflib.term import Node

from concord_kg.errors import OntologyLoadError
from concord_kg.ontology import CKG

__all__ = ["Variable", "Value", "Model", "Outcome", "DecisionModel", "load_decision_model", "notation_order"]


@dataclass(frozen=True, eq=False)
class Value:
    """One value of a decision variable (e.g. ``ckg:TravelAbilityYes``).

    Compared and hashed by identity: each value exists once per :class:`DecisionModel`, and the
    classifier looks up millions of value tuples.
    """

    iri: URIRef
    notation: str
    label: str


@dataclass(frozen=True)
class Variable:
    """A decision variable: the functional property, its column name, question and values."""

    iri: URIRef
    column: str
    label: str
    question: str
    order: int
    values: tuple[Value, ...]

    def value(self, notation: str) -> Value | None:
        """Return the value with this notation (``yes``/``no``), or ``None``."""
        return next((v for v in self.values if v.notation == notation), None)


@dataclass(frozen=True)
class Model:
    """A model class and the conditions of its definition (variable IRI → required value)."""

    iri: URIRef
    notation: str
    label: str
    conditions: dict[URIRef, Value] = field(hash=False)


@dataclass(frozen=True)
class Outcome:
    """The classification of one combination of values.

    :ivar model: the model the values entail, or ``None`` when none is entailed (yet).
    :ivar candidates: models not ruled out by the known values (the entailed one included).
    :ivar because: labels of the conditions that placed the scenario in ``model``.
    :ivar ruled_out: for each other model, why it does not apply (a failed or unknown condition).
    """

    model: Model | None
    candidates: tuple[Model, ...]
    because: tuple[str, ...]
    ruled_out: dict[str, str] = field(hash=False)


@dataclass
class DecisionModel:
    """The decision variables and model definitions read from the ontology."""

    variables: list[Variable]
    models: list[Model]

    @cached_property
    def table(self) -> dict[tuple[Value | None, ...], Outcome]:
        """Every combination of values (each variable known or ``None``) mapped to its outcome."""
        choices = [(*v.values, None) for v in self.variables]
        return {combo: self._decide(combo) for combo in itertools.product(*choices)}

    def outcome(self, values: tuple[Value | None, ...]) -> Outcome:
        """Return the outcome for one scenario's values, in the order of :attr:`variables`."""
        return self.table[values]

    def _decide(self, combo: tuple[Value | None, ...]) -> Outcome:
        known = {var.iri: val for var, val in zip(self.variables, combo, strict=True)}
        labels = {var.iri: var.label for var in self.variables}
        entailed: list[Model] = []
        candidates: list[Model] = []
        ruled_out: dict[str, str] = {}
        for model in self.models:
            failed = [
                (v, has) for p, v in model.conditions.items() if (has := known[p]) is not None and has != v
            ]
            unknown = [(p, v) for p, v in model.conditions.items() if known[p] is None]
            if failed:
                required, has = failed[0]
                ruled_out[model.notation] = f"requires '{required.label}' but the scenario has '{has.label}'"
                continue
            candidates.append(model)
            if unknown:
                p, v = unknown[0]
                ruled_out[model.notation] = f"not determined: requires '{v.label}' but {labels[p]} is unknown"
            else:
                entailed.append(model)
        if len(entailed) > 1:
            names = ", ".join(m.notation for m in entailed)
            raise OntologyLoadError(
                f"model definitions overlap: one scenario satisfies {names}", term=entailed[0].notation
            )
        chosen = entailed[0] if entailed else None
        because = tuple(v.label for v in chosen.conditions.values()) if chosen else ()
        return Outcome(model=chosen, candidates=tuple(candidates), because=because, ruled_out=ruled_out)


def notation_order(notation: str) -> int:
    """Return a sort key that puts ``M2`` before ``M10`` and anything else (no model: ``""``) last.

    >>> sorted(["M10", "", "M2"], key=notation_order)
    ['M2', 'M10', '']
    """
    digits = notation[1:]
    return int(digits) if digits.isdigit() else 10**6


def load_decision_model(graph: Graph) -> DecisionModel:
    """Read the decision variables and model definitions from the ontology graph.

    :raises OntologyLoadError: a model definition has a shape this procedure cannot compile
        (anything other than ``ckg:Scenario`` and ``owl:hasValue`` restrictions on decision variables).
    """
    variables = _read_variables(graph)
    by_iri = {v.iri: v for v in variables}
    models = []
    for iri in graph.subjects(RDFS.subClassOf, CKG.CareCoordinationModel):
        if not isinstance(iri, URIRef):
            continue
        models.append(
            Model(
                iri=iri,
                notation=str(graph.value(iri, SKOS.notation)),
                label=str(graph.value(iri, SKOS.prefLabel)),
                conditions=_read_conditions(graph, iri, by_iri),
            )
        )
    models.sort(key=lambda m: notation_order(m.notation))
    if not models:
        raise OntologyLoadError("the ontology defines no models (subclasses of ckg:CareCoordinationModel)")
    return DecisionModel(variables=variables, models=models)


def _read_variables(graph: Graph) -> list[Variable]:
    variables = []
    for prop in graph.subjects(RDFS.domain, CKG.Scenario):
        column = graph.value(prop, CKG.columnName)
        value_class = graph.value(prop, RDFS.range)
        if column is None or value_class is None or not isinstance(prop, URIRef):
            continue
        values = tuple(
            Value(
                iri=i, notation=str(graph.value(i, SKOS.notation)), label=str(graph.value(i, SKOS.prefLabel))
            )
            for i in _enumeration(graph, value_class)
        )
        variables.append(
            Variable(
                iri=prop,
                column=str(column),
                label=str(graph.value(prop, SKOS.prefLabel)),
                question=str(graph.value(prop, CKG.question) or ""),
                order=int(str(graph.value(prop, CKG.order) or 0)),
                values=values,
            )
        )
    if not variables:
        raise OntologyLoadError("the ontology defines no decision variables (properties with a column name)")
    return sorted(variables, key=lambda v: v.order)


def _enumeration(graph: Graph, value_class: Node) -> list[URIRef]:
    for eq in graph.objects(value_class, OWL.equivalentClass):
        members = graph.value(eq, OWL.oneOf)
        if members is not None:
            return [m for m in Collection(graph, members) if isinstance(m, URIRef)]
    raise OntologyLoadError("value class is not an owl:oneOf enumeration", term=str(value_class))


def _read_conditions(graph: Graph, model: URIRef, variables: dict[URIRef, Variable]) -> dict[URIRef, Value]:
    definitions = list(graph.objects(model, OWL.equivalentClass))
    if len(definitions) != 1:
        raise OntologyLoadError(
            f"expected one owl:equivalentClass, found {len(definitions)}", term=str(model)
        )
    parts = graph.value(definitions[0], OWL.intersectionOf)
    if parts is None:
        raise OntologyLoadError("definition is not an owl:intersectionOf", term=str(model))
    conditions: dict[URIRef, Value] = {}
    for part in Collection(graph, parts):
        if part == CKG.Scenario:
            continue
        prop = graph.value(part, OWL.onProperty)
        required = graph.value(part, OWL.hasValue)
        if (
            (part, RDF.type, OWL.Restriction) not in graph
            or not isinstance(prop, URIRef)
            or prop not in variables
            or required is None
        ):
            raise OntologyLoadError(
                "only ckg:Scenario and owl:hasValue restrictions on decision variables are supported",
                term=str(model),
            )
        value = next((v for v in variables[prop].values if v.iri == required), None)
        if value is None:
            raise OntologyLoadError(f"{required} is not a value of {prop}", term=str(model))
        conditions[prop] = value
    return conditions
