"""Mappings to other vocabularies: valid SSSOM, every HL7/FHIR code checked against its stored code system."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from pathlib import Path

import pytest
from rdflib import URIRef
from rdflib.namespace import SKOS
from sssom.parsers import parse_sssom_table
from sssom.validators import validate

from concord_kg.ontology import CKG
from concord_kg.saved_queries import run_saved_query
from concord_kg.store import MAPPINGS_GRAPH, memory_store, ontology_graphs, sssom_graph

ROOT = Path(__file__).parent.parent
MAPPING_FILES = sorted((ROOT / "ontology" / "mappings").glob("*.sssom.tsv"))
HL7 = ROOT / "ontology" / "imports" / "hl7"
PREDICATES = {f"skos:{p}" for p in ("exactMatch", "closeMatch", "broadMatch", "narrowMatch", "relatedMatch")}


def _code_systems() -> dict[str, dict]:
    """Stored code systems by canonical URL: version and code → display (all levels)."""
    systems = {}
    for path in HL7.glob("CodeSystem-*.json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        codes: dict[str, str] = {}
        stack = list(data["concept"])
        while stack:
            concept = stack.pop()
            codes[concept["code"]] = concept.get("display", "")
            stack.extend(concept.get("concept", []))
        systems[data["url"]] = {"version": data["version"], "codes": codes}
    return systems


SYSTEMS = _code_systems()


def _rows(path: Path) -> list[dict[str, str]]:
    body = "".join(
        line for line in path.read_text(encoding="utf-8").splitlines(True) if not line.startswith("#")
    )
    return list(csv.DictReader(io.StringIO(body), delimiter="\t"))


ROWS = [(path, row) for path in MAPPING_FILES for row in _rows(path)]
IDS = [f"{p.stem}:{r['subject_id']}-{r['predicate_id']}-{r['object_id']}" for p, r in ROWS]


def test_there_are_mappings_to_hl7():
    assert MAPPING_FILES and len(ROWS) >= 10


@pytest.mark.parametrize("path", MAPPING_FILES, ids=[p.name for p in MAPPING_FILES])
def test_mapping_file_validates_with_sssom(path):
    msdf = parse_sssom_table(path)
    assert len(msdf.df) == len(_rows(path))
    assert msdf.metadata["license"] == "https://creativecommons.org/licenses/by/4.0/"
    validate(msdf, fail_on_error=True)


@pytest.mark.parametrize(("path", "row"), ROWS, ids=IDS)
def test_mapped_code_exists_in_the_stored_code_system_with_that_display(path, row):
    system = SYSTEMS.get(row["object_source"])
    assert system is not None, f"no stored copy of {row['object_source']} under ontology/imports/hl7/"
    assert system["version"] == row["object_source_version"]
    code = row["object_id"].split(":", 1)[1]
    assert code in system["codes"], f"{code} is not a code of {row['object_source']}"
    assert system["codes"][code] == row["object_label"]


@pytest.mark.parametrize(("path", "row"), ROWS, ids=IDS)
def test_mapping_is_justified_with_an_honest_predicate(path, row, ontology):
    assert row["predicate_id"] in PREDICATES
    assert row["mapping_justification"] == "semapv:ManualMappingCuration"
    assert len(row["comment"].split()) >= 10, "say why this relation and not a stronger or weaker one"
    subject = CKG[row["subject_id"].removeprefix("ckg:")]
    assert str(ontology.value(subject, SKOS.prefLabel)) == row["subject_label"]
    assert "snomed" not in row["object_id"].lower()


def test_mappings_graph_has_the_match_triples_and_labels():
    graph = sssom_graph(MAPPING_FILES)
    telephone = URIRef("http://terminology.hl7.org/CodeSystem/v3-ParticipationMode#PHONE")
    assert (CKG.TelephoneMode, SKOS.closeMatch, telephone) in graph
    assert MAPPINGS_GRAPH in ontology_graphs()


def test_saved_query_lists_the_mappings_from_the_store():
    rows = list(run_saved_query(memory_store(), "mappings-to-other-vocabularies"))
    assert len(rows) == len(ROWS)
    got = {(r["notation"].value, r["relation"].value.rsplit("#", 1)[1], r["targetLabel"].value) for r in rows}
    assert ("D6.2.3", "closeMatch", "telephone") in got
    assert ("D2", "relatedMatch", "CareTeam") in got


def test_mapping_counts_by_vocabulary_and_predicate():
    """The figures the README reports; a change here means the README table needs the same change."""
    counts = Counter((row["object_id"].split(":")[0], row["predicate_id"]) for _, row in ROWS)
    assert counts == {
        ("HL7V3PM", "skos:closeMatch"): 3,
        ("HL7V3PM", "skos:narrowMatch"): 4,
        ("HL7V3PM", "skos:broadMatch"): 1,
        ("HL7V3PM", "skos:relatedMatch"): 2,
        ("fhir", "skos:relatedMatch"): 2,
    }
