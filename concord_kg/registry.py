"""Link rare-disease registry records (ORPHAcodes) to ORDO and to the care-coordination models.

A registry extract is a CSV with ``patient_id``, ``orphacode`` and the five decision-variable
columns of a scenario (extra columns are kept). Each row becomes a :class:`LinkedPatient`: its
ORPHAcode normalised to the ORDO IRI (``http://www.orpha.net/ORDO/Orphanet_<n>``), its scenario
classified by the fast engine of :mod:`concord_kg.classify`. Rows are read by the scenario reader
(:func:`concord_kg.scenarios.read_csv_scenarios`), so bad rows are reported the same way, all at once.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Literal
from urllib.parse import quote
from xml.etree.ElementTree import ParseError, iterparse  # noqa: S405 - ORDO is a file the user chose

from rdflib import Graph, Namespace, URIRef
from rdflib import Literal as RDFLiteral
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, XSD

from concord_kg.classify import Classification, Classifier, scenario_graph
from concord_kg.decision import Model, notation_order
from concord_kg.errors import MappingError, read_error
from concord_kg.files import write_atomic, write_atomic_bytes
from concord_kg.ontology import CKG
from concord_kg.orphanet import ORPHANET_LICENCE, CodeList, hpo_orphanet_codes
from concord_kg.scenarios import Scenario, read_csv_scenarios
from concord_kg.tables import TableFormat, TableSource, source_name
from concord_kg.validate import Report, load_shapes, validate_graph

__all__ = [
    "ORDO",
    "PATIENT_BASE",
    "ID_COLUMN",
    "ORPHACODE_COLUMN",
    "RegistryFormat",
    "LinkedPatient",
    "Linkage",
    "OrdoIndex",
    "normalise_orphacode",
    "orphacode_problem",
    "load_ordo",
    "link_registry",
    "link_file",
    "registry_graph",
    "validate_registry",
]

#: ORDO's namespace: the class of ORPHAcode ``n`` is ``ORDO["Orphanet_<n>"]``.
ORDO = Namespace("http://www.orpha.net/ORDO/")
#: Base of the IRIs given to registry patients (the scenario of patient ``P1`` is ``…/P1/scenario``).
PATIENT_BASE = "https://w3id.org/concord-kg/data/patient/"
#: The CSV column that identifies a patient.
ID_COLUMN = "patient_id"
#: The CSV column that carries the ORPHAcode.
ORPHACODE_COLUMN = "orphacode"

RegistryFormat = Literal["csv", "ttl", "fhir"]

#: Accepted spellings: ``ORPHA:558``, ``558``, ``Orphanet_558``, ``Orphanet:558`` or the ORDO IRI.
_ORPHACODE = re.compile(
    r"^(?:orpha:|orphanet[_:]|https?://www\.orpha\.net/ordo/orphanet_)?\s*([1-9][0-9]{0,8})$", re.IGNORECASE
)
_ACCEPTED = "ORPHA:558, 558, Orphanet_558 or http://www.orpha.net/ORDO/Orphanet_558"


def normalise_orphacode(text: str) -> URIRef | None:
    """Return the ORDO IRI of an ORPHAcode written in any accepted form, or ``None``.

    >>> str(normalise_orphacode("ORPHA:558"))
    'http://www.orpha.net/ORDO/Orphanet_558'
    >>> normalise_orphacode("OMIM:154700") is None
    True
    """
    match = _ORPHACODE.match(text.strip())
    return ORDO[f"Orphanet_{match.group(1)}"] if match else None


def orphacode_problem(text: str) -> str | None:
    """Return why ``text`` is not an ORPHAcode (the cell-check used by the CSV reader), or ``None``."""
    if not text.strip():
        return "blank value"
    if normalise_orphacode(text) is None:
        return f"{text!r} is not an ORPHAcode ({_ACCEPTED})"
    return None


def _code(iri: URIRef) -> str:
    return "ORPHA:" + str(iri).rsplit("_", 1)[-1]


#: The classes of an ORDO file (the same type as the default code list).
OrdoIndex = CodeList


_RDF_NS = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_CLASS = "{http://www.w3.org/2002/07/owl#}Class"
_LABEL = "{http://www.w3.org/2000/01/rdf-schema#}label"
_DEPRECATED = "{http://www.w3.org/2002/07/owl#}deprecated"


def load_ordo(path: Path) -> CodeList:
    """Read the disease classes of Orphanet's ORDO OWL file (RDF/XML), streaming.

    The full ORDO is large, so it is read with ``iterparse`` rather than into an RDF graph: only
    ``owl:Class`` elements with an ``Orphanet_`` IRI, their English ``rdfs:label`` and
    ``owl:deprecated`` are kept.

    :raises MappingError: the file cannot be read or is not RDF/XML with ORDO classes.
    """
    source = str(path)
    classes: dict[str, tuple[str, bool]] = {}
    try:
        for _, element in iterparse(path, events=("end",)):  # noqa: S314 - local file chosen by the user
            if element.tag != _CLASS:
                continue
            about = element.get(_RDF_NS + "about", "")
            if about.startswith(str(ORDO) + "Orphanet_"):
                labels = [e for e in element.findall(_LABEL) if e.get(_XML_LANG, "en") == "en"]
                label = (labels[0].text or "").strip() if labels else ""
                deprecated = any(
                    (e.text or "").strip().lower() == "true" for e in element.findall(_DEPRECATED)
                )
                classes[about] = (label, deprecated or label.upper().startswith("OBSOLETE:"))
            element.clear()
    except OSError as exc:
        raise read_error(exc, error=MappingError, source=source) from exc
    except ParseError as exc:
        raise MappingError(f"not RDF/XML: {exc}", source=source, line=exc.position[0]) from exc
    if not classes:
        raise MappingError("no ORDO classes (owl:Class with an Orphanet_ IRI) found", source=source)
    return CodeList(source=source, classes=classes, description=f"a class of ORDO ({path.name})")


@dataclass(slots=True)
class LinkedPatient:
    """One registry row: its classified scenario, the ORDO IRI, and the ORDO label if known."""

    classification: Classification
    ordo_iri: URIRef
    disease: str | None = None
    obsolete: bool = False

    @property
    def scenario(self) -> Scenario:
        """Return the patient's scenario (id, decision values, extra columns)."""
        return self.classification.scenario

    @property
    def model(self) -> Model | None:
        """Return the model the scenario was placed in (``None`` if none)."""
        return self.classification.model

    @property
    def patient_id(self) -> str:
        """Return the registry's patient identifier."""
        return self.scenario.id

    @property
    def orphacode(self) -> str:
        """Return the ORPHAcode in its ``ORPHA:n`` form."""
        return _code(self.ordo_iri)


@dataclass
class Linkage:
    """The linked patients of one extract, the code list they were checked against, and counts."""

    patients: list[LinkedPatient]
    extra_columns: list[str] = field(default_factory=list)
    codes: CodeList | None = None

    @property
    def ordo(self) -> CodeList | None:
        """Return the code list (kept under its former name)."""
        return self.codes

    @property
    def per_model(self) -> Counter[str]:
        """Return how many patients each model has (key ``""`` for none)."""
        return Counter(p.model.notation if p.model else "" for p in self.patients)

    @property
    def per_disease_model(self) -> Counter[tuple[str, str]]:
        """Return how many patients each (ORPHAcode, model notation) pair has."""
        return Counter((p.orphacode, p.model.notation if p.model else "") for p in self.patients)

    @property
    def obsolete(self) -> list[LinkedPatient]:
        """Return the patients whose ORPHAcode ORDO marks obsolete."""
        return [p for p in self.patients if p.obsolete]

    def __str__(self) -> str:
        counts = ", ".join(
            f"{k or 'none'}: {v}"
            for k, v in sorted(self.per_model.items(), key=lambda kv: notation_order(kv[0]))
        )
        return f"linked {len(self.patients)} patient(s) — {counts}"


def code_check(codes: CodeList) -> Callable[[str], str | None]:
    """Return the cell check of the ORPHAcode column: well-formed, and a disease of ``codes``."""

    def check(text: str) -> str | None:
        iri = normalise_orphacode(text)
        if iri is None:
            return orphacode_problem(text)
        if str(iri) not in codes.classes:
            return f"{_code(iri)} is not {codes.description}"
        return None

    return check


def link_registry(
    path: TableSource,
    *,
    name: str | None = None,
    classifier: Classifier | None = None,
    ordo: CodeList | None = None,
    table_format: TableFormat | None = None,
) -> Linkage:
    """Read a registry extract, check its ORPHAcodes, classify each patient's scenario.

    :param path: a table file, or an open binary stream named ``name`` in errors.
    :param ordo: the diseases the codes must name (default: the Orphanet diseases embedded in hpo3,
        :func:`concord_kg.orphanet.hpo_orphanet_codes`); names and obsolescence are added.
    :raises InputErrors: bad rows (malformed or unknown ORPHAcode, value not yes/no, blank value,
        duplicate ``patient_id``, missing column), all found in one pass and listed as
        ``FILE:ROW: column NAME: message``.
    """
    classifier = classifier or Classifier()
    codes = ordo if ordo is not None else hpo_orphanet_codes()
    scenarios = list(
        read_csv_scenarios(
            path,
            classifier.decision,
            name=name,
            id_column=ID_COLUMN,
            checks={ORPHACODE_COLUMN: code_check(codes)},
            blank_hint=None,
            table_format=table_format,
        )
    )
    return link_scenarios(scenarios, codes, classifier)


def link_scenarios(scenarios: list[Scenario], codes: CodeList, classifier: Classifier) -> Linkage:
    """Classify checked scenarios whose ``extra`` carries a known ORPHAcode (any reader's output)."""
    patients: list[LinkedPatient] = []
    for item in classifier.classify(scenarios):
        iri = normalise_orphacode(item.scenario.extra.pop(ORPHACODE_COLUMN))
        assert iri is not None  # noqa: S101 - the readers' checks rejected every other code
        patients.append(
            LinkedPatient(
                classification=item, ordo_iri=iri, disease=codes.label(iri), obsolete=codes.obsolete(iri)
            )
        )
    extra = list(scenarios[0].extra) if scenarios else []
    return Linkage(patients=patients, extra_columns=extra, codes=codes)


def registry_graph(linkage: Linkage, classifier: Classifier) -> Graph:
    """Return the linked patients as RDF in the shape ``ontology/registry.ttl`` documents.

    Each patient: ``a ckg:RegistryPatient ; dcterms:identifier ; ckg:hasDisease <ORDO IRI> ;
    ckg:hasScenario <scenario>``, the scenario typed ``ckg:Scenario`` and with its model class.
    With ORDO, each disease gets its ``rdfs:label`` and, if obsolete, ``owl:deprecated true``.
    """
    graph = scenario_graph(
        (p.classification for p in linkage.patients),
        classifier.decision,
        iri_of=lambda scenario: _scenario_iri(scenario.id),
    )
    graph.bind("ordo", ORDO)
    for patient in linkage.patients:
        node = URIRef(PATIENT_BASE + quote(patient.patient_id, safe=""))
        graph.add((node, RDF.type, CKG.RegistryPatient))
        graph.add((node, DCTERMS.identifier, RDFLiteral(patient.patient_id)))
        graph.add((node, CKG.hasDisease, patient.ordo_iri))
        graph.add((node, CKG.hasScenario, _scenario_iri(patient.patient_id)))
        if patient.disease:
            graph.add((patient.ordo_iri, RDFS.label, RDFLiteral(patient.disease, lang="en")))
        if patient.obsolete:
            graph.add((patient.ordo_iri, OWL.deprecated, RDFLiteral(True, datatype=XSD.boolean)))
    _credit(graph, linkage)
    return graph


#: The node that carries the credits of a linked extract's disease names.
LINKAGE_NODE = URIRef("https://w3id.org/concord-kg/data/registry-linkage")


def _credit(graph: Graph, linkage: Linkage) -> None:
    """Say where the disease names come from and under which licence (Orphanet CC BY 4.0, HPO terms)."""
    if linkage.codes is None:
        return
    graph.add((LINKAGE_NODE, DCTERMS.source, URIRef("https://www.orpha.net")))
    graph.add((LINKAGE_NODE, DCTERMS.license, URIRef(ORPHANET_LICENCE)))
    graph.add(
        (LINKAGE_NODE, DCTERMS.description, RDFLiteral(f"ORPHAcodes checked against {linkage.codes.source}"))
    )
    for credit in linkage.codes.credits:
        graph.add((LINKAGE_NODE, DCTERMS.bibliographicCitation, RDFLiteral(credit)))


def _scenario_iri(patient_id: str) -> URIRef:
    """Name a patient's scenario under the patient's own IRI."""
    return URIRef(f"{PATIENT_BASE}{quote(patient_id, safe='')}/scenario")


def validate_registry(data: Graph) -> Report:
    """Validate registry RDF with ``shapes/registry.ttl`` plus the scenario shapes its scenarios need."""
    from concord_kg.validate import class_hierarchy

    shapes = load_shapes("registry") + load_shapes("scenario")
    return validate_graph(data, shapes, ontology=class_hierarchy())


#: Columns of the CSV output (then the input's extra columns).
CSV_COLUMNS = ("patient_id", "orphacode", "ordo_iri", "model", "disease", "obsolete")
#: Columns of the ``--summary`` table: one row per ORPHAcode × model (totals per model are its sums).
SUMMARY_COLUMNS = ("orphacode", "disease", "model", "model_label", "patients")
#: Output formats of :func:`link_file`.
OutputFormat = Literal["csv", "ttl", "fhir"]


def _write_rows(handle: IO[str], linkage: Linkage) -> None:
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow((*CSV_COLUMNS, *linkage.extra_columns))
    for p in linkage.patients:
        row = [p.patient_id, p.orphacode, str(p.ordo_iri), p.model.notation if p.model else ""]
        row += [p.disease or "", "true" if p.obsolete else "false"]
        row += [p.scenario.extra.get(c, "") for c in linkage.extra_columns]
        writer.writerow(row)


def summary_rows(linkage: Linkage, classifier: Classifier) -> list[tuple[str, str, str, str, int]]:
    """Return the tidy summary: (orphacode, disease, model, model label, patients), by code then model."""
    labels = {m.notation: m.label for m in classifier.decision.models}
    diseases = {p.orphacode: p.disease or "" for p in linkage.patients}
    pairs = sorted(
        linkage.per_disease_model.items(),
        key=lambda kv: (int(kv[0][0].split(":")[1]), notation_order(kv[0][1])),
    )
    return [(code, diseases[code], model, labels.get(model, ""), n) for (code, model), n in pairs]


def _write_summary(handle: IO[str], linkage: Linkage, classifier: Classifier) -> None:
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(SUMMARY_COLUMNS)
    writer.writerows(summary_rows(linkage, classifier))


def read_extract(
    path: TableSource,
    *,
    name: str | None = None,
    classifier: Classifier,
    codes: CodeList | None = None,
    answers: TableSource | None = None,
    answers_name: str | None = None,
    table_format: TableFormat | None = None,
) -> Linkage:
    """Link a registry extract of any supported kind, chosen by its content.

    A ``.json`` file is a FHIR R4 Bundle (``"resourceType": "Bundle"``) or GA4GH Phenopackets v2
    (one phenopacket, a list, or a cohort; the answers then come from ``answers``); anything else is
    read as our CSV layout.

    :param path: a file, or a binary stream named ``name`` in errors (whose extension says JSON).
    :param answers: the Phenopackets' answers table: a file, or a stream named ``answers_name``.
    :raises InputErrors: every problem of the input, found in one pass.
    """
    codes = codes if codes is not None else hpo_orphanet_codes()
    source = source_name(path, name)
    if Path(source).suffix.lower() == ".json":
        from concord_kg.registry_json import read_json_extract

        scenarios = read_json_extract(
            path, classifier.decision, codes, name=name, answers=answers, answers_name=answers_name
        )
        return link_scenarios(scenarios, codes, classifier)
    if answers is not None:
        raise MappingError("--answers goes with a Phenopackets JSON file", source=source)
    return link_registry(path, name=name, classifier=classifier, ordo=codes, table_format=table_format)


def link_file(
    path: Path,
    out: Path | None = None,
    *,
    fmt: OutputFormat = "csv",
    summary: bool = False,
    ordo: Path | None = None,
    answers: Path | None = None,
    charts: tuple[Path, ...] = (),
    classifier: Classifier | None = None,
    stdout: IO[str] | None = None,
    table_format: TableFormat | None = None,
) -> Linkage:
    """Link the registry extract ``path`` and write rows, a summary, Turtle or FHIR to ``out`` (or stdout).

    The whole input is read and checked before anything is written: a bad input writes nothing.

    :param summary: write the tidy table of patients per ORPHAcode × model instead of one row per patient.
    :param charts: also draw patients per model and disease × model into these ``.png``/``.svg`` files.
    :raises InputErrors: the extract has bad rows (all listed).
    """
    classifier = classifier or Classifier()
    codes = load_ordo(ordo) if ordo is not None else None
    linkage = read_extract(
        path, classifier=classifier, codes=codes, answers=answers, table_format=table_format
    )
    buffer = io.StringIO()
    if summary:
        _write_summary(buffer, linkage, classifier)
    elif fmt == "ttl":
        buffer.write(registry_graph(linkage, classifier).serialize(format="turtle"))
    elif fmt == "fhir":
        from concord_kg.fhir_out import observation_bundle

        buffer.write(observation_bundle(linkage))
    else:
        _write_rows(buffer, linkage)
    rendered = []
    if charts:
        from concord_kg.cohort_chart import render_chart

        rendered = [(chart, render_chart(linkage, classifier, chart.suffix.lstrip("."))) for chart in charts]
    _emit(buffer.getvalue(), out, stdout)
    for chart, data in rendered:
        write_atomic_bytes(chart, data)
    return linkage


def _emit(text: str, out: Path | None, stdout: IO[str] | None) -> None:
    """Write ``text`` to ``out`` (atomically) or to ``stdout``."""
    if out is None:
        import sys

        (stdout or sys.stdout).write(text)
        return
    write_atomic(out, text)
