"""SHACL validation with the project's shapes: typed reports, tables read as the commands do, errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS

from concord_kg.errors import ConcordError, DataLoadError, InputErrors, OntologyLoadError, ShapesLoadError
from concord_kg.ontology import CKG
from concord_kg.validate import (
    Finding,
    Report,
    class_hierarchy,
    load_shapes,
    read_rdf_file,
    shape_files,
    validate_file,
    validate_graph,
    validate_scenarios,
)
from tests.conftest import M6_ANSWERS

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
#: Files ``validate`` cannot read, each with the exact error (tests/data/validate/invalid/*.expected).
UNREADABLE = sorted(p for p in (DATA / "validate" / "invalid").iterdir() if p.suffix != ".expected")

M6 = M6_ANSWERS
S1 = URIRef("urn:scenario:1")


def _scenario(answers: dict[URIRef, URIRef], subject: URIRef = S1) -> Graph:
    graph = Graph()
    graph.add((subject, RDF.type, CKG.Scenario))
    graph.add((subject, DCTERMS.identifier, Literal("one")))
    for prop, value in answers.items():
        graph.add((subject, prop, value))
    return graph


# --- shapes --------------------------------------------------------------------------------------


def test_shape_files_are_the_shapes_folder() -> None:
    files = shape_files()
    assert (
        set(files)
        == {p.stem for p in (ROOT / "shapes").glob("*.ttl")}
        >= {"ontology", "scenario", "registry"}
    )
    assert all(path.is_file() for path in files.values())


@pytest.mark.parametrize("kind", sorted(shape_files()))
def test_each_shapes_file_loads_with_named_shapes(kind: str) -> None:
    shapes = load_shapes(kind)
    named = [s for s in shapes.subjects(RDF.type, URIRef("http://www.w3.org/ns/shacl#NodeShape"))]
    assert named and all(isinstance(s, URIRef) for s in named)


def test_an_unknown_shapes_name_lists_the_known_ones() -> None:
    with pytest.raises(ShapesLoadError) as caught:
        load_shapes("scenarios")
    assert str(caught.value) == "no shapes named 'scenarios' (one of ontology, registry, scenario)"


# --- scenario data -------------------------------------------------------------------------------


def test_a_complete_scenario_conforms() -> None:
    report = validate_scenarios(_scenario(M6))
    assert report.conforms and report.results == []
    assert str(report) == "conforms"


def test_a_value_from_another_variable_is_a_violation_naming_node_path_and_value() -> None:
    report = validate_scenarios(_scenario({**M6, CKG.hasSpecialistCentreAccess: CKG.TravelAbilityNo}))
    assert not report.conforms
    (finding,) = report.results
    assert finding == Finding(
        severity="Violation",
        focus="urn:scenario:1",
        path="ckg:hasSpecialistCentreAccess",
        value="ckg:TravelAbilityNo",
        message="access to a specialist centre: at most one value, ckg:SpecialistCentreAccessYes or "
        "ckg:SpecialistCentreAccessNo",
        shape=finding.shape,
    )
    assert str(report) == f"Violation: urn:scenario:1 ckg:hasSpecialistCentreAccess: {finding.message}"
    assert report.count("Violation") == 1 and report.count("Warning") == 0


def test_two_values_for_one_variable_are_a_violation() -> None:
    graph = _scenario(M6)
    graph.add((S1, CKG.canTravelToSpecialistCentre, CKG.TravelAbilityYes))
    report = validate_scenarios(graph)
    assert [(f.path, f.severity) for f in report.results] == [
        ("ckg:canTravelToSpecialistCentre", "Violation")
    ]


def test_missing_values_fail_only_when_complete_scenarios_are_required() -> None:
    partial = _scenario({CKG.hasSpecialistCentreAccess: CKG.SpecialistCentreAccessNo})
    report = validate_scenarios(partial)
    assert sorted(f.message for f in report.results) == [
        "missing value: ability or wish to coordinate own care",
        "missing value: ability or wish to travel",
        "missing value: clarity of who to see",
        "missing value: proximity to a specialist centre",
    ]
    assert validate_scenarios(partial, complete=False).conforms
    # The shapes file itself is untouched by the partial check (it is reloaded each time).
    assert not validate_scenarios(partial).conforms


# --- any graph and shapes ------------------------------------------------------------------------


def _term(definition: str, *, source: bool) -> Graph:
    graph = Graph()
    term = CKG.SomeNewTerm
    graph.add((term, RDF.type, OWL.Class))
    graph.add((term, RDFS.label, Literal("some new term", lang="en")))
    graph.add((term, SKOS.prefLabel, Literal("some new term", lang="en")))
    graph.add((term, SKOS.definition, Literal(definition, lang="en")))
    if source:
        graph.add((term, DCTERMS.source, URIRef("https://doi.org/10.1186/s13023-022-02190-3")))
    return graph


def test_findings_come_violations_first_with_their_severity() -> None:
    report = validate_graph(_term("a definition in lower case.", source=False), load_shapes("ontology"))
    assert not report.conforms
    assert [(f.severity, f.focus, f.path) for f in report.results] == [
        ("Violation", "ckg:SomeNewTerm", "dcterms:source"),
        ("Info", "ckg:SomeNewTerm", "skos:definition"),
    ]
    assert report.results[1].message == "definition should start with a capital letter"
    assert (report.count("Violation"), report.count("Info")) == (1, 1)


def test_info_findings_alone_still_conform() -> None:
    report = validate_graph(_term("a definition in lower case.", source=True), load_shapes("ontology"))
    assert report.conforms
    assert [f.severity for f in report.results] == ["Info"]
    assert (
        str(report) == "Info: ckg:SomeNewTerm skos:definition: definition should start with a capital letter"
    )


def test_class_hierarchy_holds_only_named_types_and_subclasses() -> None:
    hierarchy = class_hierarchy()
    assert (CKG.Model1, RDFS.subClassOf, CKG.CareCoordinationModel) in hierarchy
    assert (CKG.TravelAbilityNo, RDF.type, CKG.TravelAbilityValue) in hierarchy
    assert set(hierarchy.predicates()) == {RDF.type, RDFS.subClassOf}
    assert all(isinstance(node, URIRef) for triple in hierarchy for node in triple)
    assert class_hierarchy() is hierarchy  # computed once


# --- files ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fmt,suffix", [("turtle", ".ttl"), ("nt", ".nt"), ("json-ld", ".jsonld"), ("xml", ".rdf")]
)
def test_rdf_files_are_read_by_extension(tmp_path: Path, fmt: str, suffix: str) -> None:
    path = tmp_path / f"scenario{suffix}"
    _scenario(M6).serialize(path, format=fmt, encoding="utf-8")
    graph = read_rdf_file(path)
    assert len(graph) == 7 and (S1, CKG.canTravelToSpecialistCentre, CKG.TravelAbilityNo) in graph
    assert validate_file(path).conforms


@pytest.mark.parametrize("path", UNREADABLE, ids=[p.name for p in UNREADABLE])
def test_unreadable_data_is_a_data_error_saying_what_and_where(path: Path) -> None:
    with pytest.raises(DataLoadError) as caught:
        read_rdf_file(path)
    assert not isinstance(caught.value, OntologyLoadError)
    assert str(caught.value) + "\n" == path.with_suffix(".expected").read_text(encoding="utf-8").format(
        file=path
    )


def test_a_missing_file_is_a_data_error(tmp_path: Path) -> None:
    path = tmp_path / "absent.ttl"
    with pytest.raises(DataLoadError, match="cannot read: No such file or directory"):
        validate_file(path)


def test_an_rdf_file_with_a_wrong_value_gives_a_report_not_an_error(tmp_path: Path) -> None:
    path = tmp_path / "wrong.ttl"
    _scenario({**M6, CKG.isClearWhoToSee: CKG.TravelAbilityYes}).serialize(path, format="turtle")
    report = validate_file(path)
    assert not report.conforms
    assert [(f.focus, f.path, f.value) for f in report.results] == [
        ("urn:scenario:1", "ckg:isClearWhoToSee", "ckg:TravelAbilityYes")
    ]


def test_tables_are_read_as_classify_and_link_read_them() -> None:
    assert validate_file(ROOT / "examples" / "scenarios.csv").conforms
    assert validate_file(ROOT / "examples" / "registry.csv", "registry").conforms


def test_a_bad_table_raises_the_errors_classify_gives() -> None:
    path = DATA / "scenarios" / "invalid" / "several-errors-001.csv"
    with pytest.raises(InputErrors) as caught:
        validate_file(path)
    assert str(caught.value) + "\n" == path.with_suffix(".expected").read_text(encoding="utf-8").format(
        file=path
    )


def test_a_table_with_ontology_shapes_is_refused() -> None:
    path = ROOT / "examples" / "scenarios.csv"
    with pytest.raises(DataLoadError) as caught:
        validate_file(path, "ontology")
    assert str(caught.value) == (
        f"{path}: a table can be validated with --shapes scenario or registry, not 'ontology' "
        "(give RDF (.ttl, .nt, .nq, .trig, .jsonld, .json, .rdf, .owl) for other shapes)"
    )


def test_unknown_shapes_are_refused_before_the_data_is_read(tmp_path: Path) -> None:
    with pytest.raises(ShapesLoadError):
        validate_file(tmp_path / "absent.ttl", "nope")


def test_report_is_a_plain_result() -> None:
    """Non-conforming data is a result, never an exception (unreadable data is)."""
    report = Report(conforms=False, results=[Finding("Warning", "ckg:X", "", "", "check me", "")])
    assert str(report) == "Warning: ckg:X: check me"
    assert not isinstance(report, ConcordError)
