"""Build the release artefacts (``concord-kg build``): merged Turtle, RDF/XML, JSON-LD, SKOS, HTML docs."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS

from concord_kg import __version__
from concord_kg.files import write_atomic
from concord_kg.links import label, shorten
from concord_kg.ontology import CKG, ONTOLOGY_IRI, load_ontology, prefixes, taxonomy_terms

__all__ = [
    "ARTEFACTS",
    "build_release",
    "release_graph",
    "skos_scheme",
    "SCHEME",
    "render_docs",
    "render_vocabulary",
    "vocabulary_sections",
]

#: The taxonomy as a SKOS concept scheme.
SCHEME = CKG.CareCoordinationTaxonomy
#: File names written by :func:`build_release`, relative to the output folder.
ARTEFACTS = {
    "turtle": "concord-kg.ttl",
    "rdfxml": "concord-kg.owl",
    "jsonld": "concord-kg.jsonld",
    "skos": "concord-kg-skos.ttl",
    "docs": "docs/index.html",
    "vocabulary": "docs/vocabulary.html",
}


def release_graph(graph: Graph | None = None, *, version: str = __version__) -> Graph:
    """Return the merged ontology with its version IRI and version info set from the package version."""
    graph = graph if graph is not None else load_ontology()
    merged = Graph()
    for prefix, iri in prefixes().items():
        merged.bind(prefix, iri, override=True)
    merged += graph
    merged.remove((ONTOLOGY_IRI, OWL.versionIRI, None))
    merged.remove((ONTOLOGY_IRI, OWL.versionInfo, None))
    merged.add((ONTOLOGY_IRI, OWL.versionIRI, URIRef(f"{CKG}releases/{version}/concord-kg.ttl")))
    merged.add((ONTOLOGY_IRI, OWL.versionInfo, Literal(version)))
    _name_axiom_annotations(merged)
    return merged


def _name_axiom_annotations(graph: Graph) -> None:
    """Give each reified statement (``owl:Axiom``) a blank-node label derived from the statement it annotates.

    The parser names blank nodes at random, and serialisers order top-level blank nodes by name, so
    without this two builds of the same ontology would differ byte for byte.
    """
    for node in list(graph.subjects(RDF.type, OWL.Axiom)):
        if not isinstance(node, BNode):
            continue
        key = "|".join(
            str(graph.value(node, p))
            for p in (OWL.annotatedSource, OWL.annotatedProperty, OWL.annotatedTarget)
        )
        stable = BNode("axiom" + hashlib.sha1(key.encode("utf-8"), usedforsecurity=False).hexdigest()[:20])
        for p, o in list(graph.predicate_objects(node)):
            graph.remove((node, p, o))
            graph.add((stable, p, o))


def skos_scheme(graph: Graph) -> Graph:
    """Return the taxonomy as a SKOS concept scheme (broader/narrower, inScheme, top concepts).

    The concepts reuse the taxonomy classes' IRIs, so SKOS tools and OWL tools name the same thing.
    """
    scheme = Graph()
    for prefix, iri in prefixes().items():
        scheme.bind(prefix, iri, override=True)
    scheme.add((SCHEME, RDF.type, SKOS.ConceptScheme))
    scheme.add(
        (
            SCHEME,
            SKOS.prefLabel,
            Literal("CONCORD taxonomy of care coordination for rare conditions", lang="en"),
        )
    )
    for p in (DCTERMS.source, DCTERMS.license):
        for o in graph.objects(ONTOLOGY_IRI, p):
            scheme.add((SCHEME, p, o))
    scheme.add((SCHEME, DCTERMS.title, Literal("CONCORD taxonomy of care coordination", lang="en")))
    for term in taxonomy_terms(graph):
        concept = term.iri
        scheme.add((concept, RDF.type, SKOS.Concept))
        scheme.add((concept, SKOS.inScheme, SCHEME))
        for p in (
            SKOS.prefLabel,
            SKOS.altLabel,
            SKOS.hiddenLabel,
            SKOS.definition,
            SKOS.notation,
            SKOS.editorialNote,
            SKOS.example,
            DCTERMS.source,
        ):
            for o in graph.objects(concept, p):
                scheme.add((concept, p, o))
        # A grouping the paper makes without an is-a (D5.3 under D5) is asserted as skos:broader,
        # with the term filed under the general class of sub-domains in OWL; both kinds of parent
        # become SKOS broader links.
        parents = {*graph.objects(concept, RDFS.subClassOf), *graph.objects(concept, SKOS.broader)}
        for parent in parents:
            if (parent, CKG.taxonomyLevel, None) in graph:
                scheme.add((concept, SKOS.broader, parent))
                scheme.add((parent, SKOS.narrower, concept))
            elif parent == CKG.CareCoordinationApproach:
                scheme.add((concept, SKOS.topConceptOf, SCHEME))
                scheme.add((SCHEME, SKOS.hasTopConcept, concept))
    return scheme


def build_release(out: Path, *, graph: Graph | None = None, version: str = __version__) -> dict[str, Path]:
    """Write every artefact into ``out`` (and ``fhir/`` CodeSystem, ValueSets); return their paths by kind.

    Each file is written to a temporary name first and renamed, so a failed build leaves the
    previous artefacts intact.
    """
    release = release_graph(graph, version=version)
    written: dict[str, Path] = {}
    serialisers: dict[str, Callable[[], str]] = {
        "turtle": lambda: release.serialize(format="turtle"),
        "rdfxml": lambda: release.serialize(format="xml"),
        "jsonld": lambda: release.serialize(format="json-ld", context=prefixes(), indent=1),
        "skos": lambda: skos_scheme(release).serialize(format="turtle"),
        "docs": lambda: render_docs(release, version=version),
        "vocabulary": lambda: render_vocabulary(release, version=version),
    }
    for kind, make in serialisers.items():
        path = out / ARTEFACTS[kind]
        write_atomic(path, make())
        written[kind] = path
    from concord_kg.fhir_out import fhir_terminology

    for name, text in fhir_terminology(release, version=version).items():
        path = out / "fhir" / name
        write_atomic(path, text)
        written[f"fhir/{name}"] = path
    return written


def render_docs(graph: Graph, *, version: str = __version__) -> str:
    """Render the HTML documentation: every term with its definition, sources and notes."""
    env = Environment(loader=PackageLoader("concord_kg", "templates"), autoescape=select_autoescape())
    sections = _doc_sections(graph)
    header = {
        "title": str(graph.value(ONTOLOGY_IRI, DCTERMS.title) or "concord-kg"),
        "description": str(graph.value(ONTOLOGY_IRI, DCTERMS.description) or ""),
        "license": str(graph.value(ONTOLOGY_IRI, DCTERMS.license) or ""),
        "sources": sorted(str(s) for s in graph.objects(ONTOLOGY_IRI, DCTERMS.source)),
        "notes": [str(n) for n in graph.objects(ONTOLOGY_IRI, SKOS.editorialNote)],
        "version": version,
        "iri": str(ONTOLOGY_IRI),
    }
    return env.get_template("docs.html").render(header=header, sections=sections)


#: The vocabulary guide's sections: id, title, what the terms are for, the ``rdf:type`` listed.
_VOCABULARY = (
    ("classes", "Classes", "Types of things: the schema, the taxonomy terms and the models.", OWL.Class),
    (
        "object-properties",
        "Object properties",
        "Relations between things (a scenario's answers, links between evidence and options).",
        OWL.ObjectProperty,
    ),
    (
        "datatype-properties",
        "Datatype properties",
        "Properties whose values are literals.",
        OWL.DatatypeProperty,
    ),
    (
        "annotation-properties",
        "Annotation properties",
        "Descriptions of terms (taxonomy level, source sections, statement status).",
        OWL.AnnotationProperty,
    ),
)


def vocabulary_sections(graph: Graph) -> list[dict[str, object]]:
    """Return the ontology's own classes and properties by kind, each with its definition.

    >>> from concord_kg.ontology import load_ontology
    >>> sections = vocabulary_sections(load_ontology())
    >>> [t["definition"][:40] for s in sections for t in s["terms"] if t["curie"] == "ckg:taxonomyLevel"]
    ['The level a term of the care-coordinatio']
    """

    def named(iri: URIRef, predicate: URIRef) -> list[str]:
        return sorted(shorten(o) for o in graph.objects(iri, predicate) if isinstance(o, URIRef))

    sections = []
    for ident, title, about, kind in _VOCABULARY:
        own = sorted(
            s for s in graph.subjects(RDF.type, kind) if isinstance(s, URIRef) and str(s).startswith(str(CKG))
        )
        terms = [
            {
                "curie": shorten(iri),
                "anchor": str(iri).removeprefix(str(CKG)),
                "label": label(graph, iri),
                "definition": str(graph.value(iri, SKOS.definition) or ""),
                "parents": named(iri, RDFS.subClassOf),
                "domain": named(iri, RDFS.domain),
                "range": named(iri, RDFS.range),
            }
            for iri in own
        ]
        properties = kind != OWL.Class
        sections.append(
            {"id": ident, "title": title, "about": about, "terms": terms, "properties": properties}
        )
    return sections


def render_vocabulary(graph: Graph, *, version: str = __version__) -> str:
    """Render the vocabulary guide: every class and property of the ontology with its definition."""
    env = Environment(loader=PackageLoader("concord_kg", "templates"), autoescape=select_autoescape())
    return env.get_template("vocabulary.html").render(
        title=str(graph.value(ONTOLOGY_IRI, DCTERMS.title) or "concord-kg"),
        version=version,
        namespace=str(CKG),
        sections=vocabulary_sections(graph),
    )


def _doc_sections(graph: Graph) -> list[dict[str, object]]:
    """Group the ontology's own terms for the docs: taxonomy, models, findings, other terms."""
    own = sorted(
        {s for s in graph.subjects(RDF.type, None) if isinstance(s, URIRef) and str(s).startswith(str(CKG))}
        - {ONTOLOGY_IRI}
    )
    taxonomy = [t.iri for t in taxonomy_terms(graph)]
    models = sorted(
        (m for m in graph.subjects(RDFS.subClassOf, CKG.CareCoordinationModel) if isinstance(m, URIRef)),
        key=lambda m: len(str(m)),
    )
    models = sorted(
        models, key=lambda m: (len(str(graph.value(m, SKOS.notation))), str(graph.value(m, SKOS.notation)))
    )
    finding_types = (CKG.Factor, CKG.Barrier, CKG.Facilitator, CKG.Preference, CKG.Benefit, CKG.Challenge)
    findings = {
        t: sorted(s for s in graph.subjects(RDF.type, t) if isinstance(s, URIRef)) for t in finding_types
    }
    placed = set(taxonomy) | set(models) | {i for items in findings.values() for i in items}
    sections: list[dict[str, object]] = [
        {"title": "Taxonomy of care coordination", "terms": [_doc_term(graph, t) for t in taxonomy]},
        {"title": "Models of care coordination", "terms": [_doc_term(graph, m) for m in models]},
    ]
    for kind, items in findings.items():
        title = f"{label(graph, kind)} ({len(items)})"
        sections.append({"title": title, "terms": [_doc_term(graph, i) for i in items]})
    rest = [s for s in own if s not in placed]
    sections.append({"title": "Schema and other terms", "terms": [_doc_term(graph, s) for s in rest]})
    return sections


def _doc_term(graph: Graph, iri: URIRef) -> dict[str, object]:
    def texts(p: URIRef) -> list[str]:
        return sorted(str(o) for o in graph.objects(iri, p))

    def links(p: URIRef) -> list[dict[str, str]]:
        return [
            {"iri": str(o), "label": label(graph, o)}
            for o in sorted(o for o in graph.objects(iri, p) if isinstance(o, URIRef))
        ]

    return {
        "iri": str(iri),
        "anchor": str(iri).removeprefix(str(CKG)),
        "label": label(graph, iri),
        "notation": str(graph.value(iri, SKOS.notation) or ""),
        "definition": str(graph.value(iri, SKOS.definition) or ""),
        "alt_labels": texts(SKOS.altLabel),
        "examples": texts(SKOS.example),
        "notes": texts(SKOS.editorialNote),
        "sources": texts(DCTERMS.source),
        "sections": texts(CKG.sourceSection),
        "parents": [link for link in links(RDFS.subClassOf) if link["iri"].startswith(str(CKG))],
        "concerns": links(CKG.concerns),
    }
