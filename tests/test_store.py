"""The store: ontology graphs loaded once, reloaded on change, user data into named graphs."""

from __future__ import annotations

from pathlib import Path

import pytest

from concord_kg.errors import DataLoadError, InputErrors
from concord_kg.store import (
    META_GRAPH,
    ONTOLOGY_GRAPH,
    SKOS_GRAPH,
    EmbeddedStore,
    data_graph,
    ensure_ontology,
    load_file,
)

SCENARIOS = (
    "id,access_to_specialist_centre,lives_near_specialist_centre,can_travel,can_coordinate_own_care,"
    "clear_who_to_see\namira,yes,yes,yes,yes,yes\nben,yes,yes,yes,no,yes\n"
)


@pytest.fixture
def store(tmp_path: Path) -> EmbeddedStore:
    with EmbeddedStore(tmp_path / "store") as opened:
        yield opened


def test_first_open_loads_ontology_graphs_then_skips(store: EmbeddedStore) -> None:
    assert ensure_ontology(store) is True
    assert {ONTOLOGY_GRAPH, SKOS_GRAPH, META_GRAPH} <= set(store.graphs())
    assert ensure_ontology(store) is False


def test_changed_hash_reloads(store: EmbeddedStore, monkeypatch: pytest.MonkeyPatch) -> None:
    ensure_ontology(store)
    monkeypatch.setattr("concord_kg.store.ontology_hash", lambda: "changed")
    assert ensure_ontology(store) is True
    assert store.meta_hash() == "changed"


def test_ontology_graph_has_taxonomy(store: EmbeddedStore) -> None:
    ensure_ontology(store)
    ask = store.query(
        f"ASK {{ GRAPH <{SKOS_GRAPH}> {{ ?c a <http://www.w3.org/2004/02/skos/core#Concept> }} }}"
    )
    assert bool(ask)


def test_load_turtle_into_named_graph(store: EmbeddedStore, tmp_path: Path) -> None:
    path = tmp_path / "extra.ttl"
    path.write_text('<http://example.org/a> <http://example.org/b> "c" .\n', encoding="utf-8")
    assert load_file(store, path, graph=data_graph("extra")) == 1
    assert data_graph("extra") in store.graphs()


def test_bad_turtle_writes_nothing(store: EmbeddedStore, tmp_path: Path) -> None:
    path = tmp_path / "bad.ttl"
    path.write_text("<http://example.org/a> <http://example.org/b> .\n", encoding="utf-8")
    with pytest.raises(DataLoadError) as info:
        load_file(store, path, graph=data_graph("bad"))
    assert "bad.ttl" in str(info.value)
    assert data_graph("bad") not in store.graphs()


def test_scenario_csv_is_classified_then_loaded(store: EmbeddedStore, tmp_path: Path) -> None:
    ensure_ontology(store)
    path = tmp_path / "scenarios.csv"
    path.write_text(SCENARIOS, encoding="utf-8")
    count = load_file(store, path, graph=data_graph("scenarios"))
    assert count > 0
    rows = list(
        store.query(
            "PREFIX ckg: <https://w3id.org/concord-kg/> SELECT ?s ?m "
            "WHERE { GRAPH ?g { ?s a ckg:Scenario, ?m } "
            "?m <http://www.w3.org/2000/01/rdf-schema#subClassOf> ckg:CareCoordinationModel }"
        )
    )
    assert rows


def test_bad_scenario_csv_lists_errors(store: EmbeddedStore, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("id,whatever\n1,x\n", encoding="utf-8")
    with pytest.raises(InputErrors):
        load_file(store, path, graph=data_graph("bad"))
    assert data_graph("bad") not in store.graphs()


def test_load_command_embedded(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from concord_kg.cli import main

    data = tmp_path / "extra.ttl"
    data.write_text("<urn:a> <urn:b> <urn:c> .\n", encoding="utf-8")
    store_dir = tmp_path / "store"
    result = CliRunner().invoke(main, ["load", str(data), "--store", str(store_dir), "--graph", "mine"])
    assert result.exit_code == 0, result.output
    assert "1 triples" in result.output
    bad = tmp_path / "bad.ttl"
    bad.write_text("<urn:a> <urn:b> .\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["load", str(bad), "--store", str(store_dir)])
    assert result.exit_code == 2 and "bad.ttl" in result.output
    with EmbeddedStore(store_dir) as store:
        assert data_graph("mine") in store.graphs() and data_graph("bad") not in store.graphs()
