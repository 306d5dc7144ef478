"""Scenarios are classified per the OWL model definitions; the fast engine equals HermiT."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Graph
from rdflib.namespace import RDF

from concord_kg.classify import Classifier, classify_file
from concord_kg.cli import main
from concord_kg.decision import DecisionModel
from concord_kg.errors import InputErrors
from concord_kg.ontology import CKG
from concord_kg.scenarios import Scenario
from tests.conftest import MODEL_ROWS

HEADER = "id,access_to_specialist_centre,lives_near_specialist_centre,can_travel,can_coordinate_own_care,clear_who_to_see"  # noqa: E501
COLUMNS = HEADER.split(",")[1:]


def _expected_model(values: dict[str, str]) -> str:
    """The model of a complete scenario per the decision table models.tsv (`*` = any value)."""
    matches = [row["notation"] for row in MODEL_ROWS if all(row[c] in ("*", values[c]) for c in COLUMNS)]
    assert len(matches) == 1, (values, matches)
    return matches[0]


COMPLETE = [dict(zip(COLUMNS, combo, strict=True)) for combo in itertools.product(("yes", "no"), repeat=5)]


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    return Classifier()


def _scenarios(decision: DecisionModel, combos) -> list[Scenario]:
    return [Scenario(id=f"s{n}", values=tuple(combo)) for n, combo in enumerate(combos)]


@pytest.mark.parametrize("values", COMPLETE, ids=lambda v: "-".join(x[0] for x in v.values()))
def test_fast_engine_follows_the_decision_table(classifier: Classifier, values: dict[str, str]) -> None:
    combo = tuple(var.value(values[var.column]) for var in classifier.decision.variables)
    (result,) = classifier.classify(_scenarios(classifier.decision, [combo]))
    assert result.model is not None and result.model.notation == _expected_model(values)


@pytest.mark.reasoner
@pytest.mark.slow
def test_hermit_follows_the_decision_table_for_all_32_complete_scenarios(classifier: Classifier) -> None:
    combos = [tuple(var.value(v[var.column]) for var in classifier.decision.variables) for v in COMPLETE]
    results = list(classifier.classify(_scenarios(classifier.decision, combos), engine="hermit"))
    got = [r.model.notation if r.model else None for r in results]
    assert got == [_expected_model(v) for v in COMPLETE]


@pytest.mark.reasoner
@pytest.mark.slow
def test_fast_engine_equals_hermit_on_all_243_combinations(classifier: Classifier) -> None:
    """Every combination of yes/no/unknown over the five variables, through both engines."""
    choices = [(*var.values, None) for var in classifier.decision.variables]
    combos = list(itertools.product(*choices))
    assert len(combos) == 3**5
    scenarios = _scenarios(classifier.decision, combos)
    fast = [r.model for r in classifier.classify(scenarios, engine="fast")]
    hermit = [r.model for r in classifier.classify(scenarios, engine="hermit")]
    disagreements = [
        (tuple(v.notation if v else "?" for v in s.values), f, h)
        for s, f, h in zip(scenarios, fast, hermit, strict=True)
        if f != h
    ]
    assert not disagreements
    assert sum(m is not None for m in fast) > 32  # partial scenarios that already entail a model


def test_partial_scenario_entails_model_when_known_values_suffice(classifier: Classifier) -> None:
    d = classifier.decision
    values = {
        "access_to_specialist_centre": "no",
        "can_coordinate_own_care": "yes",
        "clear_who_to_see": "yes",
    }
    combo = tuple(var.value(values[var.column]) if var.column in values else None for var in d.variables)
    (result,) = classifier.classify([Scenario(id="p", values=combo)])
    assert result.model.notation == "M7"


def test_partial_scenario_lists_candidates(classifier: Classifier) -> None:
    d = classifier.decision
    combo = tuple(
        var.value("yes") if var.column == "access_to_specialist_centre" else None for var in d.variables
    )
    (result,) = classifier.classify([Scenario(id="p", values=combo)])
    assert result.model is None
    assert [m.notation for m in result.outcome.candidates] == ["M1", "M2", "M3", "M4", "M5", "M6"]


def _write(tmp_path: Path, text: str, name: str = "in.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_csv_output_keeps_input_order_and_accepts_spellings(tmp_path: Path) -> None:
    src = _write(
        tmp_path,
        HEADER + ",note\nb,YES,y,No,true,n,x\na,no,no,no,FALSE,False,\n",
    )
    out = tmp_path / "out.csv"
    counts = classify_file(src, out)
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "id,model,label,iri,note"
    assert [line.split(",")[:2] for line in lines[1:]] == [["b", "M1"], ["a", "M10"]]
    assert lines[1].endswith(",https://w3id.org/concord-kg/Model1,x")
    assert counts == {"M1": 1, "M10": 1}


def test_json_output_explains_placement_and_every_ruled_out_model(tmp_path: Path) -> None:
    src = _write(tmp_path, HEADER + "\ns1,yes,no,yes,no,yes\n")
    out = tmp_path / "out.json"
    classify_file(src, out, fmt="json")
    (item,) = json.loads(out.read_text(encoding="utf-8"))
    assert item["model"] == "M4"
    assert "Lives far from a specialist centre" in item["explanation"]["because"]
    ruled_out = item["explanation"]["ruled_out"]
    assert set(ruled_out) == {f"M{n}" for n in range(1, 11)} - {"M4"}
    assert "Lives near a specialist centre" in ruled_out["M1"]


def test_turtle_output_types_scenarios_with_their_model(tmp_path: Path) -> None:
    src = _write(tmp_path, HEADER + "\ns1,no,yes,yes,no,no\n")
    out = tmp_path / "out.ttl"
    classify_file(src, out, fmt="ttl")
    graph = Graph().parse(out)
    (scenario,) = graph.subjects(RDF.type, CKG.Scenario)
    assert (scenario, RDF.type, CKG.Model10) in graph


def test_rdf_input_is_validated_and_classified(tmp_path: Path) -> None:
    src = _write(
        tmp_path,
        """@prefix ckg: <https://w3id.org/concord-kg/> . @prefix dcterms: <http://purl.org/dc/terms/> .
        <urn:s:1> a ckg:Scenario ; dcterms:identifier "one" ;
            ckg:hasSpecialistCentreAccess ckg:SpecialistCentreAccessYes ;
            ckg:livesNearSpecialistCentre ckg:SpecialistCentreProximityNo ;
            ckg:canTravelToSpecialistCentre ckg:TravelAbilityNo ;
            ckg:canCoordinateOwnCare ckg:SelfCoordinationAbilityNo ;
            ckg:isClearWhoToSee ckg:ClarityOfWhoToSeeYes .
        """,
        "in.ttl",
    )
    out = tmp_path / "out.csv"
    classify_file(src, out)
    assert out.read_text(encoding="utf-8").splitlines()[1].startswith("one,M6,")


def test_rdf_input_with_a_wrong_value_is_rejected(tmp_path: Path) -> None:
    src = _write(
        tmp_path,
        """@prefix ckg: <https://w3id.org/concord-kg/> .
        <urn:s:1> a ckg:Scenario ; ckg:hasSpecialistCentreAccess ckg:TravelAbilityNo .""",
        "bad.ttl",
    )
    with pytest.raises(InputErrors) as caught:
        classify_file(src, tmp_path / "out.csv")
    assert "urn:s:1" in str(caught.value) and "access to a specialist centre" in str(caught.value)
    assert not (tmp_path / "out.csv").exists()


# Bad tables (unreadable answers, missing columns, duplicate ids, empty files...) are data files under
# tests/data/scenarios/invalid/, each with the exact errors it gives (tests/regressions/test_issue_13.py).


def test_unparsable_rdf_exits_2(tmp_path: Path) -> None:
    src = _write(tmp_path, "<urn:a> <urn:b> .", "bad.ttl")
    result = CliRunner().invoke(main, ["classify", str(src)])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{src}:1: not valid Turtle: ")


def test_allow_partial_adds_candidates_column(tmp_path: Path) -> None:
    src = _write(tmp_path, HEADER + "\ns1,yes,,,yes,\ns2,no,,,yes,yes\n")
    result = CliRunner().invoke(main, ["classify", str(src), "--allow-partial"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "id,model,label,iri,candidates"
    assert lines[1] == "s1,,,,M1 M3 M5"
    assert lines[2].startswith("s2,M7,") and lines[2].endswith(",M7")


@pytest.mark.reasoner
def test_cli_hermit_engine_matches_fast(tmp_path: Path) -> None:
    examples = Path(__file__).parent.parent / "examples" / "scenarios.csv"
    fast = CliRunner().invoke(main, ["classify", str(examples)])
    hermit = CliRunner().invoke(main, ["classify", str(examples), "--engine", "hermit"])
    assert fast.exit_code == hermit.exit_code == 0
    assert fast.stdout == hermit.stdout


def test_ids_that_need_quoting_survive_the_csv_round_trip(tmp_path: Path) -> None:
    import csv

    src = _write(tmp_path, HEADER + '\n"a,b",yes,yes,yes,yes,yes\n"say ""hi""",no,no,no,no,no\n')
    out = tmp_path / "out.csv"
    classify_file(src, out)
    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert [r[:2] for r in rows[1:]] == [["a,b", "M1"], ['say "hi"', "M10"]]


def test_output_folder_is_created(tmp_path: Path) -> None:
    src = _write(tmp_path, HEADER + "\ns1,yes,yes,yes,yes,yes\n")
    out = tmp_path / "new" / "folder" / "out.csv"
    classify_file(src, out)
    assert out.read_text(encoding="utf-8").startswith("id,model")


def test_rdf_scenarios_with_the_same_id_are_rejected(tmp_path: Path) -> None:
    src = _write(
        tmp_path,
        """@prefix ckg: <https://w3id.org/concord-kg/> . @prefix dcterms: <http://purl.org/dc/terms/> .
        <urn:s:1> a ckg:Scenario ; dcterms:identifier "same" .
        <urn:s:2> a ckg:Scenario ; dcterms:identifier "same" .""",
        "dup.ttl",
    )
    with pytest.raises(InputErrors, match="duplicate scenario id 'same'"):
        classify_file(src, tmp_path / "out.csv", allow_partial=True)
