"""Release artefacts parse back to the same triples; the SKOS scheme and docs cover every term."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph, Literal
from rdflib.compare import isomorphic
from rdflib.namespace import OWL, RDF, SKOS

from concord_kg import __version__
from concord_kg.build import ARTEFACTS, SCHEME, build_release, release_graph
from concord_kg.ontology import CKG, ONTOLOGY_IRI
from tests.conftest import TAXONOMY_ROWS


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    build_release(out)
    return out


@pytest.mark.parametrize(
    ("kind", "fmt"),
    [("turtle", "turtle"), ("rdfxml", "xml"), ("jsonld", "json-ld")],
    ids=["ttl", "owl", "jsonld"],
)
def test_artefact_parses_back_to_the_release_graph(built: Path, kind: str, fmt: str) -> None:
    parsed = Graph().parse(built / ARTEFACTS[kind], format=fmt)
    assert isomorphic(parsed, release_graph())


def test_version_iri_follows_the_package_version(built: Path) -> None:
    graph = Graph().parse(built / ARTEFACTS["turtle"])
    version_iri = graph.value(ONTOLOGY_IRI, OWL.versionIRI)
    assert str(version_iri) == f"https://w3id.org/concord-kg/releases/{__version__}/concord-kg.ttl"


def test_skos_scheme_has_every_concept_with_its_hierarchy(built: Path) -> None:
    skos = Graph().parse(built / ARTEFACTS["skos"])
    assert (SCHEME, RDF.type, SKOS.ConceptScheme) in skos
    by_notation = {str(n): c for c, n in skos.subject_objects(SKOS.notation)}
    assert set(by_notation) == {r["notation"] for r in TAXONOMY_ROWS}
    for row in TAXONOMY_ROWS:
        concept = by_notation[row["notation"]]
        assert (concept, RDF.type, SKOS.Concept) in skos
        assert (concept, SKOS.inScheme, SCHEME) in skos
        assert skos.value(concept, SKOS.prefLabel) == Literal(row["label"], lang="en")
        if row["parent"]:
            parent = by_notation[row["parent"]]
            assert (concept, SKOS.broader, parent) in skos
            assert (parent, SKOS.narrower, concept) in skos
        else:
            assert (concept, SKOS.topConceptOf, SCHEME) in skos
            assert (SCHEME, SKOS.hasTopConcept, concept) in skos


def test_docs_list_every_term_with_definition(built: Path) -> None:
    html = (built / ARTEFACTS["docs"]).read_text(encoding="utf-8")
    graph = release_graph()
    for term in graph.subjects(SKOS.definition, None):
        if str(term).startswith(str(CKG)):
            anchor = str(term).removeprefix(str(CKG))
            assert f'id="{anchor}"' in html, anchor
    assert "Editorial note" in html


def test_failed_build_keeps_previous_artefacts(built: Path, monkeypatch) -> None:
    before = (built / ARTEFACTS["turtle"]).read_bytes()

    def explode(*args, **kwargs):
        raise RuntimeError("serialiser failed")

    import concord_kg.build as build

    monkeypatch.setattr(build, "render_docs", explode)
    with pytest.raises(RuntimeError):
        build_release(built)
    assert (built / ARTEFACTS["turtle"]).read_bytes() == before
    assert not list(built.rglob("*.tmp"))
