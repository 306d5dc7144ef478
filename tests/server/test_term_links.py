"""Links to terms: built by the router (``url_for``), and only to web IRIs (no javascript:, data:, file:)."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDFS, SKOS

from concord_kg.ontology import CKG
from concord_kg.server.terms import _page, term_link, term_url

#: Answers that lead the decision aid to a model (M4).
ANSWERS = (
    "access_to_specialist_centre=yes&lives_near_specialist_centre=no&can_travel=yes"
    "&can_coordinate_own_care=no&clear_who_to_see=yes"
)


def test_term_links_are_built_by_the_router(app: Flask) -> None:
    with app.test_request_context("/", base_url="http://localhost/kg/"):
        assert term_url(str(CKG.Coordinator)) == "/kg/term/Coordinator"
        assert term_url("http://www.orpha.net/ORDO/Orphanet_558") == "http://www.orpha.net/ORDO/Orphanet_558"
        assert term_url("javascript:alert(1)") is None


@pytest.mark.parametrize("path", [f"/decide?{ANSWERS}", "/find?q=coordinator", "/term/M4"])
def test_pages_link_terms_under_the_app_root(client: FlaskClient, path: str) -> None:
    page = client.get(path, base_url="http://localhost/kg/").get_data(as_text=True)
    assert 'href="/kg/term/' in page
    assert 'href="/term/' not in page


def test_term_link_and_term_page_refuse_other_schemes(app: Flask) -> None:
    graph = Graph()
    term = CKG.Example
    graph.add((term, SKOS.prefLabel, Literal("Example")))
    graph.add((term, SKOS.exactMatch, URIRef("javascript:alert(1)")))
    graph.add((term, SKOS.closeMatch, URIRef("https://example.org/ok")))
    graph.add((term, RDFS.subClassOf, URIRef("file:///etc/passwd")))
    with app.test_request_context():
        assert term_link(graph, URIRef("data:text/html,x"))["href"] is None
        page = _page(graph, term)
    hrefs = {m["iri"]: m["href"] for m in page["mappings"]}
    assert hrefs == {"javascript:alert(1)": None, "https://example.org/ok": "https://example.org/ok"}
    assert [p["href"] for p in page["parents"]] == [None]
    assert page["href"] == "/term/Example"
