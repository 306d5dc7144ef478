"""Term pages and search: ``/term/<name or notation>`` (HTML for people, RDF for machines), ``/search``.

Both read the ontology graphs held in memory by the backend (release ontology, SKOS scheme,
SSSOM mappings), so a term added to ``ontology/`` appears here without code changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from flask import Blueprint, Flask, Response, current_app, jsonify, render_template, request
from rdflib import Graph, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS

from concord_kg.errors import QueryError
from concord_kg.harmonise import normalise as harmonise_normalise
from concord_kg.ontology import CKG, prefixes, resolve_term

from .sparql import negotiate

__all__ = ["bp", "init_app", "normalise", "SearchIndex"]

bp = Blueprint("terms", __name__, template_folder="templates")

#: Media types of a term page, the default (for browsers) first.
TERM_TYPES = (
    "text/html",
    "text/turtle",
    "application/ld+json",
    "application/n-triples",
    "application/rdf+xml",
)
_RDFLIB = {
    "text/turtle": "turtle",
    "application/ld+json": "json-ld",
    "application/n-triples": "nt",
    "application/rdf+xml": "xml",
}
_MATCHES = (SKOS.exactMatch, SKOS.closeMatch, SKOS.broadMatch, SKOS.narrowMatch, SKOS.relatedMatch)


def normalise(text: str) -> list[str]:
    """Return the words of ``text`` folded for matching, exactly as harmonisation folds labels.

    >>> normalise("Care co-ordinator organization")
    ['care', 'coordinator', 'organisation']
    """
    return harmonise_normalise(text).split()


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
                for label in self.graph.objects(subject, predicate):
                    labels.append((str(label), weight, tuple(normalise(str(label)))))
            notation = self.graph.value(subject, SKOS.notation)
            main = self.graph.value(subject, SKOS.prefLabel) or self.graph.value(subject, RDFS.label)
            entries.append(
                _Entry(
                    str(subject), str(main), str(notation) if notation else None, tuple(dict.fromkeys(labels))
                )
            )
        return entries

    def search(self, query: str, *, limit: int = 20) -> list[dict]:
        """Return the best-matching terms, best first, with their score and the label that matched.

        :raises QueryError: the text is longer than :data:`MAX_SEARCH_LENGTH` (its cost grows with length).
        """
        if len(query) > MAX_SEARCH_LENGTH:
            raise QueryError(f"search text is at most {MAX_SEARCH_LENGTH} characters, not {len(query):,}")
        words = normalise(query)
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


def search_index() -> SearchIndex:
    """Return the app's search index over the ontology (built once)."""
    extensions = current_app.extensions
    if "concord.search" not in extensions:
        extensions["concord.search"] = SearchIndex(extensions["concord"].ontology())
    return extensions["concord.search"]


@bp.get("/search")
def search() -> Response:
    """Rank terms by how well a label matches ``q`` (case, hyphens and spelling variants ignored)."""
    query = request.args.get("q", "")
    limit = min(max(request.args.get("limit", 20, type=int) or 20, 1), 200)
    return jsonify(query=query, results=search_index().search(query, limit=limit))


@bp.get("/term/<path:key>")
def term(key: str) -> Response:
    """Show one term: an HTML page, or its description as Turtle, JSON-LD, N-Triples or RDF/XML."""
    graph = current_app.extensions["concord"].ontology()
    iri = resolve_term(graph, key)
    media_type = negotiate(TERM_TYPES)
    if media_type != "text/html":
        description = _description(graph, iri)
        kwargs = {"context": prefixes()} if media_type == "application/ld+json" else {}
        body = description.serialize(format=_RDFLIB[media_type], encoding="utf-8", **kwargs)
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


def _link(graph: Graph, node: object) -> dict:
    label = graph.value(node, SKOS.prefLabel) or graph.value(node, RDFS.label)
    text = str(node)
    local = text.removeprefix(str(CKG)) if text.startswith(str(CKG)) else None
    return {"iri": text, "label": str(label) if label else text, "href": f"/term/{local}" if local else text}


def _page(graph: Graph, iri: URIRef) -> dict:
    def texts(predicate: URIRef) -> list[str]:
        return sorted(str(o) for o in graph.objects(iri, predicate))

    def links(nodes: object) -> list[dict]:
        return sorted((_link(graph, n) for n in nodes if isinstance(n, URIRef)), key=lambda d: d["label"])  # type: ignore[attr-defined]

    parents = [*graph.objects(iri, RDFS.subClassOf), *graph.objects(iri, SKOS.broader)]
    children = [*graph.subjects(RDFS.subClassOf, iri), *graph.subjects(SKOS.broader, iri)]
    mappings = [
        {"relation": "skos:" + str(p).removeprefix(str(SKOS)), **_link(graph, o)}
        for p in _MATCHES
        for o in [*graph.objects(iri, p), *graph.subjects(p, iri)]
    ]
    evidence = []
    for item in sorted(graph.subjects(CKG.concerns, iri)):
        kinds = [
            _link(graph, t)["label"] for t in graph.objects(item, RDF.type) if str(t).startswith(str(CKG))
        ]
        evidence.append({**_link(graph, item), "kind": ", ".join(sorted(kinds))})
    return {
        **_link(graph, iri),
        "notation": str(graph.value(iri, SKOS.notation) or ""),
        "definition": str(graph.value(iri, SKOS.definition) or ""),
        "alt_labels": texts(SKOS.altLabel),
        "notes": texts(SKOS.editorialNote) + texts(SKOS.scopeNote) + texts(SKOS.note),
        "examples": texts(SKOS.example),
        "sources": texts(DCTERMS.source),
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
