"""One store interface: embedded on disk, in memory (``query --data``, tests) and remote answer alike."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from concord_kg.cli import main
from concord_kg.errors import DataLoadError, QueryError
from concord_kg.resources import queries_dir
from concord_kg.saved_queries import SavedQuery, load_saved_query, run_saved_query
from concord_kg.store import (
    GRAPH_BASE,
    META_GRAPH,
    EmbeddedStore,
    MemoryStore,
    OxigraphStore,
    Store,
    data_graph,
    ensure_ontology,
    memory_store,
    ontology_graphs,
)

ROOT = Path(__file__).parent.parent
QUERY_FILES = sorted(queries_dir().glob("*.rq"))
SCENARIOS = ROOT / "examples" / "scenarios.csv"


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedStore]:
    """The ontology loaded into an embedded store on disk, as ``concord-kg load`` does."""
    with EmbeddedStore(tmp_path_factory.mktemp("store") / "store") as store:
        ensure_ontology(store)
        yield store


@pytest.fixture(scope="module")
def memory() -> MemoryStore:
    """The in-memory store of ``concord-kg query``."""
    return memory_store()


def _rows(store: Store, name: str) -> list[str]:
    """Return the rows as sorted text, each value's words sorted (GROUP_CONCAT may join in any order)."""
    solutions = run_saved_query(store, name)
    names = [v.value for v in solutions.variables]
    return sorted(repr([_cell(solution[n]) for n in names]) for solution in solutions)


def _cell(term: object) -> object:
    if term is None:
        return None
    return (type(term).__name__, sorted(str(term.value).split()))  # type: ignore[attr-defined]


def test_both_pyoxigraph_stores_are_stores() -> None:
    assert issubclass(MemoryStore, OxigraphStore) and issubclass(EmbeddedStore, OxigraphStore)
    assert issubclass(OxigraphStore, Store)
    assert not issubclass(MemoryStore, EmbeddedStore)  # "embedded" means a folder on disk


def test_memory_store_holds_the_ontology_graphs_without_bookkeeping(memory: MemoryStore) -> None:
    assert memory.graphs() == sorted(ontology_graphs())
    assert META_GRAPH not in memory.graphs()
    assert memory.meta_hash() is None


@pytest.mark.parametrize("path", QUERY_FILES, ids=[p.name for p in QUERY_FILES])
def test_saved_query_answers_alike_in_memory_and_on_disk(
    path: Path, memory: MemoryStore, embedded: EmbeddedStore
) -> None:
    assert _rows(memory, path.stem) == _rows(embedded, path.stem)


@pytest.mark.parametrize("kind", ["memory", "embedded"])
def test_a_failing_saved_query_names_its_file_on_every_store(
    kind: str, memory: MemoryStore, embedded: EmbeddedStore
) -> None:
    store = memory if kind == "memory" else embedded
    broken = SavedQuery(name="broken", title="Broken", description="A syntax error.", text="SELECT WHERE {")
    with pytest.raises(QueryError, match="saved query 'broken' failed") as caught:
        run_saved_query(store, broken)
    assert caught.value.source == "broken.rq"


def test_a_saved_query_must_answer_solutions(memory: MemoryStore) -> None:
    ask = SavedQuery(name="ask", title="Ask", description="Not a SELECT.", text="ASK { ?s ?p ?o }")
    with pytest.raises(QueryError, match="not a SELECT query"):
        run_saved_query(memory, ask)


def test_memory_store_loads_data_files_into_graphs_named_for_their_stems(tmp_path: Path) -> None:
    turtle = tmp_path / "extra.ttl"
    turtle.write_text("<urn:a> <urn:b> <urn:c> .\n", encoding="utf-8")
    store = memory_store([turtle, SCENARIOS])
    assert {data_graph("extra"), data_graph("scenarios")} <= set(store.graphs())
    rows = run_saved_query(store, load_saved_query("scenarios-per-model"))
    assert sum(int(row["scenarios"].value) for row in rows) == SCENARIOS.read_text().count("\n") - 1


def test_memory_store_refuses_a_bad_file_and_loads_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ttl"
    bad.write_text("<urn:a> <urn:b> .\n", encoding="utf-8")
    with pytest.raises(DataLoadError) as caught:
        memory_store([bad])
    assert caught.value.source == str(bad)


def test_memory_store_is_empty_and_separate() -> None:
    first, second = MemoryStore(), MemoryStore()
    first.load(b"<urn:a> <urn:b> <urn:c> .", media_type="application/n-triples", graph=GRAPH_BASE + "x")
    assert first.quad_count() == 1 and second.quad_count() == 0
    assert second.graphs() == []


def test_query_cli_reads_data_through_the_store_loader(tmp_path: Path) -> None:
    """``query --data`` loads files as ``load`` does: a broken file is the loader's error, exit 2."""
    bad = tmp_path / "broken.ttl"
    bad.write_text("<urn:a> <urn:b> .\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["query", "scenarios-per-model", "--data", str(bad)])
    assert result.exit_code == 2
    assert f"{bad}:1: not valid Turtle" in result.output
