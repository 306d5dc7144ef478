"""Issue 10: meaning-aware harmonisation, domains, reviewed SSSOM re-applied, the dataset back harmonised."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from concord_kg import harmonise
from concord_kg.cli import main
from concord_kg.errors import MappingError
from concord_kg.harmonise import Harmoniser, harmonise_counts, harmonise_file, harmonise_values
from concord_kg.mappings import Reviewed, read_reviewed, review_key, write_sssom

#: A column name and values that break hand-written YAML, CSV quoting or ASCII assumptions.
AWKWARD = 'Q3: who "coordinates" your care? — équipe'
VALUES = [
    "Key worker",
    "Key worker",
    'Nurse "Sue": co-ordinator',
    "Médecin généraliste (GP)",
    "Patient charity",
    "Chest pain",
    "N/A",
    "Video consultation (Attend Anywhere)",
    "",
]


@pytest.fixture(scope="module")
def harmoniser() -> Harmoniser:
    return Harmoniser()


#: Paraphrases a person maps at once (issue 10's own examples).
PARAPHRASES = [
    ("Professionals liaise with each other", "D2.2.2"),
    ("Patient has full access to records", "D5.1.1"),
    ("Video consultation (Attend Anywhere)", "D6.2.2"),
    ("Nurse co-ordinator", "D3.2.1.2"),
    ("Patient charity", "D3.3.1"),
]


@pytest.fixture(scope="module")
def meaning_only() -> Harmoniser:
    """A harmoniser whose cue rules name no term: the meaning stage decides what labels leave."""
    return Harmoniser(cue_rules=False)


def _write_csv(path: Path, column: str = AWKWARD, values: list[str] = VALUES) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", column, "note: free text"])
        for n, value in enumerate(values):
            writer.writerow([f"R{n}", value, f"row {n}; “quoted”"])
    return path


@pytest.mark.parametrize(("value", "notation"), PARAPHRASES)
def test_paraphrases_a_person_maps_at_once_are_mapped(value, notation, harmoniser):
    match = harmoniser.match(value)
    assert match.term is not None and match.term.notation == notation, match
    assert match.match_type in {"cue", "semantic"}
    assert 0 < match.confidence < 0.95  # a paraphrase never claims the certainty of a label


@pytest.mark.parametrize(("value", "notation"), PARAPHRASES)
def test_the_meaning_stage_maps_those_paraphrases_without_cue_rules(value, notation, meaning_only):
    match = meaning_only.match(value)
    assert match.alternatives[0].term.notation == notation
    if value == "Patient has full access to records":
        # Labelled values say "full" and "partial" access in near-equal words: meaning alone ranks the
        # option first but not clearly ahead of its sibling, so it abstains and the cue rules tell them apart.
        assert match.term is None
    else:
        assert (match.term.notation if match.term else None, match.match_type) == (notation, "semantic")


@pytest.mark.parametrize(
    ("value", "not_notation"), [("Coordinates (GPS)", "D3.2.3"), ("Shared care record", "D1.2")]
)
def test_string_likeness_without_the_meaning_is_not_a_match(value, not_notation, harmoniser):
    match = harmoniser.match(value)
    assert match.term is None or match.term.notation != not_notation


@pytest.mark.parametrize(
    "value", ["Seizures", "Cost of parking", "2023-05-14", "NHS 943 476 5919", "Hospital food"]
)
def test_out_of_domain_values_abstain(value, harmoniser):
    assert harmoniser.match(value).term is None


def test_domain_restricts_candidates(harmoniser):
    scoped = Harmoniser(harmoniser.graph, domains=["D3"])
    assert harmoniser.match("phone consultant").term.notation == "D6.2.3"
    match = scoped.match("phone consultant")
    assert match.term is None or match.term.notation.startswith("D3")
    assert all(t.notation == "D3" or t.notation.startswith("D3.") for t in scoped.terms)
    assert all(c.term.notation.startswith("D3") for c in scoped.match("Key worker").alternatives)


def test_unknown_domain_is_a_usage_error(tmp_path):
    source = _write_csv(tmp_path / "in.csv")
    done = CliRunner().invoke(main, ["harmonise", str(source), "--column", AWKWARD, "--domain", "D9"])
    assert done.exit_code == 2
    assert "--domain D9: no taxonomy term has this notation" in done.stderr


def test_excluded_pair_falls_back_to_the_next_stage(harmoniser):
    plain = harmoniser.match("Key worker")
    assert plain.term.notation == "D3.2.1.2"
    barred = harmoniser.match("Key worker", exclude=[str(plain.term.iri)])
    assert barred.term is None or barred.term.notation != "D3.2.1.2"


def test_out_dataset_csv_keeps_every_row_and_adds_three_columns(tmp_path):
    source = _write_csv(tmp_path / "in.csv")
    out = tmp_path / "out" / "harmonised.csv"
    done = CliRunner().invoke(
        main, ["harmonise", str(source), "--column", AWKWARD, "--out-dataset", str(out)]
    )
    assert done.exit_code == 0, done.output
    assert done.stdout == ""  # the dataset went to the file; the table only with -o
    rows = list(csv.reader(out.open(encoding="utf-8", newline="")))
    assert rows[0] == [
        "id",
        AWKWARD,
        f"{AWKWARD}_notation",
        f"{AWKWARD}_iri",
        f"{AWKWARD}_label",
        "note: free text",
    ]
    assert len(rows) == len(VALUES) + 1
    by_value = {r[1]: r[2:5] for r in rows[1:]}
    assert by_value["Key worker"] == [
        "D3.2.1.2",
        "https://w3id.org/concord-kg/CareCoordinator",
        "Care coordinator",
    ]
    assert by_value["Chest pain"] == ["", "", ""]
    assert rows[3][5] == "row 2; “quoted”"  # other cells pass through untouched
    assert [p.name for p in out.parent.iterdir()] == ["harmonised.csv"]  # no temporary file left


def test_out_dataset_xlsx_is_a_real_workbook(tmp_path):
    from openpyxl import Workbook, load_workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["id", AWKWARD])
    for n, value in enumerate(VALUES):
        sheet.append([n, value or None])
    source = tmp_path / "in.xlsx"
    book.save(source)
    out = tmp_path / "out.xlsx"
    harmonise_file(source, AWKWARD, out_dataset=out, stdout=io.StringIO())
    assert zipfile.is_zipfile(out)
    rows = [list(r) for r in load_workbook(out, read_only=True).worksheets[0].iter_rows(values_only=True)]
    assert rows[0] == ["id", AWKWARD, f"{AWKWARD}_notation", f"{AWKWARD}_iri", f"{AWKWARD}_label"]
    assert rows[1][:3] == [0, "Key worker", "D3.2.1.2"]
    assert len(rows) == len(VALUES) + 1


def test_out_dataset_csv_named_xlsx_is_never_csv_text(tmp_path):
    source = _write_csv(tmp_path / "in.csv")
    out = tmp_path / "out.XLSX"
    harmonise_file(source, AWKWARD, out_dataset=out, stdout=io.StringIO())
    assert out.read_bytes()[:2] == b"PK"


def test_bad_input_writes_nothing(tmp_path):
    source = _write_csv(tmp_path / "in.csv")
    out = tmp_path / "out.csv"
    done = CliRunner().invoke(main, ["harmonise", str(source), "--column", "nope", "--out-dataset", str(out)])
    assert done.exit_code == 2
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]


def test_sssom_with_awkward_names_is_valid_yaml_and_valid_sssom(tmp_path):
    from sssom.parsers import parse_sssom_table
    from sssom.validators import validate

    source = _write_csv(tmp_path / 'survey: "2026" — été.csv')
    out = tmp_path / "map.sssom.tsv"
    result = harmonise_file(source, AWKWARD, sssom=out, stdout=io.StringIO())
    text = out.read_text(encoding="utf-8")
    meta = yaml.safe_load(
        "".join(line[2:] for line in text.splitlines(keepends=True) if line.startswith("#"))
    )
    assert meta["mapping_set_title"] == f'Column {AWKWARD} of survey: "2026" — été mapped to CONCORD'
    msdf = parse_sssom_table(out)
    assert len(msdf.df) == len(result.mapped)
    assert set(msdf.df["subject_label"]) == {m.value for m in result.mapped}
    validate(msdf, fail_on_error=True)


def _reviewed_file(tmp_path: Path, harmoniser: Harmoniser) -> tuple[Path, dict[str, str]]:
    """Review the awkward dataset: change one value, reject one, accept the rest; return the SSSOM file."""
    from concord_kg.harmonise import Harmonisation, Match

    result = harmonise_values(VALUES, harmoniser=harmoniser)
    result.column = AWKWARD
    point_of_contact = next(t for t in harmoniser.all_terms if t.notation == "D3.1.2")
    matches, rejected, expected = [], {}, {}
    for m in result.matches:
        term = m.term
        if m.value == "Key worker":
            term = point_of_contact
        elif m.value == "Patient charity":
            term = None
        if m.term is not None and term != m.term:
            rejected[m.value] = [m]
        matches.append(Match(m.value, term, 1.0, "reviewed", m.count))
        expected[m.value] = term.notation if term else ""
    path = tmp_path / "reviewed.sssom.tsv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        write_sssom(Harmonisation(matches, column=AWKWARD), handle, dataset="survey", rejected=rejected)
    return path, expected


def test_reviewed_sssom_reproduces_every_decision(tmp_path, harmoniser):
    reviewed, expected = _reviewed_file(tmp_path, harmoniser)
    source = _write_csv(tmp_path / "next.csv")
    out = tmp_path / "table.json"
    done = CliRunner().invoke(
        main,
        [
            "harmonise",
            str(source),
            "--column",
            AWKWARD,
            "--mappings",
            str(reviewed),
            "--format",
            "json",
            "-o",
            str(out),
        ],
    )
    assert done.exit_code == 0, done.output
    got = {r["value"]: r["notation"] for r in json.loads(out.read_text(encoding="utf-8"))}
    assert got == expected
    assert got["Key worker"] == "D3.1.2" and got["Patient charity"] == ""
    reviewed_mapped = sum(1 for v in expected.values() if v)
    assert f"reviewed {reviewed_mapped})" in done.stderr.splitlines()[0]


def test_reviewed_sssom_is_valid_sssom(tmp_path, harmoniser):
    from sssom.parsers import parse_sssom_table
    from sssom.validators import validate

    reviewed, _ = _reviewed_file(tmp_path, harmoniser)
    msdf = parse_sssom_table(reviewed)
    validate(msdf, fail_on_error=True)
    assert set(msdf.df["mapping_justification"]) == {"semapv:ManualMappingCuration"}
    assert "Not" in set(msdf.df["predicate_modifier"].dropna())


def test_not_rows_alone_forbid_a_pair(tmp_path, harmoniser):
    path = tmp_path / "not.sssom.tsv"
    path.write_text(
        "# curie_map:\n#   ckg: https://w3id.org/concord-kg/\n"
        "subject_label\tpredicate_id\tpredicate_modifier\tobject_id\tmapping_justification\n"
        "KEY   worker\tskos:exactMatch\tNot\tckg:CareCoordinator\tsemapv:ManualMappingCuration\n",
        encoding="utf-8",
    )
    decisions = read_reviewed([path])
    assert decisions.fixed == {}
    result = harmonise_values(["Key worker"], harmoniser=harmoniser, reviewed=decisions)
    assert result.matches[0].term is None or result.matches[0].term.notation != "D3.2.1.2"


def test_later_mapping_files_win(tmp_path):
    head = "# curie_map:\n#   ckg: https://w3id.org/concord-kg/\nsubject_label\tobject_id\tmapping_justification\n"
    first, second = tmp_path / "a.sssom.tsv", tmp_path / "b.sssom.tsv"
    first.write_text(head + "GP\tckg:ClinicalLead\tsemapv:ManualMappingCuration\n", encoding="utf-8")
    second.write_text(head + "GP\tsssom:NoTermFound\tsemapv:ManualMappingCuration\n", encoding="utf-8")
    assert read_reviewed([first, second]).fixed == {"gp": ""}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "subject_label\tobject_id\tmapping_justification\nGP\tfoo:Bar\tsemapv:ManualMappingCuration\n",
            "unknown prefix",
        ),
        (
            "subject_label\tobject_id\tmapping_justification\nGP\tckg:Nope\tsemapv:ManualMappingCuration\n",
            "not a taxonomy term",
        ),
        ("subject_id\tobject_id\nx\ty\n", "missing column(s): subject_label"),
    ],
    ids=["prefix", "term", "columns"],
)
def test_bad_mapping_files_are_reported_with_file_and_line(tmp_path, body, message):
    path = tmp_path / "bad.sssom.tsv"
    path.write_text("# curie_map:\n#   ckg: https://w3id.org/concord-kg/\n" + body, encoding="utf-8")
    source = _write_csv(tmp_path / "in.csv")
    done = CliRunner().invoke(main, ["harmonise", str(source), "--column", AWKWARD, "--mappings", str(path)])
    assert done.exit_code == 2
    assert done.stderr.startswith(f"{path}:") and message in done.stderr
    assert "Traceback" not in done.stderr


def test_mapping_file_with_broken_yaml(tmp_path):
    path = tmp_path / "bad.sssom.tsv"
    path.write_text("# curie_map: [unclosed\nsubject_label\tobject_id\n", encoding="utf-8")
    with pytest.raises(MappingError, match="not valid YAML"):
        read_reviewed([path])


def test_no_progress_bar_without_a_terminal(tmp_path):
    source = _write_csv(tmp_path / "in.csv")
    done = CliRunner().invoke(
        main, ["harmonise", str(source), "--column", AWKWARD, "--out-dataset", str(tmp_path / "o.csv")]
    )
    assert done.exit_code == 0
    assert "writing rows" not in done.stderr and "matching values" not in done.stderr


def test_the_progress_bar_counts_every_value_once_as_blocks_are_decided(monkeypatch):
    """The bar moves block by block through one pass (values saying nothing and reviewed ones first)."""
    monkeypatch.setattr(harmonise, "_BATCH", 2)  # several blocks from a few values
    values = ["Nurse coordinator", "N/A", "GP", "Video call", "Patient charity", "12/03/2024", "Key worker"]
    reviewed = Reviewed(fixed={review_key("GP"): ""})
    steps: list[int] = []
    result = harmonise_counts(dict.fromkeys(values, 1), reviewed=reviewed, advance=steps.append)
    assert steps[:2] == [1, 2]  # the reviewed value, then the two that say nothing
    assert steps[2:] == [2, 2]  # the four others, two per block
    assert sum(steps) == len(result.matches) == len(values)


def test_the_embedding_model_loads_and_runs_without_network():
    """Load the model with every socket connection refused: the weights and tokenizer come from the wheel."""
    code = (
        "import socket\n"
        "def refuse(*a, **k): raise OSError('network used')\n"
        "socket.socket.connect = refuse\n"
        "socket.create_connection = refuse\n"
        "socket.getaddrinfo = refuse\n"
        "from concord_kg.harmonise import Harmoniser\n"
        "m = Harmoniser().match('Patient charity')\n"
        "print(m.term.notation, len(m.alternatives))\n"  # alternatives come from the embeddings
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "D3.3.1 4"


def test_wordllama_licence_is_mit():
    from importlib.metadata import metadata

    meta = metadata("wordllama")
    assert "MIT" in (meta.get("License") or "") + " ".join(meta.get_all("Classifier") or [])


def _exemplar_rows() -> list[tuple[str, str]]:
    from concord_kg.semantic import load_exemplars

    return list(load_exemplars())


def test_every_exemplar_names_a_taxonomy_option_or_none(harmoniser):
    known = {t.notation for t in harmoniser.all_terms}
    unknown = [(n, t) for n, t in _exemplar_rows() if n and n not in known]
    assert not unknown
    assert any(not n for n, _ in _exemplar_rows())  # out-of-domain wordings are there too


def test_no_written_exemplar_copies_a_labelled_value():
    """Exemplars are written apart from every labelled set, so the sets still measure generalisation."""
    from concord_kg.semantic import curated_exemplars, labelled_sets
    from concord_kg.wording import normalise

    folder = Path(__file__).resolve().parent.parent / "data" / "harmonisation"
    labelled = {
        normalise(row["value"])
        for path in folder.glob("*.csv")
        for row in csv.DictReader(path.open(encoding="utf-8", newline=""))
    } | {normalise(value) for rows in labelled_sets().values() for _, value in rows}
    copies = [t for _, t in curated_exemplars() if normalise(t) in labelled]
    assert not copies


def test_the_benchmark_scores_no_set_on_its_own_wordings():
    """The meaning stage learns the tuning sets; a set is scored by a matcher that has not seen its values."""
    import importlib.util

    from concord_kg.semantic import labelled_sets, load_exemplars
    from concord_kg.wording import normalise

    root = Path(__file__).resolve().parents[2]
    spec = importlib.util.spec_from_file_location("harmonise_eval", root / "bench" / "harmonise_eval.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    assert {p.name for p in bench.DEFAULT_SETS if bench._tuning(p)} == set(labelled_sets())
    held_out = [bench.SETS / name for name in bench.HELD_OUT]
    wordings = {normalise(r["value"]) for path in held_out for r in bench._rows(path)}
    learnt = bench.exemplars_without(set(), wordings)
    assert not [t for _, t in learnt if normalise(t) in wordings]
    name, rows = next(iter(labelled_sets().items()))
    own = {normalise(v) for _, v in rows}
    fold = bench.exemplars_without({name}, own)
    assert len(fold) < len(load_exemplars()) and not own & {normalise(t) for _, t in fold}


def test_a_value_nearer_an_out_of_domain_wording_abstains(harmoniser):
    # "email" is a synonym of digital information sharing; an e-mail address field is not about it.
    assert harmoniser.match("Email address").term is None
    assert harmoniser.match("email").term.notation == "D6.1.1"


def test_an_exemplar_votes_for_its_option(harmoniser):
    match = harmoniser.match("Care navigation role")
    assert match.term is not None and match.term.notation == "D3.2.1.2"
    assert match.match_type == "semantic"
