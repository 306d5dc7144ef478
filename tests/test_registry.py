"""Registry linking: ORPHAcodes to ORDO, patients to models, bad rows reported all at once."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from concord_kg.classify import Classifier
from concord_kg.cli import main
from concord_kg.errors import InputErrors, MappingError
from concord_kg.ontology import CKG
from concord_kg.registry import (
    ORDO,
    link_file,
    link_registry,
    load_ordo,
    normalise_orphacode,
    registry_graph,
    validate_registry,
)
from concord_kg.store import MemoryStore, data_graph, load_file

ROOT = Path(__file__).parent.parent
DATA = Path(__file__).parent / "data" / "registry"
EXAMPLE = ROOT / "examples" / "registry.csv"
EXCERPT = ROOT / "ontology" / "imports" / "ordo-excerpt.owl"
SYNTHETIC = DATA / "ordo-synthetic.owl"
INVALID = sorted((DATA / "invalid").glob("*.csv"))
INVALID_RDF = sorted((DATA / "invalid-rdf").glob("*.ttl"))
HEADER = (
    "patient_id,orphacode,access_to_specialist_centre,lives_near_specialist_centre,can_travel,"
    "can_coordinate_own_care,clear_who_to_see"
)


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    return Classifier()


@pytest.mark.parametrize(
    "text",
    [
        "ORPHA:558",
        "558",
        "Orphanet_558",
        "http://www.orpha.net/ORDO/Orphanet_558",
        " orpha:558 ",
        "Orphanet:558",
    ],
)
def test_orphacode_forms_normalise_to_the_ordo_iri(text):
    assert normalise_orphacode(text) == URIRef("http://www.orpha.net/ORDO/Orphanet_558")


@pytest.mark.parametrize("text", ["", "ORPHA:", "ORPHA:0558x", "OMIM:154700", "ORPHA:-5", "558.0", "0"])
def test_malformed_orphacodes_are_rejected(text):
    assert normalise_orphacode(text) is None


def test_example_links_every_patient(classifier):
    linkage = link_registry(EXAMPLE, classifier=classifier)
    assert len(linkage.patients) == 20
    assert linkage.extra_columns == ["site", "year_of_birth"]
    first = linkage.patients[0]
    assert (first.patient_id, first.orphacode, str(first.ordo_iri)) == (
        "RR-0001",
        "ORPHA:558",
        "http://www.orpha.net/ORDO/Orphanet_558",
    )
    assert first.model is not None and first.model.notation == "M1"
    assert sum(linkage.per_model.values()) == 20
    assert linkage.per_disease_model[("ORPHA:98896", "M2")] == 1


def test_csv_output_columns_and_extra_columns_kept(classifier):
    out = io.StringIO()
    link_file(EXAMPLE, classifier=classifier, stdout=out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert list(rows[0]) == [
        *("patient_id", "orphacode", "ordo_iri", "model", "disease", "obsolete"),
        *("site", "year_of_birth"),
    ]
    assert rows[0]["disease"] == "Marfan syndrome"  # from the Orphanet list embedded in hpo3
    assert rows[9]["orphacode"] == "ORPHA:636"  # given as the ORDO IRI
    assert rows[2]["ordo_iri"] == "http://www.orpha.net/ORDO/Orphanet_558"  # given as a bare number


def test_summary_is_one_tidy_table_per_code_and_model(classifier):
    out = io.StringIO()
    link_file(EXAMPLE, classifier=classifier, summary=True, ordo=EXCERPT, stdout=out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert all(all(r.values()) for r in rows)  # no blank cells: totals are sums of the rows
    totals = Counter()
    for r in rows:
        totals[r["model"]] += int(r["patients"])
    assert sum(totals.values()) == 20 and totals["M1"] == 3
    marfan = {r["model"]: int(r["patients"]) for r in rows if r["orphacode"] == "ORPHA:558"}
    assert marfan == {"M1": 1, "M4": 1, "M6": 1}
    assert {r["disease"] for r in rows if r["orphacode"] == "ORPHA:558"} == {"Marfan syndrome"}


def test_turtle_has_the_documented_shape_and_conforms(classifier):
    linkage = link_registry(EXAMPLE, classifier=classifier, ordo=load_ordo(EXCERPT))
    graph = registry_graph(linkage, classifier)
    patient = URIRef("https://w3id.org/concord-kg/data/patient/RR-0001")
    assert (patient, RDF.type, CKG.RegistryPatient) in graph
    assert (patient, CKG.hasDisease, ORDO.Orphanet_558) in graph
    scenario = graph.value(patient, CKG.hasScenario)
    assert (scenario, RDF.type, CKG.Scenario) in graph and (scenario, RDF.type, CKG.Model1) in graph
    report = validate_registry(graph)
    assert report.conforms, str(report)


def test_turtle_loads_into_oxigraph_and_answers_patients_per_model_by_disease(classifier, tmp_path):
    out = tmp_path / "registry.ttl"
    link_file(EXAMPLE, out, fmt="ttl", classifier=classifier)
    store = MemoryStore()
    load_file(store, out, graph=data_graph("registry"))
    query = """
        PREFIX ckg: <https://w3id.org/concord-kg/>
        SELECT ?disease ?model (COUNT(?p) AS ?n) WHERE {
            ?p a ckg:RegistryPatient ; ckg:hasDisease ?disease ; ckg:hasScenario ?s .
            ?s a ?model . FILTER (?model != ckg:Scenario)
        } GROUP BY ?disease ?model"""
    counts = {(r["disease"].value, r["model"].value): int(r["n"].value) for r in store.query(query)}
    assert sum(counts.values()) == 20
    assert counts[("http://www.orpha.net/ORDO/Orphanet_98896", str(CKG.Model6))] == 1


@pytest.mark.parametrize("path", INVALID_RDF, ids=[p.name for p in INVALID_RDF])
def test_invalid_registry_rdf_does_not_conform(path):
    header = dict(
        line[2:].split(": ", 1)
        for line in path.read_text().splitlines()
        if line.startswith("# ") and ": " in line
    )
    graph = Graph().parse(path, format="turtle")
    report = validate_registry(graph)
    assert not report.conforms
    assert (header["focus"], header["path"]) in {(r.focus, r.path) for r in report.results}, str(report)


@pytest.mark.parametrize("path", INVALID, ids=[p.name for p in INVALID])
def test_invalid_rows_are_reported_all_at_once(path, classifier, tmp_path):
    expected = path.with_suffix(".expected").read_text(encoding="utf-8").format(file=path)
    out = tmp_path / "out.csv"
    with pytest.raises(InputErrors) as caught:
        link_file(path, out, classifier=classifier)
    assert str(caught.value) + "\n" == expected
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("path", INVALID, ids=[p.name for p in INVALID])
def test_cli_prints_errors_and_exits_2(path, tmp_path):
    expected = path.with_suffix(".expected").read_text(encoding="utf-8").format(file=path)
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(main, ["link", str(path), "-o", str(out)])
    assert result.exit_code == 2
    assert result.stderr == expected
    assert result.stdout == ""
    assert not out.exists()


def test_ordo_excerpt_labels_and_unknown_code(classifier):
    index = load_ordo(EXCERPT)
    assert index.label(ORDO.Orphanet_558) == "Marfan syndrome"
    assert index.label(ORDO.Orphanet_98896) == "Duchenne muscular dystrophy"
    # The same extract as with the default code list; only the unknown code's message names the ORDO file.
    path = DATA / "invalid" / "orphacode-unknown-001.csv"
    with pytest.raises(InputErrors) as caught:
        link_registry(path, classifier=classifier, ordo=index)
    assert str(caught.value).splitlines() == [
        f"{path}:3: column orphacode: ORPHA:123456789 is not a class of ORDO (ordo-excerpt.owl)",
        f"{path}:4: column access_to_specialist_centre: 'perhaps' is not one of yes/no"
        " (accepted: yes/y/true/1, no/n/false/0)",
    ]


def test_obsolete_codes_are_flagged(tmp_path):
    path = tmp_path / "reg.csv"
    path.write_text(f"{HEADER}\nP1,ORPHA:900000001,yes,yes,yes,yes,yes\nP2,ORPHA:900000002,no,no,no,no,no\n")
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(main, ["link", str(path), "--ordo", str(SYNTHETIC), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert f"{path}:3: column orphacode: ORPHA:900000002 is obsolete in ORDO" in result.stderr
    rows = list(csv.DictReader(out.open()))
    assert [(r["disease"], r["obsolete"]) for r in rows] == [
        ("Synthetic current disease", "false"),
        ("OBSOLETE: Synthetic retired disease", "true"),
    ]


def test_unreadable_ordo_is_a_mapping_error(tmp_path):
    bad = tmp_path / "ordo.owl"
    bad.write_text("<rdf:RDF")
    with pytest.raises(MappingError):
        load_ordo(bad)


def test_summary_with_turtle_is_a_usage_error():
    result = CliRunner().invoke(main, ["link", str(EXAMPLE), "--summary", "--format", "ttl"])
    assert result.exit_code == 2
    assert "--summary writes CSV" in result.stderr


def test_installed_script_links_the_example(tmp_path):
    script = shutil.which("concord-kg", path=str(ROOT / ".venv" / "bin")) or shutil.which("concord-kg")
    assert script is not None
    out = tmp_path / "linked.csv"
    done = subprocess.run(
        [script, "link", str(EXAMPLE), "--ordo", str(EXCERPT), "-o", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "linked 20 patient(s)" in done.stderr
    rows = list(csv.DictReader(out.open()))
    assert rows[0]["disease"] == "Marfan syndrome" and len(rows) == 20
