"""Saved queries: every queries/*.rq has a header, parses, and answers its question on the built ontology."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from pyoxigraph import Literal, NamedNode, Variable
from rdflib import RDF, Graph, URIRef
from rdflib import Literal as RDFLiteral
from rdflib.namespace import DCTERMS, SKOS
from rdflib.plugins.sparql import prepareQuery

from concord_kg.cli import main
from concord_kg.errors import QueryError, UnknownTermError
from concord_kg.ontology import CKG, load_ontology
from concord_kg.resources import queries_dir
from concord_kg.saved_queries import (
    UnknownQueryError,
    bind_params,
    format_term,
    list_saved_queries,
    load_saved_query,
    parse_term,
    run_saved_query,
)
from concord_kg.store import MemoryStore, Store, data_graph, graph_batch, ontology_batches

QUERY_FILES = sorted(queries_dir().glob("*.rq"))
ORDO = "http://www.orpha.net/ORDO/Orphanet_"
XSD = "http://www.w3.org/2001/XMLSchema#"

Rows = list[dict[str, str | None]]


# ---------------------------------------------------------------- fixtures


def _fixture_data() -> Graph:
    """Four classified scenarios (M2, M2, M7, none) and three registry patients linked to the first three."""
    graph = Graph()
    scenarios = {"s1": CKG.Model2, "s2": CKG.Model2, "s3": CKG.Model7, "s4": None}
    for name, model in scenarios.items():
        node = URIRef(f"https://w3id.org/concord-kg/data/scenario/{name}")
        graph.add((node, RDF.type, CKG.Scenario))
        graph.add((node, DCTERMS.identifier, RDFLiteral(name)))
        if model is not None:
            graph.add((node, RDF.type, model))
    patients = {"p1": ("558", "s1"), "p2": ("558", "s2"), "p3": ("79", "s3")}
    for name, (orphacode, scenario) in patients.items():
        node = URIRef(f"https://w3id.org/concord-kg/data/patient/{name}")
        graph.add((node, RDF.type, CKG.RegistryPatient))
        graph.add((node, DCTERMS.identifier, RDFLiteral(name)))
        graph.add((node, CKG.hasDisease, URIRef(ORDO + orphacode)))
        graph.add((node, CKG.hasScenario, URIRef(f"https://w3id.org/concord-kg/data/scenario/{scenario}")))
    return graph


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return load_ontology()


@pytest.fixture(scope="module")
def store() -> MemoryStore:
    """The ontology graphs (as ``load`` stores them) and the fixture data, each in its named graph."""
    store = MemoryStore()
    store.load_many([*ontology_batches(), graph_batch(_fixture_data(), data_graph("fixture"))])
    return store


def _rows(store: Store, name: str, params: dict[str, str] | None = None) -> Rows:
    solutions = run_saved_query(store, name, params)
    names = [v.value for v in solutions.variables]
    return [{n: (None if row[n] is None else row[n].value) for n in names} for row in solutions]


def _count(value: str | None) -> int:
    assert value is not None
    return int(value)


def _header(path: Path) -> str:
    return "\n".join(line for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("#"))


def _body(path: Path) -> str:
    return "\n".join(
        line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("#")
    )


# ---------------------------------------------------------------- per-file checks


@pytest.mark.parametrize("path", QUERY_FILES, ids=[p.name for p in QUERY_FILES])
def test_header_has_title_and_description(path: Path) -> None:
    header = _header(path)
    assert re.search(r"^# title: \S", header, re.MULTILINE)
    assert re.search(r"^# description: \S", header, re.MULTILINE)
    saved = load_saved_query(path.stem)
    assert saved.title and saved.description


@pytest.mark.parametrize("path", QUERY_FILES, ids=[p.name for p in QUERY_FILES])
def test_params_appear_in_query_and_projection(path: Path) -> None:
    saved = load_saved_query(path.stem)
    declared = re.findall(r"^# param: \?(\w+)", _header(path), re.MULTILINE)
    assert [p.name for p in saved.params] == declared
    body = _body(path)
    projection = body[body.index("SELECT") : body.index("WHERE")]
    for param in saved.params:
        assert re.search(rf"\?{param.name}\b", body), f"?{param.name} not used"
        # pyoxigraph substitutes only projected variables
        assert re.search(rf"\?{param.name}\b", projection), f"?{param.name} not in SELECT"
        assert param.default is not None, f"?{param.name} has no default"


@pytest.mark.parametrize("path", QUERY_FILES, ids=[p.name for p in QUERY_FILES])
def test_query_parses(path: Path) -> None:
    prepareQuery(path.read_text(encoding="utf-8"))  # rdflib's parser, as the server's guard uses
    MemoryStore().query(path.read_text(encoding="utf-8"))  # and pyoxigraph's, on an empty store


def _options_of_domain(rows: Rows, ontology: Graph) -> None:
    labels = {r["label"] for r in rows}
    assert "Coordinator" in labels
    assert sum(r["level"] == "Sub-domain" for r in rows) == 4
    assert all(r["termNotation"].startswith("D3.") for r in rows)  # type: ignore[union-attr]
    assert {r["notation"] for r in rows} == {"D3"}


def _taxonomy_hierarchy(rows: Rows, ontology: Graph) -> None:
    assert len(rows) == len(set(ontology.subjects(CKG.taxonomyLevel, None)))
    assert sorted(r["notation"] for r in rows if r["broader"] is None) == [f"D{i}" for i in range(1, 7)]
    by_notation = {r["notation"]: r for r in rows}
    assert by_notation["D3.2.1"]["broaderNotation"] == "D3.2"
    assert by_notation["D3.2.1"]["level"] == "Option"


def _term_by_notation(rows: Rows, ontology: Graph) -> None:
    assert len(rows) == 1
    row = rows[0]
    assert row["term"] == str(CKG.Coordinator)
    assert row["label"] == "Coordinator"
    assert row["kind"] == "Option"
    assert row["parent"] == str(CKG.FormalRolesAndResponsibilities)
    assert "doi.org" in (row["sources"] or "")


def _search_terms(rows: Rows, ontology: Graph) -> None:
    terms = {r["term"] for r in rows}
    assert {str(CKG.Coordinator), str(CKG.CareCoordinator), str(CKG.Model2)} <= terms
    assert all("coordinator" in (r["matchedLabels"] or "").lower() for r in rows)


def _factors_by_domain_and_level(rows: Rows, ontology: Graph) -> None:
    levels = {
        "Patient level",
        "Healthcare professional level",
        "Healthcare environment level",
        "Societal level",
    }
    assert {r["level"] for r in rows} <= levels
    assert {r["domainNotation"] for r in rows} <= {f"D{i}" for i in range(1, 7)}
    d3_patient = next(r for r in rows if r["domainNotation"] == "D3" and r["level"] == "Patient level")
    assert "Patient's diagnosis" in (d3_patient["factorLabels"] or "")


def _barriers_facilitators_by_theme_and_level(rows: Rows, ontology: Graph) -> None:
    items = set(ontology.subjects(RDF.type, CKG.Barrier)) | set(ontology.subjects(RDF.type, CKG.Facilitator))
    # an item with two themes counts under each
    assert sum(_count(r["items"]) for r in rows) == sum(
        len(set(ontology.objects(i, CKG.hasTheme))) for i in items
    )
    assert {r["theme"] for r in rows} <= {"Ability", "Attitudes", "Opportunity", "Resources", "Environment"}
    assert {r["kind"] for r in rows} == {"Barrier", "Facilitator"}


def _barriers_facilitators_for_domain(rows: Rows, ontology: Graph) -> None:
    items = {r["item"] for r in rows}
    assert {
        str(CKG.BarrierLimitedTechnologyAndLinkedIT),
        str(CKG.BarrierOrganisationalTimeRestraints),
    } <= items
    assert all(r["termNotation"] == "D6" or r["termNotation"].startswith("D6.") for r in rows)  # type: ignore[union-attr]


def _domain_options_with_barriers_at_level(rows: Rows, ontology: Graph) -> None:
    barriers = {r["barrier"] for r in rows}
    assert {str(CKG.BarrierHealthcareFunding), str(CKG.BarrierOrganisationalTimeRestraints)} <= barriers
    assert all(r["termNotation"] == "D3" or r["termNotation"].startswith("D3.") for r in rows)  # type: ignore[union-attr]
    for barrier in barriers:
        assert (URIRef(barrier), CKG.atLevel, CKG.HealthcareEnvironmentLevel) in ontology  # type: ignore[arg-type]


def _evidence_by_stakeholder_group(rows: Rows, ontology: Graph) -> None:
    evidence = {
        s for kind in (CKG.Preference, CKG.Benefit, CKG.Challenge) for s in ontology.subjects(RDF.type, kind)
    }
    reported_items = {(s, g) for s in evidence for g in ontology.objects(s, CKG.reportedBy)}
    unreported = {s for s in evidence if (s, CKG.reportedBy, None) not in ontology}
    assert sum(_count(r["items"]) for r in rows) == len(reported_items) + len(unreported)
    assert {"Patients and carers", "not stated"} <= {r["group"] for r in rows}


def _evidence_for_option(rows: Rows, ontology: Graph) -> None:
    assert str(CKG.PreferenceCoordinator) in {r["item"] for r in rows}
    assert {r["kind"] for r in rows} == {"Preference", "Benefit", "Challenge"}
    assert all(r["termNotation"].startswith("D3.2.1") for r in rows)  # type: ignore[union-attr]


def _model_definitions(rows: Rows, ontology: Graph) -> None:
    assert [r["notation"] for r in rows][0] == "M1"
    assert len({r["notation"] for r in rows}) == 10
    m3 = {(r["propertyLabel"], r["valueLabel"]) for r in rows if r["notation"] == "M3"}
    assert len(m3) == 4
    assert ("ability or wish to travel", "Can and wants to travel to a specialist centre") in m3
    m7 = {r["property"] for r in rows if r["notation"] == "M7"}
    assert str(CKG.livesNearSpecialistCentre) not in m7


def _models_by_coordination_role(rows: Rows, ontology: Graph) -> None:
    assert [r["notation"] for r in rows] == ["M2", "M4", "M6", "M8", "M10"]
    assert {r["roleLabel"] for r in rows} == {"Coordinator"}


def _model_characteristics(rows: Rows, ontology: Graph) -> None:
    assert [r["notation"] for r in rows] == [f"M{i}" for i in range(1, 11)]
    by_notation = {r["notation"]: r for r in rows}
    assert (by_notation["M2"]["coordinationRole"] or "").startswith("D3.2.1 ")
    assert (by_notation["M7"]["placeOfCare"] or "").startswith("D1.1.2 ")
    assert {r["placeOfCareStatus"] for r in rows if r["placeOfCare"]} == {"inferred"}
    assert by_notation["M1"]["coordinationRoleStatus"] == "inferred"
    assert by_notation["M2"]["coordinationRoleStatus"] == "paraphrase"


def _model_concepts(rows: Rows, ontology: Graph) -> None:
    concepts = {r["concept"] for r in rows}
    assert {str(CKG.SpecialistCentre), str(CKG.CarePlan), str(CKG.Transition)} <= concepts
    assert len(set(ontology.subjects(RDF.type, CKG.ModelCharacteristic))) == 5
    assert {str(s) for s in ontology.subjects(RDF.type, CKG.ModelCharacteristic)} <= concepts
    transition = [r for r in rows if r["concept"] == str(CKG.Transition)]
    kinds = {r["relatedTerm"]: r["relatedKind"] for r in transition}
    assert kinds[str(CKG.PreferenceTransitionMethods)] == "Preference"
    assert (str(CKG.DecisionTransitionNeeds), "concerns it") in {
        (r["relatedTerm"], r["link"]) for r in transition
    }
    care_plan = {r["relatedNotation"] for r in rows if r["concept"] == str(CKG.CarePlan)}
    assert "D6.1.2" in care_plan


def _decisions_per_model(rows: Rows, ontology: Graph) -> None:
    per_model = Counter(r["notation"] for r in rows)
    assert len(per_model) == 10
    assert per_model["M1"] == len(set(ontology.objects(CKG.Model1, CKG.decisionToMake)))
    coordinator = next(r for r in rows if r["decision"] == str(CKG.DecisionCoordinatorSupportLevel))
    assert "D3.2.1 Coordinator" in (coordinator["concerns"] or "")


def _models_for_situation(rows: Rows, ontology: Graph) -> None:
    assert [r["notation"] for r in rows] == ["M4"]


def _scenarios_per_model(rows: Rows, ontology: Graph) -> None:
    counts = {r["notation"]: _count(r["scenarios"]) for r in rows}
    assert counts == {**{f"M{i}": 0 for i in range(1, 11)}, "M2": 2, "M7": 1, "none": 1}
    assert [r["notation"] for r in rows][:2] == ["M1", "M2"]


def _registry_patients_per_model(rows: Rows, ontology: Graph) -> None:
    counts = {(r["notation"], r["orphacode"]): _count(r["patients"]) for r in rows}
    assert counts == {("M2", "558"): 2, ("M7", "79"): 1}
    assert {r["disease"] for r in rows} == {ORDO + "558", ORDO + "79"}


def _editorial_notes(rows: Rows, ontology: Graph) -> None:
    reconstructed = {r["notation"] for r in rows if r["reconstruction"] == "true"}
    assert {f"M{i}" for i in range(1, 11)} <= reconstructed
    assert len(rows) == len(set(ontology.subject_objects(SKOS.editorialNote)))


def _term_counts(rows: Rows, ontology: Graph) -> None:
    counts = {r["kindLabel"]: _count(r["terms"]) for r in rows}
    assert counts["Domain"] == 6
    assert counts["Model of care coordination"] == 10
    assert counts["Factor influencing coordination"] == len(set(ontology.subjects(RDF.type, CKG.Factor)))
    assert counts["Barrier"] == len(set(ontology.subjects(RDF.type, CKG.Barrier)))
    assert counts["Patient scenario"] == 4
    assert counts[next(k for k in counts if k in {"Registry patient", "RegistryPatient"})] == 3
    taxonomy = sum(counts[k] for k in ("Domain", "Sub-domain", "Option", "Example"))
    assert taxonomy == len(set(ontology.subjects(CKG.taxonomyLevel, None)))


def _mappings_to_other_vocabularies(rows: Rows, ontology: Graph) -> None:
    assert {r["notation"] for r in rows} >= {"D2", "D6.2.1", "D6.2.3"}
    assert all(r["targetLabel"] for r in rows)
    phone = "http://terminology.hl7.org/CodeSystem/v3-ParticipationMode#PHONE"
    assert {(r["notation"], r["target"]) for r in rows} >= {("D6.2.3", phone), ("D6.1.3", phone)}


EXPECTATIONS: dict[str, Callable[[Rows, Graph], None]] = {
    "options-of-domain": _options_of_domain,
    "taxonomy-hierarchy": _taxonomy_hierarchy,
    "term-by-notation": _term_by_notation,
    "mappings-to-other-vocabularies": _mappings_to_other_vocabularies,
    "search-terms": _search_terms,
    "factors-by-domain-and-level": _factors_by_domain_and_level,
    "barriers-facilitators-by-theme-and-level": _barriers_facilitators_by_theme_and_level,
    "barriers-facilitators-for-domain": _barriers_facilitators_for_domain,
    "domain-options-with-barriers-at-level": _domain_options_with_barriers_at_level,
    "evidence-by-stakeholder-group": _evidence_by_stakeholder_group,
    "evidence-for-option": _evidence_for_option,
    "model-definitions": _model_definitions,
    "models-by-coordination-role": _models_by_coordination_role,
    "model-characteristics": _model_characteristics,
    "decisions-per-model": _decisions_per_model,
    "model-concepts": _model_concepts,
    "models-for-situation": _models_for_situation,
    "scenarios-per-model": _scenarios_per_model,
    "registry-patients-per-model": _registry_patients_per_model,
    "editorial-notes": _editorial_notes,
    "term-counts": _term_counts,
}


@pytest.mark.parametrize("path", QUERY_FILES, ids=[p.name for p in QUERY_FILES])
def test_query_answers_with_defaults(path: Path, store: Store, ontology: Graph) -> None:
    rows = _rows(store, path.stem)
    assert rows, "no rows with the default parameters"
    check = EXPECTATIONS.get(path.stem)
    assert check is not None, f"add the expected answer of {path.name} to EXPECTATIONS"
    check(rows, ontology)


# ---------------------------------------------------------------- parameters


def test_catalogue_lists_every_file() -> None:
    assert [q.name for q in list_saved_queries()] == [p.stem for p in QUERY_FILES]
    assert len(QUERY_FILES) >= 14


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<https://w3id.org/concord-kg/Coordinator>", NamedNode("https://w3id.org/concord-kg/Coordinator")),
        ("ckg:Coordinator", NamedNode("https://w3id.org/concord-kg/Coordinator")),
        ("https://w3id.org/concord-kg/Coordinator", NamedNode("https://w3id.org/concord-kg/Coordinator")),
        ('"D3"', Literal("D3")),
        ("D3", Literal("D3")),
        ('"care"@en', Literal("care", language="en")),
        ('"3"^^xsd:integer', Literal("3", datatype=NamedNode(XSD + "integer"))),
        ("42", Literal("42", datatype=NamedNode(XSD + "integer"))),
        ("2.5", Literal("2.5", datatype=NamedNode(XSD + "decimal"))),
        ("unknown:thing", Literal("unknown:thing")),
        ('"say \\"hi\\""', Literal('say "hi"')),
        ('"x" } ; DROP ALL #', Literal('"x" } ; DROP ALL #')),
    ],
    ids=[
        "iri",
        "curie",
        "bare-iri",
        "quoted",
        "plain",
        "lang",
        "typed",
        "integer",
        "decimal",
        "unknown-prefix",
        "escapes",
        "injection",
    ],
)
def test_parse_term(text: str, expected: NamedNode | Literal) -> None:
    assert parse_term(text) == expected


def test_format_term_round_trips_a_curie() -> None:
    term = NamedNode("https://w3id.org/concord-kg/HealthcareEnvironmentLevel")
    assert format_term(term) == "ckg:HealthcareEnvironmentLevel"
    assert parse_term(format_term(term)) == term


def test_bad_iri_is_a_query_error() -> None:
    with pytest.raises(QueryError):
        parse_term("<not an iri>")


def test_curie_param_binds_as_iri(store: Store) -> None:
    saved = load_saved_query("evidence-for-option")
    bindings = bind_params(saved, {"option": "ckg:PointOfContactForPatients"})
    assert bindings == {Variable("option"): NamedNode(str(CKG.PointOfContactForPatients))}
    rows = _rows(store, "evidence-for-option", {"option": "ckg:PointOfContactForPatients"})
    assert {r["option"] for r in rows} == {str(CKG.PointOfContactForPatients)}


def test_defaults_fill_missing_params() -> None:
    saved = load_saved_query("domain-options-with-barriers-at-level")
    bindings = bind_params(saved, {"notation": "D6"})
    assert bindings[Variable("notation")] == Literal("D6")
    assert bindings[Variable("level")] == NamedNode(str(CKG.HealthcareEnvironmentLevel))


def test_given_param_changes_the_answer(store: Store) -> None:
    rows = _rows(store, "options-of-domain", {"?notation": "D4"})
    assert {r["termNotation"] for r in rows} == {"D4.1", "D4.2", "D4.3"}


def test_unknown_param_names_are_rejected() -> None:
    saved = load_saved_query("options-of-domain")
    with pytest.raises(QueryError, match="colour, domain"):
        bind_params(saved, {"notation": "D3", "domain": "x", "colour": "red"})


def test_injection_is_bound_as_a_literal_and_does_nothing(store: MemoryStore) -> None:
    before = store.quad_count()
    text = '"x" } ; DROP ALL #'
    assert bind_params(load_saved_query("search-terms"), {"text": text}) == {Variable("text"): Literal(text)}
    rows = _rows(store, "search-terms", {"text": text})
    assert rows == []
    assert store.quad_count() == before
    assert _rows(store, "term-by-notation", {"notation": '"D3" } ; DROP ALL #'}) == []
    assert store.quad_count() == before


def test_unknown_query_name() -> None:
    with pytest.raises(UnknownQueryError) as info:
        load_saved_query("no-such-query")
    assert isinstance(info.value, QueryError) and isinstance(info.value, UnknownTermError)
    from concord_kg.server.problems import status_of

    assert status_of(info.value) == 404


def test_query_name_cannot_leave_the_folder() -> None:
    with pytest.raises(UnknownQueryError):
        load_saved_query("../pyproject")


def test_malformed_header_names_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "bad.rq").write_text(
        "# title: Bad\n# description: x\n# param: notation no question mark\nSELECT * {}\n"
    )
    with pytest.raises(QueryError) as info:
        list_saved_queries(tmp_path)
    assert info.value.line == 3 and info.value.source == str(tmp_path / "bad.rq")


def test_missing_title_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "untitled.rq").write_text("# description: x\nSELECT * {}\n")
    with pytest.raises(QueryError, match="title"):
        load_saved_query("untitled", tmp_path)


def test_param_without_default_must_be_given(tmp_path: Path) -> None:
    (tmp_path / "needs.rq").write_text("# title: T\n# description: D\n# param: ?x: anything\nSELECT ?x {}\n")
    saved = load_saved_query("needs", tmp_path)
    with pytest.raises(QueryError, match="needs a value"):
        bind_params(saved)
    assert bind_params(saved, {"x": "1"}) == {
        Variable("x"): Literal("1", datatype=NamedNode(XSD + "integer"))
    }


# ---------------------------------------------------------------- command line


def test_cli_runs_a_saved_query() -> None:
    result = CliRunner().invoke(main, ["query", "models-by-coordination-role", "--format", "csv"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("role,roleLabel,notation")
    assert [line.split(",")[2] for line in lines[1:]] == ["M2", "M4", "M6", "M8", "M10"]


def test_cli_lists_queries_and_rejects_unknown_params(tmp_path: Path) -> None:
    listing = CliRunner().invoke(main, ["query", "--list"])
    assert listing.exit_code == 0
    assert "options-of-domain: Options of a taxonomy domain" in listing.output
    bad = CliRunner().invoke(main, ["query", "options-of-domain", "--param", "colour=red"])
    assert bad.exit_code == 2
    assert "colour" in bad.output


def test_cli_queries_extra_data(tmp_path: Path) -> None:
    data = tmp_path / "registry.ttl"
    _fixture_data().serialize(data, format="turtle")
    result = CliRunner().invoke(
        main, ["query", "registry-patients-per-model", "--data", str(data), "--format", "tsv"]
    )
    assert result.exit_code == 0, result.output
    assert '"558"\t<http://www.orpha.net/ORDO/Orphanet_558>' in result.output


def test_runs_on_the_embedded_knowledge_graph_store(tmp_path: Path) -> None:
    from concord_kg.store import EmbeddedStore, ensure_ontology

    with EmbeddedStore(tmp_path / "store") as kg_store:
        ensure_ontology(kg_store)
        solutions = run_saved_query(
            kg_store, "models-by-coordination-role", {"role": "ckg:PointOfContactForPatients"}
        )
        assert [row["notation"].value for row in solutions] == ["M1", "M3", "M5", "M7", "M9"]


def test_malformed_language_tag_is_a_query_error() -> None:
    with pytest.raises(QueryError, match="not a valid literal"):
        parse_term('"x"@abcdefghijklmnopq')
