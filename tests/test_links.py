"""Naming and linking terms: one label rule, one CURIE converter, links only to web IRIs."""

from __future__ import annotations

import pytest
from pyoxigraph import NamedNode
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDFS, SKOS

from concord_kg.links import converter, expand, label, shorten, web_href
from concord_kg.ontology import CKG, prefixes
from concord_kg.saved_queries import format_term, parse_term


@pytest.mark.parametrize(
    "iri",
    [
        "https://doi.org/10.1186/s13023-022-02530-1",
        "http://www.orpha.net/ORDO/Orphanet_558",
        "HTTPS://W3ID.ORG/concord-kg/Coordinator",
    ],
)
def test_web_iris_become_links(iri: str) -> None:
    assert web_href(iri) == iri


@pytest.mark.parametrize(
    "iri",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        " javascript:alert(1)",
        "java\tscript:alert(1)",
        "data:text/html;base64,PHNjcmlwdD4=",
        "file:///etc/passwd",
        "vbscript:msgbox(1)",
        "urn:isbn:9781909029194",
        "mailto:someone@example.org",
        "//evil.example/x",
        "/term/Coordinator",
        "http:no-host",
        "http://[::1",
        "",
    ],
)
def test_other_schemes_do_not(iri: str) -> None:
    assert web_href(iri) is None


def test_label_prefers_pref_label_then_rdfs_label_then_the_iri() -> None:
    graph = Graph()
    both, rdfs_only, empty, bare = (URIRef(f"https://example.org/{n}") for n in ("a", "b", "c", "d"))
    graph.add((both, SKOS.prefLabel, Literal("preferred")))
    graph.add((both, RDFS.label, Literal("other")))
    graph.add((rdfs_only, RDFS.label, Literal("rdfs")))
    graph.add((empty, SKOS.prefLabel, Literal("")))
    graph.add((empty, RDFS.label, Literal("fallback")))
    assert [label(graph, n) for n in (both, rdfs_only, empty, bare)] == [
        "preferred",
        "rdfs",
        "fallback",
        "https://example.org/d",
    ]


def test_one_converter_over_the_project_prefix_map() -> None:
    assert converter() is converter()
    assert converter().prefix_map == prefixes()


@pytest.mark.parametrize("prefix", sorted(prefixes()))
def test_every_prefix_shortens_and_expands(prefix: str) -> None:
    iri = prefixes()[prefix] + "Example"
    assert shorten(iri) == f"{prefix}:Example"
    assert expand(f"{prefix}:Example") == iri


def test_unknown_namespaces_stay_whole() -> None:
    assert shorten("https://example.org/x") == "https://example.org/x"
    assert expand("nope:x") is None
    assert expand("Coordinator") is None


@pytest.mark.parametrize(
    ("iri", "text"),
    [
        (str(CKG.Coordinator), "ckg:Coordinator"),
        (str(SKOS.Concept), "skos:Concept"),
        ("http://www.orpha.net/ORDO/Orphanet_558", "ordo:Orphanet_558"),
        (str(CKG) + "data/scenario/p1", "<https://w3id.org/concord-kg/data/scenario/p1>"),
        ("https://example.org/x", "<https://example.org/x>"),
    ],
)
def test_saved_query_parameters_use_the_converter(iri: str, text: str) -> None:
    assert format_term(NamedNode(iri)) == text
    assert parse_term(text) == NamedNode(iri)
