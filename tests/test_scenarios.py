"""Reading scenarios from tables, in-memory rows and RDF, with every bad row reported at once."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF

from concord_kg.decision import DecisionModel
from concord_kg.errors import ConcordError, InputErrors, ScenarioError
from concord_kg.ontology import CKG
from concord_kg.scenarios import (
    Scenario,
    read_csv_scenarios,
    read_rdf_scenarios,
    read_row_scenarios,
    read_scenarios,
)
from concord_kg.tables import TableFormat
from tests.conftest import M6_ANSWERS

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
SCENARIOS = ROOT / "tests" / "data" / "scenarios"
#: Tables that must be refused, each with its exact errors (tests/data/scenarios/README.md).
INVALID = sorted((SCENARIOS / "invalid").glob("*.csv"))
COLUMNS = [
    "access_to_specialist_centre",
    "lives_near_specialist_centre",
    "can_travel",
    "can_coordinate_own_care",
    "clear_who_to_see",
]


def _answers(scenario: Scenario) -> list[str]:
    """The scenario's answers as notations, ``?`` for unknown."""
    return [v.notation if v is not None else "?" for v in scenario.values]


# --- tables --------------------------------------------------------------------------------------


def test_a_csv_gives_one_scenario_per_row_with_its_line_and_extra_columns(decision: DecisionModel) -> None:
    scenarios = list(read_scenarios(EXAMPLES / "scenarios.csv", decision))
    assert len(scenarios) == 12
    first = scenarios[0]
    assert (first.id, first.line, first.iri) == ("amira", 2, None)
    assert _answers(first) == ["yes"] * 5
    assert [s.line for s in scenarios] == list(range(2, 14))
    assert set(first.extra) == {"description"} and first.extra["description"].startswith("Adult with")
    # The values are the decision model's own objects (the classifier looks them up by identity).
    assert first.values[0] is decision.variables[0].value("yes")


def test_unknown_markers_are_none_only_with_allow_partial(decision: DecisionModel) -> None:
    path = SCENARIOS / "partial" / "unknown-markers-001.csv"
    scenarios = {s.id: _answers(s) for s in read_csv_scenarios(path, decision, allow_partial=True)}
    assert scenarios == {
        "p1": ["yes", "?", "yes", "?", "yes"],
        "p2": ["yes", "yes", "?", "?", "?"],
        "p3": ["no", "?", "?", "?", "no"],
        "p4": ["yes"] * 5,
    }
    with pytest.raises(InputErrors) as caught:
        list(read_csv_scenarios(path, decision))
    assert caught.value.total == 8 and caught.value.rows == 3


def _table_format(path: Path) -> TableFormat | None:
    """The ``TableFormat`` a case's ``.args`` file asks for (``--delimiter X``, ``--encoding X``)."""
    args_file = path.with_suffix(".args")
    if not args_file.exists():
        return None
    words = args_file.read_text(encoding="utf-8").splitlines()
    return TableFormat(
        **{name.removeprefix("--"): value for name, value in zip(words[::2], words[1::2], strict=True)}
    )


@pytest.mark.parametrize("path", INVALID, ids=[p.name for p in INVALID])
def test_bad_tables_raise_every_error_with_file_and_line(path: Path, decision: DecisionModel) -> None:
    with pytest.raises(ConcordError) as caught:
        list(read_scenarios(path, decision, table_format=_table_format(path)))
    expected = path.with_suffix(".expected").read_text(encoding="utf-8").format(file=path)
    assert str(caught.value) + "\n" == expected


def test_good_rows_come_first_and_the_errors_at_the_end(decision: DecisionModel) -> None:
    """Errors are raised once the table is read; rows already given must then be discarded."""
    rows = read_scenarios(SCENARIOS / "invalid" / "id-duplicate-001.csv", decision)
    assert next(rows).id == "s1"
    with pytest.raises(InputErrors, match="duplicate id 's1'"):
        next(rows)


def test_another_id_column_and_further_checked_columns(decision: DecisionModel) -> None:
    """The registry reader's way in: ``patient_id`` as the id, the ORPHAcode column checked cell by cell."""

    def orpha_form(cell: str) -> str | None:
        return None if cell.startswith("ORPHA:") else f"{cell!r} is not written ORPHA:<number>"

    path = EXAMPLES / "registry.csv"
    scenarios = list(read_csv_scenarios(path, decision, id_column="patient_id"))
    assert [s.id for s in scenarios][:2] == ["RR-0001", "RR-0002"] and len(scenarios) == 20
    assert set(scenarios[0].extra) == {"orphacode", "site", "year_of_birth"}
    with pytest.raises(InputErrors) as caught:
        list(read_csv_scenarios(path, decision, id_column="patient_id", checks={"orphacode": orpha_form}))
    assert str(caught.value).splitlines() == [
        f"{path}:4: column orphacode: '558' is not written ORPHA:<number>",
        f"{path}:7: column orphacode: 'Orphanet_586' is not written ORPHA:<number>",
        f"{path}:11: column orphacode: 'http://www.orpha.net/ORDO/Orphanet_636' is not written"
        " ORPHA:<number>",
    ]
    with pytest.raises(InputErrors, match=r"registry.csv:1: column id: missing from the header"):
        list(read_csv_scenarios(path, decision))


# --- rows in memory ------------------------------------------------------------------------------


def _row(ident: str, *cells: object) -> dict[str, object]:
    return {"id": ident, **dict(zip(COLUMNS, cells, strict=True))}


def test_rows_read_numbers_booleans_and_missing_cells_as_a_table_would(decision: DecisionModel) -> None:
    rows = [
        _row("a", 1, True, "yes", 0, False),
        _row("b", "no", None, float("nan"), "n", 1.0),
    ]
    scenarios = list(read_row_scenarios(rows, decision, allow_partial=True))
    assert [(s.id, s.line, _answers(s)) for s in scenarios] == [
        ("a", 2, ["yes", "yes", "yes", "no", "no"]),
        ("b", 3, ["no", "?", "?", "no", "yes"]),
    ]


def test_bad_rows_are_named_by_line_and_source(decision: DecisionModel) -> None:
    rows = [_row("a", "yes", "yes", "yes", "yes", "yes"), _row("b", "yes", "maybe", None, "yes", "yes")]
    with pytest.raises(InputErrors) as caught:
        list(read_row_scenarios(rows, decision, source="survey"))
    lines = str(caught.value).splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("survey:3: column lives_near_specialist_centre: 'maybe' is not one of yes/no")
    assert lines[1] == "survey:3: column can_travel: blank value (use allow_partial=True to accept unknowns)"


def test_no_rows_and_missing_columns_are_errors(decision: DecisionModel) -> None:
    with pytest.raises(InputErrors) as caught:
        list(read_row_scenarios([], decision))
    assert str(caught.value) == "rows: no rows"
    with pytest.raises(InputErrors, match="rows:1: column clear_who_to_see: missing from the header"):
        list(read_row_scenarios([{"id": "a", **dict.fromkeys(COLUMNS[:4], "yes")}], decision))


# --- RDF -----------------------------------------------------------------------------------------

M6 = M6_ANSWERS


def _rdf(
    tmp_path: Path, *scenarios: tuple[str, str | None, dict[URIRef, URIRef]], fmt: str = "turtle"
) -> Path:
    """Write scenarios (IRI, identifier or ``None``, answers) as an RDF file."""
    graph = Graph()
    for iri, ident, answers in scenarios:
        graph.add((URIRef(iri), RDF.type, CKG.Scenario))
        if ident is not None:
            graph.add((URIRef(iri), DCTERMS.identifier, Literal(ident)))
        for prop, value in answers.items():
            graph.add((URIRef(iri), prop, value))
    suffix = {"turtle": ".ttl", "json-ld": ".jsonld", "nt": ".nt"}[fmt]
    path = tmp_path / f"scenarios{suffix}"
    graph.serialize(path, format=fmt, encoding="utf-8")
    return path


@pytest.mark.parametrize("fmt", ["turtle", "json-ld", "nt"])
def test_rdf_scenarios_take_their_identifier_or_else_their_iri(
    tmp_path: Path, decision: DecisionModel, fmt: str
) -> None:
    path = _rdf(tmp_path, ("urn:s:1", "one", M6), ("urn:s:2", None, M6), fmt=fmt)
    scenarios = list(read_scenarios(path, decision))
    assert [(s.id, s.iri, s.line) for s in scenarios] == [
        ("one", URIRef("urn:s:1"), None),
        ("urn:s:2", URIRef("urn:s:2"), None),
    ]
    assert _answers(scenarios[0]) == ["yes", "no", "no", "no", "yes"]


def test_partial_rdf_scenarios_need_allow_partial(tmp_path: Path, decision: DecisionModel) -> None:
    path = _rdf(tmp_path, ("urn:s:1", "one", {CKG.hasSpecialistCentreAccess: CKG.SpecialistCentreAccessNo}))
    (scenario,) = read_rdf_scenarios(path, decision, allow_partial=True)
    assert _answers(scenario) == ["no", "?", "?", "?", "?"]
    with pytest.raises(InputErrors) as caught:
        list(read_rdf_scenarios(path, decision))
    assert len(caught.value.errors) == 4
    assert all(e.term == "urn:s:1" and "missing value: " in e.message for e in caught.value.errors)


def test_a_value_of_the_wrong_variable_is_refused(tmp_path: Path, decision: DecisionModel) -> None:
    path = _rdf(
        tmp_path, ("urn:s:1", "one", {**M6, CKG.canTravelToSpecialistCentre: CKG.ClarityOfWhoToSeeNo})
    )
    with pytest.raises(InputErrors) as caught:
        list(read_scenarios(path, decision))
    assert str(caught.value) == (
        f"{path}: urn:s:1: ability or wish to travel: at most one value, ckg:TravelAbilityYes"
        " or ckg:TravelAbilityNo"
    )


def test_the_same_identifier_twice_is_refused(tmp_path: Path, decision: DecisionModel) -> None:
    path = _rdf(tmp_path, ("urn:s:1", "same", M6), ("urn:s:2", "same", M6))
    with pytest.raises(InputErrors, match="duplicate scenario id 'same'"):
        list(read_scenarios(path, decision))


def test_rdf_without_scenarios_is_refused(tmp_path: Path, decision: DecisionModel) -> None:
    path = tmp_path / "other.ttl"
    graph = Graph()
    graph.add((URIRef("urn:a"), RDF.type, URIRef("urn:Thing")))
    graph.serialize(path, format="turtle")
    with pytest.raises(InputErrors) as caught:
        list(read_scenarios(path, decision))
    assert str(caught.value) == f"{path}: no ckg:Scenario individuals found"


def test_unparsable_and_missing_rdf_files_are_scenario_errors(
    tmp_path: Path, decision: DecisionModel
) -> None:
    broken = ROOT / "tests" / "data" / "validate" / "invalid" / "syntax-error-001.ttl"
    with pytest.raises(InputErrors) as caught:
        list(read_scenarios(broken, decision))
    (error,) = caught.value.errors
    assert isinstance(error, ScenarioError) and error.source == str(broken)
    assert error.message.startswith("not valid Turtle: ") and "\n" not in error.message
    with pytest.raises(InputErrors, match="cannot read: No such file or directory"):
        list(read_scenarios(tmp_path / "absent.ttl", decision))
