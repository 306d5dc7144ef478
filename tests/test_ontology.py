"""The ontology holds every taxonomy row with its annotations, and the hierarchy of the table."""

from __future__ import annotations

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS

from concord_kg import __version__
from concord_kg.build import skos_scheme
from concord_kg.ontology import CKG, ONTOLOGY_IRI, module_paths, resolve_term, taxonomy_terms
from tests.conftest import TAXONOMY_ROWS, read_tsv

#: Terms the papers group under a parent without being a kind of it (reviewed edge by edge, issue 15).
GROUPINGS = {row["notation"]: row["grouped_under"] for row in read_tsv("taxonomy-groupings.tsv")}
#: Concepts outside the taxonomy that evidence and decisions may also concern.
MODEL_CONCEPTS = {CKG.Transition, CKG.CarePlan, CKG.SpecialistCentre}

LEVELS = {
    "domain": CKG.DomainLevel,
    "subdomain": CKG.SubDomainLevel,
    "option": CKG.OptionLevel,
    "example": CKG.ExampleLevel,
}


def _term(graph: Graph, notation: str) -> URIRef:
    subjects = list(graph.subjects(SKOS.notation, Literal(notation)))
    assert len(subjects) == 1, f"{notation}: {len(subjects)} terms carry this notation"
    return subjects[0]


@pytest.mark.parametrize("row", TAXONOMY_ROWS, ids=[r["notation"] for r in TAXONOMY_ROWS])
def test_taxonomy_row_is_an_annotated_class(ontology: Graph, row: dict[str, str]) -> None:
    term = _term(ontology, row["notation"])
    assert (term, RDF.type, OWL.Class) in ontology
    assert ontology.value(term, RDFS.label) == Literal(row["label"], lang="en")
    assert ontology.value(term, SKOS.prefLabel) == Literal(row["label"], lang="en")
    assert len(list(ontology.objects(term, SKOS.definition))) == 1
    assert str(ontology.value(term, SKOS.definition)).strip()
    assert any(str(s).startswith("https://doi.org/") for s in ontology.objects(term, DCTERMS.source))
    assert ontology.value(term, CKG.taxonomyLevel) == LEVELS[row["level"]]
    if row["status"] == "prose":
        assert list(ontology.objects(term, SKOS.editorialNote)), "prose rows need an editorial note"


@pytest.mark.parametrize("row", TAXONOMY_ROWS, ids=[r["notation"] for r in TAXONOMY_ROWS])
def test_hierarchy_matches_the_table(ontology: Graph, row: dict[str, str]) -> None:
    """Every OWL edge is the table's is-a, except the reviewed groupings, which are SKOS-only."""
    term = _term(ontology, row["notation"])
    parent = _term(ontology, row["parent"]) if row["parent"] else CKG.CareCoordinationApproach
    if row["notation"] in GROUPINGS:
        assert GROUPINGS[row["notation"]] == row["parent"]
        assert list(ontology.objects(term, RDFS.subClassOf)) == [CKG.TaxonomySubDomain]
        assert list(ontology.objects(term, SKOS.broader)) == [parent]
    else:
        assert list(ontology.objects(term, RDFS.subClassOf)) == [parent]
        assert list(ontology.objects(term, SKOS.broader)) == []


@pytest.mark.parametrize("row", TAXONOMY_ROWS, ids=[r["notation"] for r in TAXONOMY_ROWS])
def test_skos_scheme_keeps_the_tables_grouping(skos: Graph, ontology: Graph, row: dict[str, str]) -> None:
    term = _term(ontology, row["notation"])
    expected = [_term(ontology, row["parent"])] if row["parent"] else []
    assert list(skos.objects(term, SKOS.broader)) == expected


@pytest.fixture(scope="module")
def skos(ontology: Graph) -> Graph:
    return skos_scheme(ontology)


@pytest.mark.parametrize("row", TAXONOMY_ROWS, ids=[r["notation"] for r in TAXONOMY_ROWS])
def test_table_synonyms_are_alt_labels(ontology: Graph, row: dict[str, str]) -> None:
    term = _term(ontology, row["notation"])
    # Wordings the papers do not use ("key worker", "telehealth") are hidden labels (issue 15).
    alts = {str(a).lower() for p in (SKOS.altLabel, SKOS.hiddenLabel) for a in ontology.objects(term, p)}
    wordings = [w.strip().lower() for w in row["alt_labels_and_example_wordings"].split(";") if w.strip()]
    labels = {
        str(o).lower()
        for p in (SKOS.prefLabel, SKOS.altLabel, SKOS.hiddenLabel)
        for s, o in ontology.subject_objects(p)
    }
    # A table wording may be left off only where it is another term's label (it would be ambiguous).
    for wording in wordings:
        assert wording in alts or wording in labels, f"{row['notation']}: {wording!r} is missing"


def test_all_68_notations_and_nothing_else(ontology: Graph) -> None:
    notations = {t.notation for t in taxonomy_terms(ontology)}
    assert notations == {r["notation"] for r in TAXONOMY_ROWS}
    assert len(notations) == 68


def test_header_metadata(ontology: Graph) -> None:
    assert (ONTOLOGY_IRI, RDF.type, OWL.Ontology) in ontology
    assert ontology.value(ONTOLOGY_IRI, DCTERMS.license) == URIRef(
        "https://creativecommons.org/licenses/by/4.0/"
    )
    sources = {str(s) for s in ontology.objects(ONTOLOGY_IRI, DCTERMS.source)}
    assert {
        "https://doi.org/10.1186/s13023-022-02321-w",
        "https://doi.org/10.1186/s13023-022-02190-3",
        "https://doi.org/10.5334/ijic.5464",
    } <= sources
    assert str(ontology.value(ONTOLOGY_IRI, OWL.versionInfo)) == __version__, (
        "header version = package version"
    )


@pytest.mark.parametrize("path", module_paths(), ids=lambda p: p.name)
def test_every_module_parses_and_uses_the_namespace(path) -> None:
    graph = Graph().parse(path)
    own = [s for s in graph.subjects() if isinstance(s, URIRef) and str(s).startswith(str(CKG))]
    assert own, f"{path.name} defines no concord-kg term"


def test_factors_cover_four_levels_and_link_domains(ontology: Graph) -> None:
    factors = list(ontology.subjects(RDF.type, CKG.Factor))
    levels = {ontology.value(f, CKG.atLevel) for f in factors}
    assert levels == {
        CKG.PatientLevel,
        CKG.ProfessionalLevel,
        CKG.HealthcareEnvironmentLevel,
        CKG.SocietalLevel,
    }
    linked = [f for f in factors if list(ontology.objects(f, CKG.concerns))]
    assert len(linked) >= len(factors) * 0.8


@pytest.mark.parametrize("kind", [CKG.Barrier, CKG.Facilitator], ids=["barrier", "facilitator"])
def test_barriers_and_facilitators_are_complete(ontology: Graph, kind: URIRef) -> None:
    items = list(ontology.subjects(RDF.type, kind))
    assert len(items) >= 8
    for item in items:
        assert len(list(ontology.objects(item, CKG.hasTheme))) == 1, item
        assert ontology.value(item, CKG.atLevel) is not None, item
        # domain links are optional: the paper reports these items for coordination in general
        targets = list(ontology.objects(item, CKG.concerns))
        assert all((t, CKG.taxonomyLevel, None) in ontology for t in targets), item


def test_evidence_items_concern_taxonomy_terms(ontology: Graph) -> None:
    for kind in (CKG.Preference, CKG.Benefit, CKG.Challenge):
        items = list(ontology.subjects(RDF.type, kind))
        assert items, kind
        for item in items:
            for target in ontology.objects(item, CKG.concerns):
                assert (target, CKG.taxonomyLevel, None) in ontology or target in MODEL_CONCEPTS, (
                    item,
                    target,
                )


@pytest.mark.parametrize("key", ["D3.2.1", "Coordinator", "ckg:Coordinator", str(CKG.Coordinator)])
def test_resolve_term_by_notation_name_curie_or_iri(ontology: Graph, key: str) -> None:
    assert resolve_term(ontology, key) == CKG.Coordinator
