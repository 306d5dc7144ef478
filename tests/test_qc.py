"""`concord-kg check` passes on the ontology and fails, naming the term, on broken copies."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from rdflib import Graph, Literal
from rdflib.namespace import SKOS

from concord_kg.ontology import CKG
from concord_kg.qc import check_ontology
from concord_kg.resources import ontology_dir


@pytest.fixture
def ontology_copy(tmp_path: Path) -> Path:
    target = tmp_path / "ontology"
    shutil.copytree(ontology_dir(), target)
    return target


def _edit(path: Path, change) -> None:
    graph = Graph().parse(path)
    change(graph)
    graph.serialize(path, format="turtle")


@pytest.mark.reasoner
def test_the_ontology_passes_every_check() -> None:
    result = check_ontology()
    assert result.passed, str(result)
    assert result.consistent is True
    assert result.unsatisfiable == []


def test_missing_definition_fails_naming_the_term(ontology_copy: Path) -> None:
    _edit(ontology_copy / "taxonomy.ttl", lambda g: g.remove((CKG.Coordinator, SKOS.definition, None)))
    result = check_ontology(ontology_copy, reasoner=False)
    assert not result.passed
    assert "ckg:Coordinator" in str(result)
    assert "skos:definition" in str(result)


def test_duplicate_notation_fails_naming_both_terms(ontology_copy: Path) -> None:
    _edit(
        ontology_copy / "taxonomy.ttl",
        lambda g: g.set((CKG.ClinicalLead, SKOS.notation, Literal("D3.2.1"))),
    )
    text = str(check_ontology(ontology_copy, reasoner=False))
    assert "FAIL" in text
    assert "ckg:ClinicalLead" in text and "ckg:Coordinator" in text
    assert "D3.2.1" in text


def test_wrong_parent_level_fails(ontology_copy: Path) -> None:
    from rdflib.namespace import RDFS

    def reparent(g: Graph) -> None:
        g.set((CKG.CareCoordinator, RDFS.subClassOf, CKG.ResponsibilityForCoordination))

    _edit(ontology_copy / "taxonomy.ttl", reparent)
    text = str(check_ontology(ontology_copy, reasoner=False))
    assert "ckg:CareCoordinator" in text and "not a taxonomy term one level up" in text


@pytest.mark.reasoner
def test_unsatisfiable_class_is_reported(ontology_copy: Path) -> None:
    from rdflib.namespace import RDFS

    def contradict(g: Graph) -> None:
        g.add((CKG.Model1, RDFS.subClassOf, CKG.Model7))  # M1 needs access, M7 needs none

    _edit(ontology_copy / "models.ttl", contradict)
    result = check_ontology(ontology_copy)
    assert not result.passed
    assert str(CKG.Model1) in result.unsatisfiable


def test_syntax_error_names_file_and_line(ontology_copy: Path) -> None:
    from concord_kg.errors import OntologyLoadError

    path = ontology_copy / "factors.ttl"
    path.write_text(path.read_text(encoding="utf-8") + "\nckg:Broken ckg:has .\n", encoding="utf-8")
    with pytest.raises(OntologyLoadError) as caught:
        check_ontology(ontology_copy, reasoner=False)
    assert "factors.ttl" in str(caught.value)
