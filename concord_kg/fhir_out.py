"""Write the taxonomy and models as FHIR terminology, and linked patients as FHIR Observations.

``concord-kg build`` writes ``fhir/CodeSystem-concord-kg.json`` (every taxonomy term and model, coded
by its notation, with its parent as a ``parent`` property) and one ``ValueSet`` per taxonomy domain
plus one for the models, so a FHIR terminology server can host the terms. ``concord-kg link --format
fhir`` writes a ``collection`` Bundle of one ``Observation`` per patient, whose value is the model's
code in that CodeSystem. Everything is derived from the ontology and validated against
``fhir.resources``' R4B models before it is written.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from rdflib import Graph, URIRef
from rdflib.namespace import DCTERMS, RDFS, SKOS

from concord_kg import __version__
from concord_kg.ontology import CKG, ONTOLOGY_IRI, taxonomy_terms

if TYPE_CHECKING:
    from concord_kg.registry import Linkage

__all__ = [
    "CODESYSTEM_URL",
    "VALUESET_BASE",
    "code_system",
    "value_sets",
    "fhir_terminology",
    "observation_bundle",
]

#: Canonical URL of the CodeSystem (the taxonomy namespace, so codes stay next to the terms).
CODESYSTEM_URL = "https://w3id.org/concord-kg/fhir/CodeSystem/concord-kg"
#: Base of the ValueSets' canonical URLs (one per domain, plus ``models``).
VALUESET_BASE = "https://w3id.org/concord-kg/fhir/ValueSet/"
#: The Questionnaire's answers go here: LOINC-free, so the Observation's code is our own.
_OBSERVATION_CODE = {"system": CODESYSTEM_URL, "code": "model", "display": "Care coordination model"}


def _text(graph: Graph, iri: URIRef, predicate: URIRef) -> str | None:
    value = graph.value(iri, predicate)
    return " ".join(str(value).split()) if value is not None else None


def _models(graph: Graph) -> list[URIRef]:
    models = [m for m in graph.subjects(RDFS.subClassOf, CKG.CareCoordinationModel) if isinstance(m, URIRef)]
    return sorted(models, key=lambda m: int(str(graph.value(m, SKOS.notation) or "M0")[1:] or 0))


def code_system(graph: Graph, *, version: str = __version__) -> dict[str, Any]:
    """Return the FHIR CodeSystem of the taxonomy terms and the models (code = notation)."""
    terms = taxonomy_terms(graph)
    notation = {t.iri: t.notation for t in terms if t.notation}
    concepts = []
    for term in terms:
        concept: dict[str, Any] = {"code": term.notation, "display": _text(graph, term.iri, SKOS.prefLabel)}
        definition = _text(graph, term.iri, SKOS.definition)
        if definition:
            concept["definition"] = definition
        properties = [{"code": "iri", "valueString": str(term.iri)}]
        parents = [
            notation[p]
            for p in graph.objects(term.iri, RDFS.subClassOf)
            if isinstance(p, URIRef) and p in notation
        ]
        properties += [{"code": "parent", "valueCode": p} for p in sorted(parents)]
        concept["property"] = properties
        concepts.append(concept)
    for model in _models(graph):
        concepts.append(
            {
                "code": str(graph.value(model, SKOS.notation)),
                "display": _text(graph, model, SKOS.prefLabel) or _text(graph, model, RDFS.label),
                "definition": _text(graph, model, SKOS.definition) or "",
                "property": [{"code": "iri", "valueString": str(model)}],
            }
        )
    concepts.append({"code": "model", "display": "Care coordination model", "definition": _OBSERVATION_DEF})
    return {
        "resourceType": "CodeSystem",
        "id": "concord-kg",
        "url": CODESYSTEM_URL,
        "version": version,
        "name": "ConcordKg",
        "title": _text(graph, ONTOLOGY_IRI, DCTERMS.title) or "concord-kg",
        "status": "active",
        "experimental": False,
        "description": "The CONCORD taxonomy of care coordination for rare conditions and its ten models, "
        "derived from the concord-kg ontology; codes are the terms' notations (D1.2.3, M4).",
        "copyright": "Derived from the CONCORD publications (CC BY 4.0); "
        "see the ontology for each term's source.",
        "caseSensitive": True,
        "hierarchyMeaning": "is-a",
        "content": "complete",
        "count": len(concepts),
        "property": [
            {"code": "parent", "uri": "http://hl7.org/fhir/concept-properties#parent", "type": "code"},
            {"code": "iri", "description": "The term's IRI in the concord-kg ontology", "type": "string"},
        ],
        "concept": concepts,
    }


_OBSERVATION_DEF = (
    "The care coordination model a patient's scenario was placed in (used as an Observation code)."
)


def value_sets(graph: Graph, *, version: str = __version__) -> list[dict[str, Any]]:
    """Return a ValueSet per taxonomy domain (the domain and every term under it) and one of the models."""
    terms = taxonomy_terms(graph)
    notations = [t.notation for t in terms if t.notation]
    sets = []
    for domain in terms:
        code = domain.notation
        if not code or "." in code:
            continue
        codes = [n for n in notations if n == code or n.startswith(code + ".")]
        label = _text(graph, domain.iri, SKOS.prefLabel)
        sets.append(_value_set(f"domain-{code.lower()}", f"{code} {label}", codes, version))
    models = [str(graph.value(m, SKOS.notation)) for m in _models(graph)]
    sets.append(_value_set("models", "The ten care coordination models", models, version))
    return sets


def _value_set(ident: str, title: str, codes: list[str], version: str) -> dict[str, Any]:
    return {
        "resourceType": "ValueSet",
        "id": ident,
        "url": VALUESET_BASE + ident,
        "version": version,
        "name": "".join(part.capitalize() for part in ident.split("-")),
        "title": title,
        "status": "active",
        "compose": {"include": [{"system": CODESYSTEM_URL, "concept": [{"code": c} for c in codes]}]},
    }


def fhir_terminology(graph: Graph, *, version: str = __version__) -> dict[str, str]:
    """Return file name → JSON text of the CodeSystem and ValueSets, each validated first."""
    files = {}
    for resource in [code_system(graph, version=version), *value_sets(graph, version=version)]:
        _validate(resource)
        files[f"{resource['resourceType']}-{resource['id']}.json"] = json.dumps(
            resource, indent=1, ensure_ascii=False
        )
    return files


def _validate(resource: dict[str, Any]) -> None:
    from fhir.resources.R4B import get_fhir_model_class

    get_fhir_model_class(resource["resourceType"]).model_validate(resource)


def observation_bundle(linkage: Linkage) -> str:
    """Return a FHIR ``collection`` Bundle with one Observation per linked patient (validated)."""
    entries = []
    for patient in linkage.patients:
        model = patient.model
        observation: dict[str, Any] = {
            "resourceType": "Observation",
            "status": "final",
            "code": {"coding": [_OBSERVATION_CODE]},
            "subject": {"type": "Patient", "identifier": {"value": patient.patient_id}},
            "focus": [
                {
                    "display": f"{patient.orphacode} {patient.disease or ''}".strip(),
                    "identifier": {
                        "system": "http://www.orpha.net",
                        "value": patient.orphacode.split(":")[1],
                    },
                }
            ],
        }
        if model is not None:
            observation["valueCodeableConcept"] = {
                "coding": [{"system": CODESYSTEM_URL, "code": model.notation, "display": model.label}]
            }
        else:
            observation["dataAbsentReason"] = {"text": "no model for this scenario"}
        entries.append({"resource": observation})
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": entries}
    _validate(bundle)
    return json.dumps(bundle, indent=1, ensure_ascii=False) + "\n"
