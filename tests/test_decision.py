"""The decision procedure compiled from the ontology's model definitions, and what it refuses to compile."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest
from rdflib import BNode, Graph, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDFS

from concord_kg.decision import DecisionModel, load_decision_model, notation_order
from concord_kg.errors import OntologyLoadError
from concord_kg.ontology import CKG
from tests.conftest import MODEL_ROWS

#: The decision variables' columns, in the order of the domain table models.tsv.
COLUMNS = [c for c in MODEL_ROWS[0] if c not in ("notation", "summary_of_reconstruction")]


def test_variables_are_read_in_the_ontologys_order(decision: DecisionModel) -> None:
    assert [v.column for v in decision.variables] == COLUMNS
    assert [v.order for v in decision.variables] == [1, 2, 3, 4, 5]
    for var in decision.variables:
        assert [v.notation for v in var.values] == ["yes", "no"]
        assert var.question.endswith("?") and var.label
        assert all(v.label and str(v.iri).startswith(str(CKG)) for v in var.values)
    access = decision.variables[0]
    assert access.iri == CKG.hasSpecialistCentreAccess
    assert access.value("yes").iri == CKG.SpecialistCentreAccessYes
    assert access.value("no").label == "No access to a specialist centre"
    assert access.value("maybe") is None


def test_models_and_their_conditions_follow_the_domain_table(decision: DecisionModel) -> None:
    assert [m.notation for m in decision.models] == [f"M{n}" for n in range(1, 11)]
    by_column = {v.column: v for v in decision.variables}
    for model, row in zip(decision.models, MODEL_ROWS, strict=True):
        assert model.notation == row["notation"]
        assert model.iri == CKG[f"Model{model.notation[1:]}"]
        assert model.label.startswith(f"Model {model.notation[1:]}: ")
        expected = {by_column[c].iri: by_column[c].value(row[c]) for c in COLUMNS if row[c] != "*"}
        assert model.conditions == expected


def test_the_table_covers_every_combination_with_unknowns(decision: DecisionModel) -> None:
    assert len(decision.table) == 3**5
    complete = list(itertools.product(*(v.values for v in decision.variables)))
    placed = [decision.outcome(combo).model for combo in complete]
    # Every complete scenario is placed in exactly one model, and every model is reachable.
    assert None not in placed
    assert {m.notation for m in placed if m} == {f"M{n}" for n in range(1, 11)}


def _combo(decision: DecisionModel, **answers: str) -> tuple:
    return tuple(
        var.value(answers[var.column]) if var.column in answers else None for var in decision.variables
    )


def test_an_outcome_explains_the_placement_and_each_ruled_out_model(decision: DecisionModel) -> None:
    outcome = decision.outcome(
        _combo(
            decision,
            access_to_specialist_centre="yes",
            lives_near_specialist_centre="no",
            can_travel="yes",
            can_coordinate_own_care="no",
            clear_who_to_see="yes",
        )
    )
    assert outcome.model is not None and outcome.model.notation == "M4"
    assert outcome.candidates == (outcome.model,)
    assert outcome.because == tuple(v.label for v in outcome.model.conditions.values())
    assert "Lives far from a specialist centre" in outcome.because
    assert set(outcome.ruled_out) == {f"M{n}" for n in range(1, 11)} - {"M4"}
    assert outcome.ruled_out["M1"] == (
        "requires 'Lives near a specialist centre' but the scenario has 'Lives far from a specialist centre'"
    )


def test_unknown_values_leave_candidates_and_say_what_is_missing(decision: DecisionModel) -> None:
    nothing = decision.outcome(_combo(decision))
    assert nothing.model is None and nothing.because == ()
    assert [m.notation for m in nothing.candidates] == [f"M{n}" for n in range(1, 11)]
    assert all(reason.startswith("not determined: requires '") for reason in nothing.ruled_out.values())
    # Known values that already entail a model: the unknown ones do not matter.
    enough = decision.outcome(
        _combo(
            decision, access_to_specialist_centre="no", can_coordinate_own_care="no", clear_who_to_see="no"
        )
    )
    assert enough.model is not None and enough.model.notation == "M10"


def test_notation_order_sorts_models_numerically() -> None:
    assert sorted(["M10", "M2", "", "M1", "X"], key=notation_order)[:3] == ["M1", "M2", "M10"]
    assert notation_order("M7") == 7 and notation_order("") > notation_order("M10")


# --- what the compiler refuses: each edit of a copy of the real ontology breaks one assumption ---------


def _restriction(graph: Graph, model: URIRef, prop: URIRef) -> BNode:
    definition = graph.value(model, OWL.equivalentClass)
    parts = Collection(graph, graph.value(definition, OWL.intersectionOf))
    return next(p for p in parts if graph.value(p, OWL.onProperty) == prop)


def _drop_models(graph: Graph) -> None:
    graph.remove((None, RDFS.subClassOf, CKG.CareCoordinationModel))


def _drop_columns(graph: Graph) -> None:
    graph.remove((None, CKG.columnName, None))


def _second_definition(graph: Graph) -> None:
    graph.add((CKG.Model1, OWL.equivalentClass, graph.value(CKG.Model2, OWL.equivalentClass)))


def _union_definition(graph: Graph) -> None:
    definition = graph.value(CKG.Model1, OWL.equivalentClass)
    parts = graph.value(definition, OWL.intersectionOf)
    graph.remove((definition, OWL.intersectionOf, parts))
    graph.add((definition, OWL.unionOf, parts))


def _some_values_from(graph: Graph) -> None:
    part = _restriction(graph, CKG.Model1, CKG.canCoordinateOwnCare)
    required = graph.value(part, OWL.hasValue)
    graph.remove((part, OWL.hasValue, None))
    graph.add((part, OWL.someValuesFrom, required))


def _value_of_another_variable(graph: Graph) -> None:
    part = _restriction(graph, CKG.Model1, CKG.canCoordinateOwnCare)
    graph.set((part, OWL.hasValue, CKG.TravelAbilityYes))


def _not_an_enumeration(graph: Graph) -> None:
    graph.remove((CKG.TravelAbilityValue, OWL.equivalentClass, None))


#: Edit of the ontology → the start of the error's message.
BROKEN: dict[str, tuple[Callable[[Graph], None], str]] = {
    "no-models": (_drop_models, "the ontology defines no models"),
    "no-variables": (_drop_columns, "the ontology defines no decision variables"),
    "two-definitions": (_second_definition, "expected one owl:equivalentClass, found 2"),
    "union-definition": (_union_definition, "definition is not an owl:intersectionOf"),
    "some-values-from": (_some_values_from, "only ckg:Scenario and owl:hasValue restrictions"),
    "value-of-another-variable": (_value_of_another_variable, f"{CKG.TravelAbilityYes} is not a value of"),
    "not-an-enumeration": (_not_an_enumeration, "value class is not an owl:oneOf enumeration"),
}


@pytest.fixture
def copy(ontology_copy: Graph) -> Graph:
    return ontology_copy


def test_the_copy_compiles_as_the_ontology_does(copy: Graph, decision: DecisionModel) -> None:
    """The edits below are what breaks the compiler, not the copying (values compare by identity)."""

    def definitions(model: DecisionModel) -> list[dict[URIRef, URIRef]]:
        return [{p: v.iri for p, v in m.conditions.items()} for m in model.models]

    assert definitions(load_decision_model(copy)) == definitions(decision)


@pytest.mark.parametrize("case", list(BROKEN), ids=list(BROKEN))
def test_a_definition_it_cannot_compile_is_an_ontology_error(copy: Graph, case: str) -> None:
    edit, message = BROKEN[case]
    edit(copy)
    with pytest.raises(OntologyLoadError) as caught:
        load_decision_model(copy)
    assert caught.value.message.startswith(message), caught.value.message


def test_overlapping_definitions_are_refused_when_the_table_is_built(copy: Graph) -> None:
    # Model 2 then asks what Model 1 asks: a scenario would satisfy both.
    part = _restriction(copy, CKG.Model2, CKG.canCoordinateOwnCare)
    copy.set((part, OWL.hasValue, CKG.SelfCoordinationAbilityYes))
    decision = load_decision_model(copy)
    with pytest.raises(OntologyLoadError, match="model definitions overlap: one scenario satisfies M1, M2"):
        decision.outcome(tuple(var.values[0] for var in decision.variables))
