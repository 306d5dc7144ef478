"""Name and link ontology terms: the label people read, the CURIE, and which IRIs may become links.

One rule each, used by the server's pages, the HTML docs, reports and saved-query parameters:

- :func:`label`: ``skos:prefLabel``, else ``rdfs:label``, else the IRI itself;
- :func:`shorten` / :func:`expand`: CURIEs through one :class:`curies.Converter` over the project's
  prefix map (``ontology/context.json``, :func:`concord_kg.ontology.prefixes`);
- :func:`web_href`: only ``http``/``https`` IRIs become links. Data in a store or an uploaded file is
  not trusted: a ``javascript:``, ``data:`` or ``file:`` IRI stays text.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from rdflib import Graph
from rdflib.namespace import RDFS, SKOS
from rdflib.term import Node

if TYPE_CHECKING:
    from curies import Converter

__all__ = ["WEB_SCHEMES", "label", "converter", "shorten", "expand", "web_href"]

#: URL schemes a link may have; anything else (``javascript:``, ``data:``, ``file:``...) is shown as text.
WEB_SCHEMES = frozenset({"http", "https"})


def label(graph: Graph, node: Node) -> str:
    """Return the label people read for ``node``: its ``skos:prefLabel``, else ``rdfs:label``, else the IRI.

    >>> from rdflib import Literal, URIRef
    >>> g = Graph()
    >>> g.add((URIRef("https://example.org/a"), RDFS.label, Literal("A")))  # doctest: +ELLIPSIS
    <Graph ...>
    >>> label(g, URIRef("https://example.org/a")), label(g, URIRef("https://example.org/b"))
    ('A', 'https://example.org/b')
    """
    return str(graph.value(node, SKOS.prefLabel) or graph.value(node, RDFS.label) or node)


@cache
def converter() -> Converter:
    """Return the one CURIE converter, built from the project's prefix map."""
    # Imported here: curies (with pydantic) costs most of a second, which commands that never
    # shorten an IRI should not pay; and concord_kg.ontology itself imports label() from here.
    from curies import Converter

    from concord_kg.ontology import prefixes

    return Converter.from_prefix_map(prefixes())


def shorten(iri: str) -> str:
    """Return ``iri`` as a CURIE when a prefix of the project's map fits, else unchanged.

    >>> shorten("https://w3id.org/concord-kg/Coordinator"), shorten("https://example.org/x")
    ('ckg:Coordinator', 'https://example.org/x')
    """
    return converter().compress(str(iri)) or str(iri)


def expand(curie: str) -> str | None:
    """Return the IRI of a CURIE with a prefix of the project's map, else ``None``.

    >>> expand("skos:Concept"), expand("nope:x"), expand("Coordinator")
    ('http://www.w3.org/2004/02/skos/core#Concept', None, None)
    """
    if ":" not in curie:
        return None
    return converter().expand(curie)


def web_href(iri: str) -> str | None:
    """Return ``iri`` if it may be a link (an ``http``/``https`` URL with a host), else ``None``.

    >>> web_href("https://doi.org/10.1186/x"), web_href("javascript:alert(1)"), web_href("file:///etc/passwd")
    ('https://doi.org/10.1186/x', None, None)
    """
    try:
        parts = urlsplit(str(iri))
    except ValueError:  # e.g. an unbalanced "[" in the host
        return None
    return str(iri) if parts.scheme.lower() in WEB_SCHEMES and parts.netloc else None
