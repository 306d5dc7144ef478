"""Build registry inputs for tests and benchmarks: CSV, the same patients as FHIR and Phenopackets, ORDO.

Each builder writes the format from its specification, independently of the readers under test.
"""

from __future__ import annotations

import csv
import json
import random
import re
from pathlib import Path
from xml.sax.saxutils import escape

COLUMNS = (
    "access_to_specialist_centre",
    "lives_near_specialist_centre",
    "can_travel",
    "can_coordinate_own_care",
    "clear_who_to_see",
)
QUESTIONNAIRE = "https://w3id.org/concord-kg/fhir/Questionnaire/concord-scenario"


def random_rows(n: int, codes: list[int], *, seed: int = 11) -> list[dict[str, str]]:
    """Return ``n`` registry rows with ORPHAcodes drawn from ``codes`` and random yes/no answers."""
    rng = random.Random(seed)  # noqa: S311 - test data, not secrets
    spellings = ["ORPHA:{}", "{}", "Orphanet_{}"]
    return [
        {
            "patient_id": f"P-{i:05d}",
            "orphacode": rng.choice(spellings).format(rng.choice(codes)),
            **{c: rng.choice(["yes", "no"]) for c in COLUMNS},
        }
        for i in range(n)
    ]


def write_csv(rows: list[dict[str, str]], path: Path) -> Path:
    """Write rows with the registry header."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["patient_id", "orphacode", *COLUMNS])
        writer.writeheader()
        writer.writerows(rows)
    return path


def _code(text: str) -> str:
    return re.search(r"([0-9]+)$", text.strip()).group(1)


def fhir_bundle(rows: list[dict[str, str]], *, kind: str = "collection", ordo_iri_every: int = 3) -> dict:
    """Return a FHIR R4 Bundle: per row a Patient, a Condition (Orphanet coding) and a QuestionnaireResponse.

    Every ``ordo_iri_every``-th Condition codes the disease as an ORDO IRI instead of the orpha.net system;
    Conditions and answers reference the patient by ``urn:uuid`` fullUrl or by ``Patient/<id>`` in turn.
    """
    entries = []
    for i, row in enumerate(rows):
        pid = f"pat{i}"
        full = f"urn:uuid:00000000-0000-4000-8000-{i:012d}"
        ref = full if i % 2 else f"Patient/{pid}"
        entries.append(
            {
                "fullUrl": full,
                "resource": {
                    "resourceType": "Patient",
                    "id": pid,
                    "identifier": [{"system": "https://registry.example.org/id", "value": row["patient_id"]}],
                },
            }
        )
        code = _code(row["orphacode"])
        coding = (
            {"system": "http://www.orpha.net/ORDO", "code": f"http://www.orpha.net/ORDO/Orphanet_{code}"}
            if i % ordo_iri_every == 0
            else {"system": "http://www.orpha.net", "code": code}
        )
        entries.append(
            {
                "resource": {
                    "resourceType": "Condition",
                    "id": f"cond{i}",
                    "subject": {"reference": ref},
                    "code": {"coding": [{"system": "http://snomed.info/sct", "code": "000000"}, coding]},
                }
            }
        )
        entries.append(
            {
                "resource": {
                    "resourceType": "QuestionnaireResponse",
                    "id": f"qr{i}",
                    "questionnaire": QUESTIONNAIRE,
                    "status": "completed",
                    "subject": {"reference": ref},
                    "item": [
                        {"linkId": c, "answer": [{"valueBoolean": row[c] == "yes"}]}
                        for c in reversed(COLUMNS)
                    ],
                }
            }
        )
    return {"resourceType": "Bundle", "type": kind, "entry": entries}


def phenopackets(rows: list[dict[str, str]]) -> list[dict]:
    """Return one GA4GH Phenopacket v2 (JSON form) per row, diagnosis as an ORPHA: disease."""
    return [
        {
            "id": f"pp{i}",
            "subject": {"id": row["patient_id"]},
            "diseases": [{"term": {"id": f"ORPHA:{_code(row['orphacode'])}", "label": "disease"}}],
            "metaData": {
                "created": "2026-01-01T00:00:00Z",
                "createdBy": "registry",
                "phenopacketSchemaVersion": "2.0",
                "resources": [
                    {
                        "id": "orpha",
                        "name": "Orphanet",
                        "namespacePrefix": "ORPHA",
                        "url": "https://www.orpha.net",
                        "version": "2025",
                        "iriPrefix": "http://www.orpha.net/ORDO/Orphanet_",
                    }
                ],
            },
        }
        for i, row in enumerate(rows)
    ]


def write_json(data: object, path: Path) -> Path:
    """Write ``data`` as JSON."""
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def write_ordo(path: Path, n: int, *, obsolete_every: int = 50, first: int = 900_000_001) -> Path:
    """Write an ORDO-shaped RDF/XML file of ``n`` SYNTHETIC classes (invented codes and labels).

    Like ORDO: ``owl:Class`` elements with ``rdf:about`` Orphanet IRIs, English and French labels,
    ``efo:definition`` and ``rdfs:subClassOf`` children, and, every ``obsolete_every``-th class,
    an ``OBSOLETE:`` label with ``owl:deprecated true``.
    """
    with path.open("w", encoding="utf-8") as out:
        out.write(
            '<?xml version="1.0"?>\n<rdf:RDF xmlns="http://www.orpha.net/ORDO/"'
            ' xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
            ' xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#" xmlns:owl="http://www.w3.org/2002/07/owl#"'
            ' xmlns:efo="http://www.ebi.ac.uk/efo/">\n'
            '<owl:Ontology rdf:about="http://www.orpha.net/ORDO/synthetic"/>\n'
        )
        for i in range(n):
            code = first + i
            obsolete = i % obsolete_every == obsolete_every - 1
            label = f"{'OBSOLETE: ' if obsolete else ''}Synthetic disorder {code}"
            out.write(
                f'<owl:Class rdf:about="http://www.orpha.net/ORDO/Orphanet_{code}">\n'
                f'  <rdfs:label xml:lang="en">{escape(label)}</rdfs:label>\n'
                f'  <rdfs:label xml:lang="fr">Trouble synthétique {code}</rdfs:label>\n'
                f'  <efo:definition xml:lang="en">An invented disorder, number {code}.</efo:definition>\n'
                f'  <rdfs:subClassOf rdf:resource="http://www.orpha.net/ORDO/Orphanet_{first}"/>\n'
                + (
                    '  <owl:deprecated rdf:datatype="http://www.w3.org/2001/XMLSchema#boolean">true'
                    "</owl:deprecated>\n"
                    if obsolete
                    else ""
                )
                + "</owl:Class>\n"
            )
        out.write("</rdf:RDF>\n")
    return path
