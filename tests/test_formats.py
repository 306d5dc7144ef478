"""One format table (``concord_kg.formats``): every command reads a file's syntax the same way."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from concord_kg.cli import main
from concord_kg.decision import DecisionModel
from concord_kg.formats import (
    GRAPH_MEDIA_TYPES,
    RDF_EXTENSIONS,
    SOLUTION_MEDIA_TYPES,
    format_parameter,
    graph_format,
    media_type_of,
    rdf_format,
    rdflib_format,
    results_format,
)
from concord_kg.ontology import load_graph
from concord_kg.scenarios import read_scenarios
from concord_kg.store import _parse_batch, data_graph, file_batch, memory_store
from concord_kg.validate import read_rdf_file

#: Two scenarios in JSON-LD, saved with the ``.json`` extension.
JSON_SCENARIOS = Path(__file__).parent / "data" / "formats" / "scenarios.json"
#: Triples in JSON_SCENARIOS: two scenarios, each with a type, an identifier and five answers.
TRIPLES = 14


def test_validate_reads_json_as_json_ld() -> None:
    """Issue 14: ``validate x.json`` parsed the JSON as Turtle, while ``classify`` read JSON-LD."""
    result = CliRunner().invoke(main, ["validate", str(JSON_SCENARIOS)])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == "conforms"


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_classify_reads_json_as_json_ld() -> None:
    result = CliRunner().invoke(main, ["classify", str(JSON_SCENARIOS)])
    assert result.exit_code == 0, result.stderr
    assert [(r["id"], r["model"]) for r in _rows(result.stdout)] == [("amira", "M1"), ("ben", "M2")]


def _scenarios_as(tmp_path: Path, extension: str) -> Path:
    """Write JSON_SCENARIOS in the syntax of ``extension`` (triples in the default graph of datasets)."""
    triples = list(ox.parse(path=str(JSON_SCENARIOS), format=ox.RdfFormat.JSON_LD))
    fmt = rdf_format(extension)
    assert fmt is not None
    quads = [ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in triples]
    path = tmp_path / f"scenarios{extension}"
    ox.serialize(quads if fmt.supports_datasets else triples, path, format=fmt)
    return path


@pytest.mark.parametrize("extension", RDF_EXTENSIONS)
def test_every_reader_takes_every_rdf_extension_alike(
    tmp_path: Path, extension: str, decision: DecisionModel
) -> None:
    """validate, classify, load, query --data and the ontology loader read each extension as one syntax."""
    path = _scenarios_as(tmp_path, extension)
    assert len(read_rdf_file(path)) == TRIPLES  # validate
    assert [s.id for s in read_scenarios(path, decision)] == ["amira", "ben"]  # classify
    assert len(_parse_batch(file_batch(path, graph=data_graph("x")))) == TRIPLES  # load
    store = memory_store([path])  # query --data
    count = f"SELECT (COUNT(*) AS ?n) {{ GRAPH <{data_graph(path.stem)}> {{ ?s ?p ?o }} }}"
    assert int(next(iter(store.query(count)))["n"].value) == TRIPLES
    if not rdf_format(extension).supports_datasets:  # rdflib's Graph holds no named graphs
        assert len(load_graph([path])) == TRIPLES


@pytest.mark.parametrize("media_type", GRAPH_MEDIA_TYPES)
def test_graph_media_types_have_a_syntax_for_both_libraries(media_type: str) -> None:
    fmt = graph_format(media_type)
    assert fmt is not None and media_type_of(fmt) == media_type
    assert rdflib_format(media_type) == rdflib_format(fmt)


@pytest.mark.parametrize("media_type", SOLUTION_MEDIA_TYPES)
def test_solution_media_types_have_a_results_format(media_type: str) -> None:
    assert results_format(media_type) is not None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("json", "application/sparql-results+json"),
        ("XML", "application/sparql-results+xml"),
        ("csv", "text/csv"),
        ("tsv", "text/tab-separated-values"),
        ("ttl", "text/turtle"),
        ("turtle", "text/turtle"),
        ("nt", "application/n-triples"),
        ("ntriples", "application/n-triples"),
        ("rdfxml", "application/rdf+xml"),
        ("jsonld", "application/ld+json"),
        ("json-ld", "application/ld+json"),
        ("text/turtle", "text/turtle"),
        ("nonsense", "nonsense"),
    ],
)
def test_format_parameter(value: str, expected: str) -> None:
    assert format_parameter(value) == expected


def test_a_table_is_no_rdf() -> None:
    assert rdf_format(Path("scenarios.csv")) is None and rdf_format(Path("README")) is None
    with pytest.raises(ValueError, match="rdflib does not read or write"):
        rdflib_format("text/csv")
    with pytest.raises(ValueError, match="rdflib does not read or write"):
        rdflib_format(ox.RdfFormat.STREAMING_JSON_LD)
