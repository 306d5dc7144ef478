"""Term pages and search: ``/term/<name or notation>`` (HTML for people, RDF for machines), ``/search``.

Both read the ontology graphs held in memory by the backend (release ontology, SKOS scheme,
SSSOM mappings), so a term added to ``ontology/`` appears here without code changes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from flask import Blueprint, Flask, Response, jsonify, render_template, request, url_for
from rdflib import Graph, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS
from rdflib.term import Node

from concord_kg.errors import QueryError
from concord_kg.formats import GRAPH_MEDIA_TYPES, rdflib_format
from concord_kg.links import label, shorten, web_href
from concord_kg.ontology import CKG, prefixes, resolve_term
from concord_kg.wording import normalise

from .backend import current_backend
from .sparql import negotiate

__all__ = ["bp", "init_app", "search_words", "SearchIndex", "term_url", "term_link", "linked_hits"]

bp = Blueprint("terms", __name__, template_folder="templates")

#: Media types of a term page, the default (for browsers) first, then the RDF syntaxes.
TERM_TYPES = ("text/html", *GRAPH_MEDIA_TYPES)
_MATCHES = (SKOS.exactMatch, SKOS.closeMatch, SKOS.broadMatch, SKOS.narrowMatch, SKOS.relatedMatch)


def search_words(text: str) -> list[str]:
    """Return the words of ``text`` folded for matching, exactly as harmonisation folds labels.

    >>> search_words("Care co-ordinator organization")
    ['care', 'coordinator', 'organisation']
    """
    return normalise(text).split()


def term_url(iri: str) -> str | None:
    """Return where a term links to: its ``/term/`` page for ontology IRIs, other web IRIs as they are.

    ``None`` for anything that is not ``http``/``https`` (:func:`concord_kg.links.web_href`).
    """
    text = str(iri)
    local = text.removeprefix(str(CKG))
    if local != text and local:
        return url_for("terms.term", key=local)
    return web_href(text)


def term_link(graph: Graph, node: Node) -> dict[str, Any]:
    """Return what a page shows of a term: IRI, label, notation, definition, link (``href`` or ``None``)."""
    return {
        "iri": str(node),
        "label": label(graph, node),
        "notation": str(graph.value(node, SKOS.notation) or ""),
        "definition": str(graph.value(node, SKOS.definition) or ""),
        "href": term_url(str(node)),
    }


def linked_hits(hits: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Add to search hits the link of each term (``href``)."""
    return [{**hit, "href": term_url(hit["iri"])} for hit in hits]


@dataclass(frozen=True)
class _Entry:
    iri: str
    label: str
    notation: str | None
    labels: tuple[tuple[str, float, tuple[str, ...]], ...]  # (text, weight, words)


#: Characters of search text at most: labels are short, and fuzzy matching costs grow with length.
MAX_SEARCH_LENGTH = 200


class SearchIndex:
    """Every labelled term of a graph, matched on preferred and alternative labels and notations."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph

    @cached_property
    def entries(self) -> list[_Entry]:
        """Return one entry per term with a ``skos:prefLabel`` or ``rdfs:label``."""
        entries = []
        subjects = {s for p in (SKOS.prefLabel, RDFS.label) for s in self.graph.subjects(p, None)}
        for subject in subjects:
            if not isinstance(subject, URIRef) or not str(subject).startswith(str(CKG)):
                continue  # other vocabularies' terms (labelled by the mappings) have no page here
            labels = []
            # hidden labels are for search by definition (SKOS); wordings the papers do not use live there
            weighted = (
                (SKOS.prefLabel, 1.0),
                (RDFS.label, 1.0),
                (SKOS.altLabel, 0.85),
                (SKOS.hiddenLabel, 0.8),
            )
            for predicate, weight in weighted:
                for text in self.graph.objects(subject, predicate):
                    labels.append((str(text), weight, tuple(search_words(str(text)))))
            notation = self.graph.value(subject, SKOS.notation)
            entries.append(
                _Entry(
                    str(subject),
                    label(self.graph, subject),
                    str(notation) if notation else None,
                    tuple(dict.fromkeys(labels)),
                )
            )
        return entries

    def search(self, query: str, *, limit: int = 20) -> list[dict[str, Any]]:
        """Return the best-matching terms, best first, with their score and the label that matched.

        :raises QueryError: the text is longer than :data:`MAX_SEARCH_LENGTH` (its cost grows with length).
        """
        if len(query) > MAX_SEARCH_LENGTH:
            raise QueryError(f"search text is at most {MAX_SEARCH_LENGTH} characters, not {len(query):,}")
        words = search_words(query)
        if not words:
            return []
        squashed = "".join(words)
        hits = []
        for entry in self.entries:
            best, matched = 0.0, ""
            if entry.notation and entry.notation.lower() == query.strip().lower():
                best, matched = 100.0, entry.notation
            for text, weight, label_words in entry.labels:
                score = _score(words, squashed, label_words) * weight
                if score > best:
                    best, matched = score, text
            if best > 0:
                hits.append((best, entry, matched))
        hits.sort(key=lambda h: (-h[0], len(h[1].label), h[1].label))
        return [
            {"iri": e.iri, "label": e.label, "notation": e.notation, "score": round(s, 1), "matched": m}
            for s, e, m in hits[:limit]
        ]


def _score(words: list[str], squashed: str, label_words: tuple[str, ...]) -> float:
    label = "".join(label_words)
    if label == squashed:
        return 100.0
    if label.startswith(squashed):
        return 80.0
    if squashed in label:
        return 60.0
    found = sum(1 for w in words if any(lw.startswith(w) for lw in label_words))
    if found == len(words):
        return 50.0
    return 40.0 * found / len(words) if len(words) > 1 else 0.0


@bp.get("/search")
def search() -> Response:
    """Rank terms by how well a label matches ``q`` (case, hyphens and spelling variants ignored)."""
    query = request.args.get("q", "")
    limit = min(max(request.args.get("limit", 20, type=int) or 20, 1), 200)
    results = current_backend().search_index().search(query, limit=limit)
    return jsonify(query=query, results=linked_hits(results))


@bp.get("/term/<path:key>")
def term(key: str) -> Response:
    """Show one term: an HTML page, or its description as Turtle, JSON-LD, N-Triples or RDF/XML."""
    graph = current_backend().ontology()
    iri = resolve_term(graph, key)
    media_type = negotiate(TERM_TYPES)
    if media_type != "text/html":
        description = _description(graph, iri)
        kwargs: dict[str, Any] = {"context": prefixes()} if media_type == "application/ld+json" else {}
        body = description.serialize(format=rdflib_format(media_type), encoding="utf-8", **kwargs)
        response = Response(body, mimetype=media_type)
    else:
        response = Response(render_template("term.html", term=_page(graph, iri)), mimetype="text/html")
    response.vary.add("Accept")
    return response


def _description(graph: Graph, iri: URIRef) -> Graph:
    """Return the term's bounded description, plus the evidence items concerning it and mappings to it."""
    description = graph.cbd(iri)
    for prefix, namespace in prefixes().items():
        description.bind(prefix, namespace, override=True)
    for item in graph.subjects(CKG.concerns, iri):
        description.add((item, CKG.concerns, iri))
    for predicate in _MATCHES:
        for subject in graph.subjects(predicate, iri):
            description.add((subject, predicate, iri))
    return description


def _page(graph: Graph, iri: URIRef) -> dict[str, Any]:
    def texts(predicate: URIRef) -> list[str]:
        return sorted(str(o) for o in graph.objects(iri, predicate))

    def links(nodes: Iterable[Node]) -> list[dict[str, Any]]:
        links = (term_link(graph, n) for n in nodes if isinstance(n, URIRef))
        return sorted(links, key=lambda d: str(d["label"]))

    parents = [*graph.objects(iri, RDFS.subClassOf), *graph.objects(iri, SKOS.broader)]
    children = [*graph.subjects(RDFS.subClassOf, iri), *graph.subjects(SKOS.broader, iri)]
    mappings = [
        {"relation": shorten(p), **term_link(graph, o)}
        for p in _MATCHES
        for o in [*graph.objects(iri, p), *graph.subjects(p, iri)]
    ]
    evidence = []
    for item in sorted(s for s in graph.subjects(CKG.concerns, iri) if isinstance(s, URIRef)):
        kinds = [label(graph, t) for t in graph.objects(item, RDF.type) if str(t).startswith(str(CKG))]
        evidence.append({**term_link(graph, item), "kind": ", ".join(sorted(kinds))})
    return {
        **term_link(graph, iri),
        "alt_labels": texts(SKOS.altLabel),
        "notes": texts(SKOS.editorialNote) + texts(SKOS.scopeNote) + texts(SKOS.note),
        "examples": texts(SKOS.example),
        "sources": [{"text": source, "href": web_href(source)} for source in texts(DCTERMS.source)],
        "sections": texts(CKG.sourceSection),
        "types": links(graph.objects(iri, RDF.type)),
        "parents": links(dict.fromkeys(parents)),
        "children": links(dict.fromkeys(children)),
        "evidence": evidence,
        "mappings": mappings,
    }


def init_app(app: Flask) -> None:
    """Register the term and search routes."""
    app.register_blueprint(bp)
