"""Registry extracts as FHIR R4 Bundles and Phenopackets, FHIR output, cohort charts, the ORPHAcode lists."""

from __future__ import annotations

import copy
import csv
import io
import json
from importlib.resources import files
from pathlib import Path

import pytest
from click.testing import CliRunner
from fhir.resources.R4B import get_fhir_model_class
from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS
from registry_sources import (
    COLUMNS,
    fhir_bundle,
    phenopackets,
    random_rows,
    write_csv,
    write_json,
    write_ordo,
)

from concord_kg.classify import Classifier
from concord_kg.cli import main
from concord_kg.errors import InputErrors
from concord_kg.fhir_out import CODESYSTEM_URL
from concord_kg.orphanet import (
    CONDITION_NAMES,
    condition_names,
    condition_names_text,
    hpo_orphanet_codes,
)
from concord_kg.registry import LINKAGE_NODE, link_file, load_ordo, read_extract, registry_graph

ROOT = Path(__file__).parent.parent
EXAMPLES = ROOT / "examples"
QUESTIONNAIRE = EXAMPLES / "fhir" / "concord-questionnaire.json"


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    return Classifier()


@pytest.fixture(scope="module")
def known_codes() -> list[int]:
    """A spread of real codes from the embedded list."""
    codes = sorted(int(iri.rsplit("_", 1)[1]) for iri in hpo_orphanet_codes().classes)
    return codes[::97]


def _models(linkage) -> list[tuple[str, str, str]]:
    return [(p.patient_id, p.orphacode, p.model.notation if p.model else "") for p in linkage.patients]


# ------------------------------------------------------------------ the default ORPHAcode list (hpo3)


def test_embedded_list_has_the_hpo_annotated_orphanet_diseases():
    codes = hpo_orphanet_codes()
    assert len(codes) == 4314
    assert codes.label("http://www.orpha.net/ORDO/Orphanet_558") == "Marfan syndrome"
    assert "HPO 2025-11-24" in codes.source


def test_the_packaged_condition_names_are_the_installed_hpo3_ones():
    """Harmonisation reads the names from the package's copy: it must say what hpo3 says."""
    copy = (files("concord_kg") / "exemplars" / CONDITION_NAMES).read_text(encoding="utf-8")
    assert copy == condition_names_text(), (
        "regenerate concord_kg/exemplars/condition-names.tsv from concord_kg.orphanet.condition_names_text()"
    )
    assert len(condition_names()) == len(hpo_orphanet_codes())


def test_rdf_output_credits_orphanet_and_hpo(classifier):
    linkage = read_extract(EXAMPLES / "registry.csv", classifier=classifier)
    graph = registry_graph(linkage, classifier)
    assert (LINKAGE_NODE, DCTERMS.license, URIRef("https://creativecommons.org/licenses/by/4.0/")) in graph
    credits = {str(o) for o in graph.objects(LINKAGE_NODE, DCTERMS.bibliographicCitation)}
    assert any("Orphanet" in c and "CC BY 4.0" in c for c in credits)
    assert any("Human Phenotype Ontology (release 2025-11-24)" in c for c in credits)
    assert (
        URIRef("http://www.orpha.net/ORDO/Orphanet_558"),
        None,
        Literal("Marfan syndrome", lang="en"),
    ) in graph


# ------------------------------------------------------------------ FHIR in


def test_fhir_bundle_of_1000_patients_gives_the_models_of_the_same_csv(tmp_path, classifier, known_codes):
    rows = random_rows(1000, known_codes)
    from_csv = read_extract(write_csv(rows, tmp_path / "reg.csv"), classifier=classifier)
    from_fhir = read_extract(write_json(fhir_bundle(rows), tmp_path / "reg.json"), classifier=classifier)
    assert len(from_fhir.patients) == 1000
    assert _models(from_fhir) == _models(from_csv)
    assert len({m for _, _, m in _models(from_csv)}) == 10  # every model is exercised


@pytest.mark.parametrize("kind", ["batch", "transaction"])
def test_example_bundle_matches_the_example_csv(kind, tmp_path, classifier):
    rows = list(csv.DictReader((EXAMPLES / "registry.csv").open(encoding="utf-8")))
    bundle = write_json(fhir_bundle(rows, kind=kind), tmp_path / "b.json")
    expected = _models(read_extract(EXAMPLES / "registry.csv", classifier=classifier))
    assert _models(read_extract(bundle, classifier=classifier)) == expected
    shipped = read_extract(EXAMPLES / "fhir" / "registry-bundle.json", classifier=classifier)
    assert _models(shipped) == expected


def test_shipped_questionnaire_is_valid_and_asks_the_scenario_columns(classifier):
    data = json.loads(QUESTIONNAIRE.read_text(encoding="utf-8"))
    get_fhir_model_class("Questionnaire").model_validate(data)
    assert [i["linkId"] for i in data["item"]] == [v.column for v in classifier.decision.variables]
    assert [i["text"] for i in data["item"]] == [v.question for v in classifier.decision.variables]


def _broken(rows, change) -> dict:
    bundle = fhir_bundle(rows)
    change(bundle["entry"])
    return bundle


def _rows() -> list[dict[str, str]]:
    return random_rows(6, [558, 586, 98896])


def _no_orphanet(entries):
    entries[4]["resource"]["code"]["coding"] = [{"system": "http://snomed.info/sct", "code": "1"}]


def _unknown_code(entries):
    entries[7]["resource"]["code"]["coding"][1]["code"] = "123456789"


def _bad_reference(entries):
    entries[5]["resource"]["subject"]["reference"] = "Patient/nobody"


def _invalid_element(entries):
    entries[3]["resource"]["birthDate"] = "yesterday"


def _missing_answer(entries):
    entries[8]["resource"]["item"].pop()


def _bad_type(entries):
    entries[2]["resource"]["item"][0]["answer"] = [{"valueString": "perhaps"}]


FHIR_ERRORS = {
    "no-orphanet-coding": (
        _no_orphanet,
        [
            "Bundle.entry[4].resource(Condition/cond1).code: no Orphanet coding "
            "(system http://www.orpha.net or an ORDO IRI)"
        ],
    ),
    "unknown-code": (
        _unknown_code,
        [
            "Bundle.entry[7].resource(Condition/cond2).code.coding[1].code: ORPHA:123456789 "
            "is not one of the 4,314 Orphanet diseases annotated in HPO 2025-11-24 "
            "(give Orphanet's full ORDO file with --ordo for any other code)"
        ],
    ),
    "bad-reference": (
        _bad_reference,
        [
            "Bundle.entry[5].resource(QuestionnaireResponse/qr1).subject: 'Patient/nobody' "
            "is not a Patient of this bundle",
            "Bundle.entry[3].resource(Patient/pat1): expected one QuestionnaireResponse to "
            "https://w3id.org/concord-kg/fhir/Questionnaire/concord-scenario, found 0",
        ],
    ),
    "invalid-element": (
        _invalid_element,
        [
            "Bundle.entry[3].resource(Patient/pat1).birthDate: (the rest is pydantic's message)",
            "Bundle.entry[4].resource(Condition/cond1).subject: "
            "'urn:uuid:00000000-0000-4000-8000-000000000001' is not a Patient of this bundle",
            "Bundle.entry[5].resource(QuestionnaireResponse/qr1).subject: "
            "'urn:uuid:00000000-0000-4000-8000-000000000001' is not a Patient of this bundle",
        ],
    ),
    "missing-answer": (
        _missing_answer,
        [
            "Bundle.entry[8].resource(QuestionnaireResponse/qr2).item: no answer for linkId "
            "access_to_specialist_centre"
        ],
    ),
    "answer-not-boolean": (
        _bad_type,
        [
            "Bundle.entry[2].resource(QuestionnaireResponse/qr0).item[0].answer[0]: linkId clear_who_to_see: "
            "expected valueBoolean or valueCoding yes/no",
            "Bundle.entry[0].resource(Patient/pat0): expected one QuestionnaireResponse to "
            "https://w3id.org/concord-kg/fhir/Questionnaire/concord-scenario, found 0",
        ],
    ),
}


@pytest.mark.parametrize("name", FHIR_ERRORS, ids=list(FHIR_ERRORS))
def test_fhir_errors_name_resource_and_element(name, tmp_path, classifier):
    change, expected = FHIR_ERRORS[name]
    path = write_json(_broken(_rows(), change), tmp_path / "b.json")
    with pytest.raises(InputErrors) as caught:
        read_extract(path, classifier=classifier)
    messages = [e.message for e in caught.value.errors]
    if name == "invalid-element":
        assert messages[0].startswith("Bundle.entry[3].resource(Patient/pat1).birthDate: ")
        messages, expected = messages[1:], expected[1:]
    assert messages == expected
    assert all(e.source == str(path) for e in caught.value.errors)


def test_every_fhir_error_is_reported_in_one_pass_and_nothing_is_written(tmp_path):
    def several(entries):
        _no_orphanet(entries)
        _unknown_code(entries)
        _missing_answer(entries)

    path = write_json(_broken(_rows(), several), tmp_path / "b.json")
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(main, ["link", str(path), "-o", str(out)])
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert [line.split(": ")[1] for line in lines] == [
        "Bundle.entry[4].resource(Condition/cond1).code",
        "Bundle.entry[7].resource(Condition/cond2).code.coding[1].code",
        "Bundle.entry[8].resource(QuestionnaireResponse/qr2).item",
    ]
    assert "Traceback" not in result.output and not out.exists()


def test_refuted_conditions_are_not_the_patients_disease(tmp_path, classifier):
    rows = _rows()
    bundle = fhir_bundle(rows)
    refuted = copy.deepcopy(bundle["entry"][1])
    refuted["resource"]["id"] = "refuted"
    refuted["resource"]["code"]["coding"][1] = {"system": "http://www.orpha.net", "code": "586"}
    refuted["resource"]["verificationStatus"] = {
        "coding": [
            {"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": "refuted"}
        ]
    }
    bundle["entry"].append(refuted)
    linkage = read_extract(write_json(bundle, tmp_path / "b.json"), classifier=classifier)
    assert rows[0]["orphacode"].endswith("98896")  # so the refuted 586 would otherwise be a second disease
    assert linkage.patients[0].orphacode == "ORPHA:98896"


def test_a_fhir_resource_that_is_not_a_bundle_is_refused(tmp_path, classifier):
    path = write_json({"resourceType": "Patient", "id": "x"}, tmp_path / "p.json")
    with pytest.raises(InputErrors, match="a FHIR Patient: expected a Bundle"):
        read_extract(path, classifier=classifier)


# ------------------------------------------------------------------ Phenopackets in


def _answers(rows, path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["patient_id", *COLUMNS])
        for row in rows:
            writer.writerow([row["patient_id"], *(row[c] for c in COLUMNS)])
    return path


def test_phenopackets_joined_to_answers_give_the_models_of_the_csv(tmp_path, classifier, known_codes):
    rows = random_rows(200, known_codes)
    packets = write_json({"members": phenopackets(rows)}, tmp_path / "cohort.json")
    answers = _answers(list(reversed(rows)), tmp_path / "answers.csv")  # order does not matter
    from_pp = read_extract(packets, classifier=classifier, answers=answers)
    from_csv = read_extract(write_csv(rows, tmp_path / "reg.csv"), classifier=classifier)
    assert _models(from_pp) == _models(from_csv)


def test_phenopacket_join_reports_ids_missing_on_either_side(tmp_path, classifier):
    rows = random_rows(5, [558, 586])
    packets = write_json(phenopackets(rows[:4]), tmp_path / "pp.json")  # P-00004 has no phenopacket
    answers = _answers(rows[1:], tmp_path / "answers.csv")  # P-00000 has no answers
    with pytest.raises(InputErrors) as caught:
        read_extract(packets, classifier=classifier, answers=answers)
    assert [str(e) for e in caught.value.errors] == [
        f"{packets}: phenopacket[0](subject P-00000): no row with patient_id 'P-00000' in {answers}",
        f"{answers}:5: column patient_id: no phenopacket has subject 'P-00004'",
    ]


def test_phenopackets_without_answers_is_an_error(tmp_path, classifier):
    packets = write_json(phenopackets(random_rows(2, [558])), tmp_path / "pp.json")
    result = CliRunner().invoke(main, ["link", str(packets)])
    assert result.exit_code == 2
    assert "give them with --answers FILE.csv" in result.stderr


def test_phenopacket_with_an_unknown_orpha_code(tmp_path, classifier):
    rows = random_rows(2, [558])
    packets = phenopackets(rows)
    packets[1]["diseases"][0]["term"]["id"] = "ORPHA:123456789"
    path = write_json(packets, tmp_path / "pp.json")
    with pytest.raises(InputErrors) as caught:
        read_extract(path, classifier=classifier, answers=_answers(rows, tmp_path / "a.csv"))
    assert str(caught.value.errors[0]).startswith(
        f"{path}: phenopacket[1](subject P-00001).diseases[0].term.id: ORPHA:123456789 is not one of"
    )


# ------------------------------------------------------------------ FHIR out


def test_build_writes_a_valid_codesystem_and_valuesets(tmp_path, ontology):
    from concord_kg.build import build_release
    from concord_kg.ontology import taxonomy_terms

    build_release(tmp_path, graph=copy.deepcopy(ontology))
    folder = tmp_path / "fhir"
    system = json.loads((folder / "CodeSystem-concord-kg.json").read_text(encoding="utf-8"))
    get_fhir_model_class("CodeSystem").model_validate(system)
    codes = {c["code"] for c in system["concept"]}
    assert {t.notation for t in taxonomy_terms(ontology)} | {f"M{i}" for i in range(1, 11)} <= codes
    parents = {
        c["code"]: [p["valueCode"] for p in c.get("property", []) if p["code"] == "parent"]
        for c in system["concept"]
    }
    assert parents["D1.2.3.1"] == ["D1.2.3"]
    sets = sorted(folder.glob("ValueSet-*.json"))
    assert [p.name for p in sets] == [f"ValueSet-domain-d{i}.json" for i in range(1, 7)] + [
        "ValueSet-models.json"
    ]
    for path in sets:
        value_set = json.loads(path.read_text(encoding="utf-8"))
        get_fhir_model_class("ValueSet").model_validate(value_set)
        (include,) = value_set["compose"]["include"]
        assert include["system"] == CODESYSTEM_URL == system["url"]
        assert {c["code"] for c in include["concept"]} <= codes


def test_link_format_fhir_writes_one_valid_observation_per_patient(tmp_path, classifier):
    out = tmp_path / "obs.json"
    linkage = link_file(EXAMPLES / "registry.csv", out, fmt="fhir", classifier=classifier)
    bundle = json.loads(out.read_text(encoding="utf-8"))
    get_fhir_model_class("Bundle").model_validate(bundle)
    observations = [e["resource"] for e in bundle["entry"]]
    assert len(observations) == len(linkage.patients) == 20
    got = [
        (o["subject"]["identifier"]["value"], o["valueCodeableConcept"]["coding"][0]["code"])
        for o in observations
    ]
    assert got == [(p.patient_id, p.model.notation) for p in linkage.patients]
    assert observations[0]["valueCodeableConcept"]["coding"][0]["system"] == CODESYSTEM_URL


# ------------------------------------------------------------------ summary charts


def test_summary_charts_are_written_as_png_and_svg(tmp_path):
    png, svg, table = tmp_path / "c.png", tmp_path / "c.svg", tmp_path / "s.csv"
    args = ["link", str(EXAMPLES / "registry.csv"), "--summary", "--chart", str(png), "--chart", str(svg)]
    result = CliRunner().invoke(main, [*args, "-o", str(table)])
    assert result.exit_code == 0, result.output
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    text = svg.read_text(encoding="utf-8")
    assert "<svg" in text and "Patients per care coordination model (n = 20)" in text
    assert "Marfan syndrome" in text  # the disease × model panel names the diseases
    rows = list(csv.DictReader(table.open(encoding="utf-8")))
    assert sum(int(r["patients"]) for r in rows) == 20


def test_chart_with_an_unknown_suffix_is_a_usage_error(tmp_path):
    result = CliRunner().invoke(
        main, ["link", str(EXAMPLES / "registry.csv"), "--chart", str(tmp_path / "c.gif")]
    )
    assert result.exit_code == 2 and "must end in .png or .svg" in result.stderr
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------ --ordo on a full-size file


@pytest.mark.slow
def test_ordo_shaped_file_of_15000_classes_with_obsolete_ones(tmp_path):
    ordo = write_ordo(tmp_path / "ordo.owl", 15_000, obsolete_every=50)
    index = load_ordo(ordo)
    assert len(index) == 15_000
    assert sum(index.obsolete(iri) for iri in index.classes) == 300
    path = ROOT / "tests" / "data" / "registry" / "ordo-generated" / "several-errors-001.csv"
    result = CliRunner().invoke(main, ["link", str(path), "--ordo", str(ordo)])
    assert result.exit_code == 2
    assert result.stderr == path.with_suffix(".expected").read_text(encoding="utf-8").format(file=path)
    # Its first two patients alone link: one current code, one obsolete.
    good = tmp_path / "reg.csv"
    good.write_text("\n".join(path.read_text(encoding="utf-8").splitlines()[:3]) + "\n", encoding="utf-8")
    out = io.StringIO()
    linkage = link_file(good, ordo=ordo, stdout=out)
    assert [(p.disease, p.obsolete) for p in linkage.patients] == [
        ("Synthetic disorder 900000001", False),
        ("OBSOLETE: Synthetic disorder 900000050", True),
    ]
