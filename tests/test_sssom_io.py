"""The one SSSOM reader: awkward files read, bad files are a MappingError naming file, line and column.

Both readers of SSSOM go through :func:`concord_kg.sssom_io.read_sssom`: the store's (``sssom_graph``,
``concord-kg load``) and the reviewed decisions of ``concord-kg harmonise --mappings``.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Literal, URIRef
from rdflib.namespace import RDFS, SKOS

from concord_kg.cli import main
from concord_kg.errors import MappingError
from concord_kg.harmonise import Harmonisation, Match
from concord_kg.mappings import read_reviewed, write_sssom
from concord_kg.ontology import CKG, term_info
from concord_kg.sssom_io import read_sssom
from concord_kg.store import EmbeddedStore, data_graph, sssom_graph
from tests.conftest import DATA

SSSOM = DATA / "sssom"
INVALID = sorted((SSSOM / "invalid").glob("*.sssom.tsv"))
AWKWARD = SSSOM / "valid" / "awkward-001.sssom.tsv"
#: Cells and header parts the reviewed-decision reader reads too (it needs no subject_id nor predicate_id).
REVIEWED_READS = ("object_id", "curie_map", "YAML")


def _expected(path: Path) -> str:
    text = path.with_name(path.name.removesuffix(".sssom.tsv") + ".expected").read_text(encoding="utf-8")
    return text.strip().replace("{file}", str(path))


@pytest.mark.parametrize("path", INVALID, ids=[p.name for p in INVALID])
def test_bad_sssom_is_a_mapping_error_with_file_line_and_column(path: Path) -> None:
    with pytest.raises(MappingError) as caught:
        sssom_graph([path])
    assert str(caught.value) == _expected(path)
    assert caught.value.source == str(path)
    assert caught.value.line is not None and caught.value.column is not None


@pytest.mark.parametrize("path", INVALID, ids=[p.name for p in INVALID])
def test_load_of_bad_sssom_exits_2_with_one_line_and_writes_nothing(path: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    result = CliRunner().invoke(main, ["load", "--store", str(store), str(path)])
    assert result.exit_code == 2, result.output
    assert result.stderr.strip() == _expected(path)
    assert "Traceback" not in result.output
    assert not store.exists()  # the file is read before the store is opened


REVIEWED_CASES = [p for p in INVALID if any(word in _expected(p) for word in REVIEWED_READS)]


@pytest.mark.parametrize("path", REVIEWED_CASES, ids=[p.name for p in REVIEWED_CASES])
def test_reviewed_reader_gives_the_same_error(path: Path) -> None:
    with pytest.raises(MappingError) as caught:
        read_reviewed([path])
    assert str(caught.value) == _expected(path)


def test_harmonise_with_bad_reviewed_mappings_exits_2(tmp_path: Path) -> None:
    path = SSSOM / "invalid" / "prefix-unknown-001.sssom.tsv"
    data = tmp_path / "survey.csv"
    data.write_text("q3\nkey worker\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["harmonise", str(data), "--column", "q3", "--mappings", str(path)])
    assert result.exit_code == 2, result.output
    assert result.stderr.strip() == _expected(path)


def test_awkward_file_reads_a_second_prefix_for_the_project_namespace() -> None:
    graph = sssom_graph([AWKWARD])
    data = "https://example.org/dataset/Q3%3A%20who%20coordinates/"
    assert set(graph) == {
        (URIRef(data + "k%C3%A4rntner"), SKOS.exactMatch, CKG.Coordinator),
        (CKG.Coordinator, RDFS.label, Literal("Coordinator")),
        (URIRef(data + "nurse"), SKOS.closeMatch, CKG.CareCoordinator),
        (CKG.CareCoordinator, RDFS.label, Literal('Care coordinator (it\'s "nurse-led")')),
    }  # the negated row and the row with no term give no triple


def test_awkward_file_keeps_its_metadata_and_labels() -> None:
    table = read_sssom(AWKWARD)
    assert table.metadata["mapping_set_title"] == 'Column Q3: who "coordinates" — Ärztin, Pflegekraft'
    assert table.prefix_map["ckg2"] == table.prefix_map["ckg"] == str(CKG)
    assert [row.line for row in table] == [9, 10, 11, 12]
    assert table.rows[0].get("subject_label") == 'Koordinatorin "Frau Ä." — Kärnten'


def test_awkward_file_gives_the_reviewed_decisions() -> None:
    reviewed = read_reviewed([AWKWARD], known={str(CKG.Coordinator), str(CKG.CareCoordinator)})
    assert reviewed.fixed == {
        'koordinatorin "frau ä." — kärnten': str(CKG.Coordinator),
        "n/a": "",
        "nurse co-ordinator": str(CKG.CareCoordinator),
    }
    assert reviewed.excluded == {"gp": {str(CKG.CareCoordinator)}}


def test_load_puts_the_matches_of_an_sssom_file_in_its_data_graph(tmp_path: Path) -> None:
    store = tmp_path / "store"
    result = CliRunner().invoke(main, ["load", "--store", str(store), "--graph", "reviewed", str(AWKWARD)])
    assert result.exit_code == 0, result.output
    with EmbeddedStore(store, read_only=True) as opened:
        rows = list(
            opened.query(
                f"SELECT ?s ?o WHERE {{ GRAPH <{data_graph('reviewed')}> {{ ?s <{SKOS.exactMatch}> ?o }} }}"
            )
        )
    assert [(row["s"].value, row["o"].value) for row in rows] == [
        ("https://example.org/dataset/Q3%3A%20who%20coordinates/k%C3%A4rntner", str(CKG.Coordinator))
    ]


def test_written_sssom_with_awkward_values_reads_back(ontology, tmp_path: Path) -> None:
    """Quotes, tabs, a line break, colons and non-ASCII in column and values survive the round trip."""
    term = term_info(ontology, CKG.Coordinator)
    values = ['Q3: "who"\tcoordinates', "Ärztin\nline two", "it's #1: ok"]
    result = Harmonisation(
        [Match(v, term, 1.0, "reviewed", 1) for v in values], source="s.csv", column='Q3: who "coordinates"?'
    )
    handle = io.StringIO()
    write_sssom(result, handle, dataset="survey: 2026 #1")
    path = tmp_path / "reviewed.sssom.tsv"
    path.write_text(handle.getvalue(), encoding="utf-8")
    table = read_sssom(path)
    assert [row.cells["subject_label"] for row in table] == values
    assert [table.iri(row, "object_id") for row in table] == [str(CKG.Coordinator)] * 3
    fixed = read_reviewed([path]).fixed
    assert fixed == {" ".join(v.split()).casefold(): str(CKG.Coordinator) for v in values}
