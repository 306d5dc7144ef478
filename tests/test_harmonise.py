"""Harmonisation: normalisation, matching precision/recall on the evaluation set, table and SSSOM output."""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Graph, Literal
from rdflib.namespace import SKOS

from concord_kg.cli import main
from concord_kg.errors import MappingError
from concord_kg.harmonise import CSV_COLUMNS, CUE_CONFIDENCE, Harmoniser, harmonise_file, harmonise_values
from concord_kg.semantic import curated_exemplars
from concord_kg.wording import normalise

ROOT = Path(__file__).parent.parent
SETS = Path(__file__).parent / "data" / "harmonisation"
TUNING = ROOT / "concord_kg" / "exemplars" / "labelled"
DATASET = ROOT / "examples" / "dataset.csv"
EVAL_ROWS = list(csv.DictReader((SETS / "eval.csv").open(encoding="utf-8", newline="")))
UNRELATED = [r["value"] for r in EVAL_ROWS if not r["gold"]]


def _bench():
    spec = importlib.util.spec_from_file_location("harmonise_eval", ROOT / "bench" / "harmonise_eval.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def harmoniser() -> Harmoniser:
    return Harmoniser()


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Care co-ordinator", "care coordinator"),
        ("Care Coordinators", "care coordinator"),
        ("Pediatric center", "paediatric centre"),
        ("Centralized care", "centralised care"),
        ("MDT meeting", "multidisciplinary team meeting"),
        ("GPs", "general practitioner"),
        ("E-mail", "email"),
        ("Hub & spoke", "hub and spoke"),
        ("Charities", "charity"),
    ],
)
def test_normalise_brings_variants_together(a, b):
    assert normalise(a) == normalise(b)


def test_evaluation_set_precision_and_recall():
    bench = _bench()
    path = SETS / "eval.csv"
    # Scored as the benchmark scores it: the meaning stage has not learnt the set's own wordings.
    scores = bench.score(path, bench.harmonisers({path: EVAL_ROWS})[path])
    assert scores["n"] >= 120 and scores["unrelated"] >= 30
    assert scores["precision"] >= 0.95, scores["wrong"]
    assert scores["recall"] >= 0.85, scores["missed"]


def test_dev_set_is_separate_from_the_evaluation_set():
    rows = csv.DictReader((TUNING / "dev.csv").open(encoding="utf-8"))
    dev = {r["value"].lower() for r in rows if r["gold"]}
    assert not dev & {r["value"].lower() for r in EVAL_ROWS if r["gold"]}


@pytest.mark.parametrize("value", UNRELATED, ids=[v or "<empty>" for v in UNRELATED])
def test_values_not_about_care_coordination_stay_unmapped(value, harmoniser):
    match = harmoniser.match(value)
    assert (match.term, match.match_type) == (None, "none")


@pytest.mark.parametrize(
    ("value", "notation", "kind"),
    [
        ("Care coordinator", "D3.2.1.2", "exact"),
        ("key worker", "D3.2.1.2", "synonym"),
        ("Keyworker", "D3.2.1.2", "fuzzy"),
        ("Multidisiplinary clinic", "D2.1.1.3", "fuzzy"),
        ("Multidisiplinary team meeting", "D2.1.2", "cue"),  # a misspelt label: "team meeting" is a cue
        ("Multidiciplinary team meeting", "D2.1.2", "exact"),  # a common misspelling, corrected
    ],
)
def test_match_types(value, notation, kind, harmoniser):
    match = harmoniser.match(value)
    assert (match.term.notation, match.match_type) == (notation, kind)


@pytest.mark.parametrize("value", ["Specialist nurse", "Clinical nurse specialist", "CNS"])
def test_a_specialist_nurse_is_not_taken_for_a_care_coordinator(value, harmoniser):
    # The taxonomy paper names specialist nurses both as care coordinators and as clinical leads.
    match = harmoniser.match(value)
    assert match.term is None or match.term.notation != "D3.2.1.2"


@pytest.mark.parametrize("value", ["Care Coordinator (CNS)", "CNS coordinator"])
def test_a_specialist_nurse_who_coordinates_is_a_care_coordinator(value, harmoniser):
    # The ontology's own altLabel of D3.2.1.2: "specialist nurse coordinator".
    assert harmoniser.match(value).term.notation == "D3.2.1.2"


@pytest.mark.parametrize(
    "value", ["No care coordinator", "Irregular appointments", "Regular and on demand appointments"]
)
def test_negated_or_mixed_values_do_not_take_a_plain_label(value, harmoniser):
    match = harmoniser.match(value)
    assert match.term is None or match.term.notation not in {"D3.2.1.2", "D4.1", "D4.2"}


def test_a_key_two_unrelated_terms_share_maps_to_neither(harmoniser):
    graph = Graph()
    graph += harmoniser.graph
    for notation in ("D1.1.1", "D6.2.3"):  # two options in different domains claim one wording
        iri = next(t.iri for t in harmoniser.terms if t.notation == notation)
        graph.add((iri, SKOS.altLabel, Literal("the usual arrangement", lang="en")))
    assert Harmoniser(graph, semantic=False).match("The usual arrangement").term is None


def test_a_key_a_sub_domain_and_its_option_share_maps_to_the_option(harmoniser):
    # "No MDT working" (D2.3) and "no multidisciplinary team working" (D2.3.1) normalise alike.
    match = harmoniser.match("No MDT working")
    assert (match.term.notation, match.match_type) == ("D2.3.1", "synonym")


def test_each_distinct_value_is_mapped_once_and_counted():
    result = harmonise_values(["Key worker", "Key worker ", "GP", "N/A", ""])
    assert [(m.value, m.count) for m in result.matches] == [("Key worker", 2), ("", 1), ("GP", 1), ("N/A", 1)]
    assert len(result.mapped) == 2 and result.mapped_rate == 0.5


def test_min_confidence_leaves_weak_matches_unmapped():
    result = harmonise_values(["Keyworker", "Key worker"], min_confidence=0.9)
    assert {m.value: m.match_type for m in result.matches} == {"Keyworker": "none", "Key worker": "synonym"}


def test_table_output_columns(tmp_path):
    out = tmp_path / "map.csv"
    harmonise_file(DATASET, "who_coordinates_your_care", out=out)
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert tuple(rows[0]) == CSV_COLUMNS
    first = rows[0]
    assert (first["value"], first["notation"], first["match_type"], first["count"]) == (
        "Care co-ordinator",
        "D3.2.1.2",
        "exact",
        "2",
    )
    assert first["iri"] == "https://w3id.org/concord-kg/CareCoordinator"
    unmapped = {r["value"] for r in rows if not r["notation"]}
    assert unmapped == {"Chest pain", "N/A", "Unknown"}  # "Specialist nurse": D3.2, the common parent


def test_json_output():
    out = io.StringIO()
    harmonise_file(DATASET, "how_are_appointments_held", fmt="json", stdout=out)
    rows = json.loads(out.getvalue())
    alternatives = rows[0].pop("alternatives")
    assert rows[0] == {
        "value": "Face to face",
        "notation": "D6.2.1",
        "iri": "https://w3id.org/concord-kg/FaceToFaceMode",
        "label": "Face-to-face",
        "confidence": 1.0,
        "match_type": "exact",
        "count": 9,
    }
    # The top 3 other terms by meaning score, best first, never the chosen term.
    assert len(alternatives) == 3
    assert "D6.2.1" not in {a["notation"] for a in alternatives}
    scores = [a["score"] for a in alternatives]
    assert scores == sorted(scores, reverse=True)
    assert set(alternatives[0]) == {"notation", "iri", "label", "score"}


def test_xlsx_input(tmp_path):
    import openpyxl  # a runtime dependency (harmonise reads .xlsx): missing, the test must fail

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["id", "coordination"])
    for n, value in enumerate(["Key worker", "MDT meeting", None, "Telephone"]):
        sheet.append([n, value])
    path = tmp_path / "survey.xlsx"
    book.save(path)
    result = harmonise_file(path, "coordination", stdout=io.StringIO())
    assert {m.value: (m.term.notation if m.term else "") for m in result.matches} == {
        "Key worker": "D3.2.1.2",
        "MDT meeting": "D2.1.2",
        "": "",
        "Telephone": "D6.2.3",
    }


def test_sssom_output_parses_and_validates_with_the_sssom_package(tmp_path):
    # sssom is in the test extra: the check runs against the reference implementation of the format.
    import sssom.parsers as sssom_io
    from sssom.validators import validate

    out = tmp_path / "map.sssom.tsv"
    result = harmonise_file(DATASET, "who_coordinates_your_care", sssom=out, stdout=io.StringIO())
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# curie_map:\n")
    for key in ("mapping_set_id: ", "license: https://creativecommons.org/licenses/by/4.0/"):
        assert f"\n# {key}" in text
    msdf = sssom_io.parse_sssom_table(out)
    df = msdf.df
    assert len(df) == len(result.mapped)
    assert set(df["mapping_justification"]) == {"semapv:LexicalMatching", "semapv:CompositeMatching"}
    kinds = {m.value: m.match_type for m in result.mapped}
    for _, row in df.iterrows():
        expected = "skos:closeMatch" if kinds[row["subject_label"]] in {"fuzzy", "cue"} else "skos:exactMatch"
        assert row["predicate_id"] == expected
        assert 0 < float(row["confidence"]) <= 1
    validate(msdf, fail_on_error=True)


def test_missing_column_is_reported_and_nothing_written(tmp_path):
    out, mapping = tmp_path / "map.csv", tmp_path / "map.sssom.tsv"
    result = CliRunner().invoke(
        main, ["harmonise", str(DATASET), "--column", "nope", "-o", str(out), "--sssom", str(mapping)]
    )
    assert result.exit_code == 2
    assert result.stderr == (
        f"{DATASET}:1: column nope: missing from the header (columns: respondent_id, role, condition, "
        "who_coordinates_your_care, how_are_appointments_held, survey_date)\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_missing_column_error_type():
    with pytest.raises(MappingError):
        harmonise_file(DATASET, "nope")


def test_cli_summary_on_stderr_and_fail_under(tmp_path):
    out = tmp_path / "map.csv"
    args = ["harmonise", str(DATASET), "--column", "who_coordinates_your_care", "-o", str(out)]
    ok = CliRunner().invoke(main, args)
    assert ok.exit_code == 0, ok.output
    assert ok.stderr.splitlines()[0] == (
        f"{DATASET}: column who_coordinates_your_care: 18 distinct value(s) in 20 row(s); "
        "mapped 15 (17 rows: exact 2, synonym 11, cue 1, fuzzy 1, semantic 0, reviewed 0), "
        "unmapped 3 (3 rows)"
    )
    assert "'Chest pain'" in ok.stderr
    failing = CliRunner().invoke(main, [*args, "--fail-under", "0.9"])
    assert failing.exit_code == 1
    assert failing.stderr.splitlines()[-1] == "mapped rate 0.83 is under --fail-under 0.90"


def test_installed_script_harmonises_the_example(tmp_path):
    script = shutil.which("concord-kg", path=str(Path(sys.executable).parent)) or shutil.which("concord-kg")
    assert script is not None
    sssom = tmp_path / "out.sssom.tsv"
    done = subprocess.run(
        [script, "harmonise", str(DATASET), "--column", "who_coordinates_your_care", "--sssom", str(sssom)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == ",".join(CSV_COLUMNS)
    assert "skos:exactMatch" in sssom.read_text()


@pytest.mark.parametrize("value", ["Nurse", "The nurse.", "Nurse's", "Nurse/GP", "MDT", "my consultant"])
def test_meaning_alone_never_maps_one_word(value, harmoniser):
    # Articles, possessives and slashes do not make more words: "The nurse." is still one word.
    assert harmoniser.match(value).match_type != "semantic"


@pytest.mark.parametrize(
    "value",
    ["Only 40% of families have a named coordinator", "Interpreter booked for clinic", "Transport to clinic"],
)
def test_statistics_and_short_side_topics_stay_unmapped(value, harmoniser):
    assert harmoniser.match(value).term is None


@pytest.mark.parametrize(
    "value",
    [
        "Charity and GP both help",
        "Key worker and the charity between them",
        "Between me and the specialist nurse, depending on the week.",
    ],
)
def test_meaning_alone_never_takes_one_of_two_parties(value, harmoniser):
    assert harmoniser.match(value).term is None


@pytest.mark.parametrize(
    ("value", "notation"),
    [
        ("100% face to face", "D6.2.1"),  # a per cent that is no statistic
        ("Key worker who also sorts out interpreters", "D3.2.1.2"),  # a side topic said in passing
    ],
)
def test_a_side_topic_in_passing_does_not_stop_a_match(value, notation, harmoniser):
    assert harmoniser.match(value).term.notation == notation


@pytest.mark.parametrize("path", sorted((SETS / "second-curator").glob("*.csv")), ids=lambda p: p.name)
def test_a_second_curators_labels_cover_their_set_with_taxonomy_notations(path, harmoniser):
    rows = list(csv.DictReader((SETS / path.name).open(encoding="utf-8", newline="")))
    _bench()._second_curator(rows, path)  # exits unless the file labels each of the set's values once
    notations = {t.notation for t in harmoniser.terms}
    labels = {r["label"] for r in csv.DictReader(path.open(encoding="utf-8", newline=""))}
    assert labels - {""} <= notations


@pytest.mark.parametrize(
    "value", ["Information is shared by letter and by phone.", "Letters, emails, phone calls - whatever"]
)
def test_a_value_naming_two_sibling_options_is_left_unmapped(value, harmoniser):
    assert harmoniser.match(value).term is None


@pytest.mark.parametrize(
    ("value", "notation"),
    [
        ("Used to be 6-monthly, now as-and-when", "D4.2"),
        ("Zoom appointments stopped - back to face to face only", "D6.2.1"),
        ("used to have a joint clinic with the adult team but not any more", None),
        ("Outreach? Don't think so", None),
        ("Outreach? I don\u2019t think so", None),
        ("Professionals working together? Rarely", None),
        ("Who coordinates? Not the GP, the specialist nurse", "D3.2.1.2"),  # a "no" that answers on
        ("Clinical lead TBC", None),
        ("Annual review, date TBC", "D4.1"),  # one detail of several to be confirmed
    ],
)
def test_what_used_to_be_or_is_denied_is_not_the_arrangement(value, notation, harmoniser):
    match = harmoniser.match(value)
    assert (match.term.notation if match.term else None) == notation


def test_a_cue_needs_the_meaning_stage_behind_it(harmoniser, monkeypatch):
    # The letters "posted to us and the GP" fire a rule about records; the meaning stage ranks that option
    # below the alternatives it shows for the whole answer, which is about a one-day clinic. (The written
    # exemplars alone: the rule and its gate, not the labelled values, are what this is about.)
    value = "We see the whole team at the centre in one day, then the letters are posted to us and the GP"
    written = Harmoniser(harmoniser.graph, exemplars=curated_exemplars())
    assert written.match(value).term is None
    monkeypatch.setattr("concord_kg.harmonise.CUE_SHOWN", 100)  # as if the meaning stage ranked it high
    monkeypatch.setattr("concord_kg.harmonise.LEARNED_VETO", 0.0)  # and the classifier had no say
    match = Harmoniser(harmoniser.graph, exemplars=curated_exemplars()).match(value)
    assert (match.match_type, match.confidence) == ("cue", CUE_CONFIDENCE[1])


@pytest.mark.parametrize(
    "value",
    [
        "Either a nurse or a doctor will coordinate it, not decided yet",  # longer than a short choice
        "Either regular reviews or on demand, we haven't decided",  # the negation is a remark on it
    ],
)
def test_either_or_offers_a_choice_at_any_length_and_despite_a_negation(value, harmoniser):
    assert harmoniser.match(value).term is None
