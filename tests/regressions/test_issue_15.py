"""Issue 15: corrections from a domain review of the ontology against the papers.

Each test brings back one of the reviewed mistakes (in a copy of the graph) and checks that the ontology,
or the SHACL shape that guards it, no longer allows it.
"""

from __future__ import annotations

import pyshacl
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS

from concord_kg.ontology import CKG, load_ontology
from concord_kg.validate import load_shapes
from tests.conftest import MODEL_ROWS

ODD_MODELS = [CKG[f"Model{n}"] for n in (1, 3, 5, 7, 9)]
EVEN_MODELS = [CKG[f"Model{n}"] for n in (2, 4, 6, 8, 10)]


@pytest.fixture(scope="module")
def graph() -> Graph:
    return load_ontology()


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return load_shapes("ontology")


@pytest.fixture
def copy(ontology_copy: Graph) -> Graph:
    return ontology_copy


def _violations(data: Graph, shapes: Graph, shape: str) -> str:
    """Run one shape of shapes/ontology.ttl and return its report ('' when the data conforms)."""
    conforms, _, text = pyshacl.validate(
        data, shacl_graph=shapes, inference="none", advanced=True, use_shapes=[CKG[shape]]
    )
    return "" if conforms else text


def _status(graph: Graph, source: URIRef, prop: URIRef, target: URIRef) -> list[str]:
    return [
        str(graph.value(axiom, CKG.statementStatus))
        for axiom in graph.subjects(OWL.annotatedSource, source)
        if (axiom, OWL.annotatedProperty, prop) in graph and (axiom, OWL.annotatedTarget, target) in graph
    ]


def _notes(graph: Graph, term: URIRef) -> str:
    return "\n".join(str(n) for n in graph.objects(term, SKOS.editorialNote))


# ------------------------------------------------ 1. D5.3 is grouped under D5, not a kind of it


def test_access_to_support_is_a_grouping_not_an_is_a(graph: Graph) -> None:
    assert (CKG.AccessToSupport, RDFS.subClassOf, CKG.AccessToRecords) not in graph
    assert (CKG.AccessToSupport, RDFS.subClassOf, CKG.TaxonomySubDomain) in graph
    assert (CKG.AccessToSupport, SKOS.broader, CKG.AccessToRecords) in graph
    assert "not a kind of access to records" in _notes(graph, CKG.AccessToSupport)
    assert graph.value(CKG.AccessToRecords, SKOS.prefLabel) == Literal("Access to records", lang="en")


def test_grouping_shape_rejects_the_is_a_coming_back(copy: Graph, shapes: Graph) -> None:
    copy.add((CKG.AccessToSupport, RDFS.subClassOf, CKG.AccessToRecords))
    assert "never also an rdfs:subClassOf" in _violations(copy, shapes, "TaxonomyGroupingShape")


def test_parent_shape_rejects_the_general_class_without_a_grouping(copy: Graph, shapes: Graph) -> None:
    copy.remove((CKG.AccessToSupport, SKOS.broader, None))
    assert "not a taxonomy term one level up" in _violations(copy, shapes, "TaxonomyParentShape")


def test_grouping_shape_rejects_a_broader_that_is_not_a_domain(copy: Graph, shapes: Graph) -> None:
    copy.set((CKG.AccessToSupport, SKOS.broader, CKG.PatientAccessToRecords))
    report = _violations(copy, shapes, "TaxonomyGroupingShape")
    assert "AccessToSupport" in report and "must be a skos:broader to a domain" in report


# ------------------------------------------------ 2. point of contact: only for stable conditions


@pytest.mark.parametrize("model", ODD_MODELS, ids=lambda m: m.removeprefix(str(CKG)))
def test_point_of_contact_note_cites_the_stable_conditions_statement(graph: Graph, model: URIRef) -> None:
    notes = _notes(graph, model)
    assert "need only a point of contact" not in notes
    assert "'may just require a point of contact within a specialist centre'" in notes
    assert _status(graph, model, CKG.coordinationRole, CKG.PointOfContactForPatients) == ["inferred"]


# ------------------------------------------------ 3. the type of coordinator is left open


@pytest.mark.parametrize("row", MODEL_ROWS, ids=[r["notation"] for r in MODEL_ROWS])
def test_models_for_patients_who_need_a_coordinator_leave_its_type_open(graph: Graph, row: dict) -> None:
    model = CKG["Model" + row["notation"].removeprefix("M")]
    roles = set(graph.objects(model, CKG.coordinationRole))
    if row["can_coordinate_own_care"] == "no":
        assert roles == {CKG.Coordinator}
        assert "clinical care coordinator" in _notes(graph, model)
    else:
        assert roles == {CKG.PointOfContactForPatients}


# ------------------------------------------------ 4. far away or unable to travel: one group


@pytest.mark.parametrize("number", [3, 4, 5, 6])
def test_split_of_the_far_or_unable_to_travel_group_is_inferred(graph: Graph, number: int) -> None:
    model = CKG[f"Model{number}"]
    assert "'locally, online or through outreach models'" in _notes(graph, model)
    places = list(graph.objects(model, CKG.placeOfCare))
    assert places == [CKG.CentralCareLocalDelivery if number < 5 else CKG.OutreachModel]
    assert _status(graph, model, CKG.placeOfCare, places[0]) == ["inferred"]


# ------------------------------------------------ 5. coordination organised locally


@pytest.mark.parametrize("number", [7, 8])
def test_local_coordination_models_link_local_care_coordination(graph: Graph, number: int) -> None:
    model = CKG[f"Model{number}"]
    assert "organised locally" in str(graph.value(model, SKOS.definition))
    assert set(graph.objects(model, CKG.placeOfCare)) == {CKG.LocalCareCoordination}


# ------------------------------------------------ 6. signposting belongs to the condition


@pytest.mark.parametrize(
    "model", [CKG[f"Model{n}"] for n in range(1, 11)], ids=lambda m: m.removeprefix(str(CKG))
)
def test_no_model_ties_signposting_to_lacking_a_specialist_centre(graph: Graph, model: URIRef) -> None:
    assert (model, CKG.supportFrom, None) not in graph
    assert "signpost" not in str(graph.value(model, SKOS.definition)).lower()


def test_signposting_is_recorded_for_undiagnosed_or_ultra_rare_conditions(graph: Graph) -> None:
    amendment = CKG.AmendmentSignpostingToSupportGroups
    assert (amendment, RDF.type, CKG.ModelAmendment) in graph
    assert "undiagnosed or ultra-rare" in str(graph.value(amendment, SKOS.definition))
    assert (amendment, CKG.concerns, CKG.CharityOrPatientOrganisationRole) in graph


# ------------------------------------------------ 7. specialists providing care locally = outreach


def test_local_specialist_care_preference_points_to_outreach_clinics(graph: Graph) -> None:
    preference = CKG.PreferenceLocalSpecialistCareInSomeSituations
    assert set(graph.objects(preference, CKG.concerns)) == {CKG.OutreachClinic}


# ------------------------------------------------ 8. barrier and facilitator statuses


def test_every_theme_and_domain_link_has_its_own_status(graph: Graph) -> None:
    items = {*graph.subjects(RDF.type, CKG.Barrier), *graph.subjects(RDF.type, CKG.Facilitator)}
    assert len(items) == 33  # 15 barriers, 18 facilitators (finances and time split)
    for item in items:
        assert str(graph.value(item, CKG.statementStatus)) == "paraphrase", item
        for prop in (CKG.hasTheme, CKG.concerns):
            for target in graph.objects(item, prop):
                assert len(_status(graph, item, prop, target)) == 1, (item, prop, target)
        for target in graph.objects(item, CKG.concerns):
            assert _status(graph, item, CKG.concerns, target) == ["inferred"], (item, target)


@pytest.mark.parametrize(
    ("item", "theme", "status"),
    [
        ("BarrierOrganisationalPolitics", "AttitudesTheme", "paraphrase"),
        ("BarrierWiderFundingIssues", "ResourcesTheme", "paraphrase"),
        ("FacilitatorFundingAndCapacity", "ResourcesTheme", "paraphrase"),
        ("FacilitatorPatientAbilityToCoordinateCare", "AbilityTheme", "paraphrase"),
        ("BarrierPatientLackOfAbilityToSelfManage", "AbilityTheme", "paraphrase"),
        ("FacilitatorPatientFinances", "ResourcesTheme", "paraphrase"),
        ("FacilitatorPatientTime", "OpportunityTheme", "inferred"),
        ("FacilitatorRightMixOfTeamMembers", "ResourcesTheme", "inferred"),
        ("FacilitatorNamedProviders", "ResourcesTheme", "inferred"),
        ("FacilitatorCoordinatorRoles", "ResourcesTheme", "inferred"),
    ],
)
def test_theme_and_its_status(graph: Graph, item: str, theme: str, status: str) -> None:
    assert list(graph.objects(CKG[item], CKG.hasTheme)) == [CKG[theme]]
    assert _status(graph, CKG[item], CKG.hasTheme, CKG[theme]) == [status]


def test_the_finances_and_time_facilitator_is_split(graph: Graph) -> None:
    assert (CKG.FacilitatorPatientFinancesAndTime, None, None) not in graph


def test_status_shape_rejects_a_link_without_status(copy: Graph, shapes: Graph) -> None:
    axiom = next(
        a
        for a in copy.subjects(OWL.annotatedSource, CKG.BarrierStigmaInSociety)
        if (a, OWL.annotatedProperty, CKG.concerns) in copy
    )
    copy.remove((axiom, None, None))
    report = _violations(copy, shapes, "StatementStatusShape")
    assert "BarrierStigmaInSociety" in report and "found 0" in report


def test_status_shape_covers_model_characteristics(copy: Graph, shapes: Graph) -> None:
    copy.add((CKG.Model1, CKG.placeOfCare, CKG.OutreachClinic))
    assert "Model1" in _violations(copy, shapes, "StatementStatusShape")


def test_barrier_shape_rejects_two_themes(copy: Graph, shapes: Graph) -> None:
    copy.add((CKG.FacilitatorNamedProviders, CKG.hasTheme, CKG.OpportunityTheme))
    assert "exactly one ckg:hasTheme" in _violations(copy, shapes, "BarrierOrFacilitatorShape")


def test_domain_link_is_optional(copy: Graph, shapes: Graph) -> None:
    copy.remove((CKG.BarrierStigmaInSociety, CKG.concerns, None))
    assert _violations(copy, shapes, "BarrierOrFacilitatorShape") == ""


def test_status_values_and_dangling_statements_are_rejected(copy: Graph, shapes: Graph) -> None:
    copy.set((CKG.BarrierStigmaInSociety, CKG.statementStatus, Literal("guess")))
    assert "one of label, abridged, paraphrase, inferred" in _violations(
        copy, shapes, "StatementStatusValueShape"
    )
    copy.remove((CKG.BarrierStigmaInSociety, CKG.hasTheme, None))
    assert "is not asserted" in _violations(copy, shapes, "ReifiedStatementShape")


# ------------------------------------------------ 9. synonyms


@pytest.mark.parametrize(
    ("term", "wording", "expected"),
    [
        ("CareCoordinator", "specialist nurse", None),
        ("CareCoordinator", "clinical nurse specialist", None),
        ("CareCoordinator", "key worker", SKOS.hiddenLabel),
        ("CareCoordinator", "care navigator", SKOS.hiddenLabel),
        ("CareCoordinator", "patient navigator", SKOS.hiddenLabel),
        ("DigitalMode", "telehealth", None),
        ("DigitalMode", "telemedicine", None),
        ("AppointmentsAndCommunication", "telehealth", SKOS.hiddenLabel),
        ("AppointmentsAndCommunication", "telemedicine", SKOS.hiddenLabel),
        ("CentralCareAndCoordination", "specialist centre", None),
        ("ClinicalCoordinator", "clinical care coordinator", SKOS.altLabel),
    ],
)
def test_synonym(graph: Graph, term: str, wording: str, expected: URIRef | None) -> None:
    found = {
        p
        for p in (SKOS.prefLabel, SKOS.altLabel, SKOS.hiddenLabel)
        if (CKG[term], p, Literal(wording, lang="en")) in graph
    }
    assert found == ({expected} if expected else set())


def test_synonyms_not_in_the_papers_are_explained(graph: Graph) -> None:
    assert "do not use them" in _notes(graph, CKG.CareCoordinator)
    assert "additions" in _notes(graph, CKG.AppointmentsAndCommunication)


# ------------------------------------------------ missing content the papers support

NEW_FINDINGS = {
    "ChallengeCharitiesFillingGaps": CKG.CharityOrPatientOrganisationRole,
    "ChallengeCharitiesCapacityAsMainCoordinator": CKG.CharityOrPatientOrganisationRole,
    "ChallengeSelfCoordinationBurden": CKG.PatientOrCarerRole,
    "ChallengeGPsNotTakingOwnership": CKG.GeneralPractitionerRole,
    "ChallengeNoNamedGP": CKG.GeneralPractitionerRole,
    "PreferenceSpecialistInvolvement": CKG.WaysOfOrganisingCare,
    "PreferenceRoutineCareLocally": CKG.LocalCareDelivery,
    "PreferenceAllCareLocalOrRegional": CKG.RegionallyCentralisedCare,
    "Covid19ReducedAccessToSpecialists": CKG.ResponsibilityForCoordination,
    "Covid19FasterShiftToDigitalAndTelephone": CKG.TelephoneMode,
}


@pytest.mark.parametrize("name", sorted(NEW_FINDINGS))
def test_new_finding_is_sourced_and_not_an_inference(graph: Graph, name: str) -> None:
    item = CKG[name]
    assert (item, CKG.concerns, NEW_FINDINGS[name]) in graph
    assert any(str(s).startswith("https://doi.org/") for s in graph.objects(item, DCTERMS.source))
    assert graph.value(item, CKG.sourceSection) is not None
    assert str(graph.value(item, CKG.statementStatus)) in {"label", "abridged", "paraphrase"}


def test_covid_findings_are_workshop_findings(graph: Graph) -> None:
    findings = set(graph.subjects(RDF.type, CKG.Covid19Finding))
    assert len(findings) == 4
    assert all((f, CKG.reportedBy, CKG.WorkshopParticipants) in graph for f in findings)


@pytest.mark.parametrize(
    ("category", "example"),
    [
        ("ComponentsThatMayNeedToBeCoordinated", "Assessment"),
        ("ComponentsThatInformHowToCoordinateCare", "Someone taking responsibility"),
        ("ComponentsWithMultipleRoles", "Planning"),
        ("ComponentsThatContextualiseCoordination", "Evidence-based practice"),
    ],
)
def test_component_category_has_the_taxonomy_papers_example(
    graph: Graph, category: str, example: str
) -> None:
    assert str(graph.value(CKG[category], SKOS.example)).startswith(example)
    assert URIRef("https://doi.org/10.1186/s13023-022-02321-w") in set(
        graph.objects(CKG[category], DCTERMS.source)
    )


@pytest.mark.parametrize("name", ["CarePlan", "SpecialistCentre", "Transition", "ModelCharacteristic"])
def test_concept_the_models_rely_on(graph: Graph, name: str) -> None:
    assert (CKG[name], RDF.type, OWL.Class) in graph
    assert (CKG[name], DCTERMS.source, URIRef("https://doi.org/10.1186/s13023-022-02190-3")) in graph


@pytest.mark.parametrize(
    ("characteristic", "recovered"),
    [
        ("CharacteristicSpecialistCentreOrOutreach", True),
        ("CharacteristicCarePlan", False),
        ("CharacteristicCoordinatorOrPointOfContact", True),
        ("CharacteristicMeetingsBetweenProfessionals", False),
        ("CharacteristicOverseeingProfessional", False),
    ],
)
def test_characteristic_values_not_recovered_say_so(
    graph: Graph, characteristic: str, recovered: bool
) -> None:
    assert (CKG[characteristic], RDF.type, CKG.ModelCharacteristic) in graph
    assert ("Not recovered" in _notes(graph, CKG[characteristic])) is not recovered


def test_transition_links_what_the_papers_say_about_it(graph: Graph) -> None:
    assert (CKG.PreferenceTransitionMethods, CKG.concerns, CKG.Transition) in graph
    assert (CKG.DecisionTransitionNeeds, CKG.concerns, CKG.Transition) in graph
    assert (CKG.AmendmentTransitionInAllModels, CKG.concerns, CKG.Transition) in graph
    assert (CKG.Transition, SKOS.related, CKG.CareCoordinator) in graph  # transition coordinators
