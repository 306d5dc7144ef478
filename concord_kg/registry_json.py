"""Read registry extracts exchanged as JSON: FHIR R4 Bundles and GA4GH Phenopackets v2.

Both are turned into the scenarios the CSV reader yields (id, five decision values, the ORPHAcode in
``extra``), so the same classifier and writers serve every input. Errors name where they are:
``Bundle.entry[12].resource(Condition/abc).code: no Orphanet coding`` for FHIR, the phenopacket's
position and subject for Phenopackets, the row for the answers CSV. All of an input's errors are
found in one pass and raised together.

FHIR resources are validated with ``fhir.resources``' R4B models (R4B changed none of the resources
read here); phenopackets are parsed with the ``phenopackets`` package's protobuf classes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from concord_kg.answers import read_answer
from concord_kg.decision import DecisionModel, Value
from concord_kg.errors import ConcordError, InputErrors, ScenarioError, read_error
from concord_kg.orphanet import CodeList
from concord_kg.registry import ID_COLUMN, ORPHACODE_COLUMN, code_check, normalise_orphacode
from concord_kg.scenarios import Scenario, read_csv_scenarios
from concord_kg.tables import TableSource, source_name

__all__ = [
    "QUESTIONNAIRE_URL",
    "ORPHANET_SYSTEMS",
    "read_json_extract",
    "read_fhir_bundle",
    "read_phenopackets",
]

#: Canonical URL of the Questionnaire shipped as ``examples/fhir/concord-questionnaire.json``.
QUESTIONNAIRE_URL = "https://w3id.org/concord-kg/fhir/Questionnaire/concord-scenario"
#: Coding systems read as ORPHAcodes (Orphanet's own system URL and ORDO's namespace).
ORPHANET_SYSTEMS = frozenset(
    {
        "http://www.orpha.net",
        "https://www.orpha.net",
        "http://www.orpha.net/ORDO",
        "http://www.orpha.net/ORDO/",
    }
)
_BUNDLE_TYPES = ("batch", "collection", "transaction")


def read_json_extract(
    path: TableSource,
    decision: DecisionModel,
    codes: CodeList,
    *,
    name: str | None = None,
    answers: TableSource | None = None,
    answers_name: str | None = None,
) -> list[Scenario]:
    """Read a FHIR Bundle or Phenopackets JSON file or stream (told apart by its content).

    :param name: names a stream ``path`` in errors (``answers_name`` names a stream ``answers``).
    :raises InputErrors: unreadable JSON, or every problem the chosen reader finds.
    """
    source = source_name(path, name)
    try:
        data = json.loads(path.read_bytes() if isinstance(path, Path) else path.read())
    except OSError as exc:
        raise InputErrors([read_error(exc, error=ScenarioError, source=source)]) from exc
    except UnicodeDecodeError as exc:
        raise InputErrors([ScenarioError("not UTF-8 text", source=source)]) from exc
    except json.JSONDecodeError as exc:
        raise InputErrors([ScenarioError(f"not JSON: {exc.msg}", source=source, line=exc.lineno)]) from exc
    if isinstance(data, dict) and data.get("resourceType") == "Bundle":
        if answers is not None:
            raise InputErrors(
                [ScenarioError("--answers goes with Phenopackets, not a FHIR Bundle", source=source)]
            )
        return read_fhir_bundle(data, decision, codes, source=source)
    if isinstance(data, dict) and "resourceType" in data:
        message = f"a FHIR {data['resourceType']}: expected a Bundle"
        raise InputErrors([ScenarioError(message, source=source)])
    return read_phenopackets(data, decision, codes, source=source, answers=answers, answers_name=answers_name)


@dataclass
class _Patient:
    """What a bundle says about one patient while it is being read."""

    where: str
    ident: str
    codes: list[tuple[str, str]] = field(default_factory=list)  # (ORPHA IRI, where)
    bad_code: bool = False  # a Condition of this patient had a missing or wrong coding, already reported
    answers: list[tuple[dict[str, str], str]] = field(default_factory=list)  # (linkId → yes/no, where)


def read_fhir_bundle(
    bundle: dict[str, Any], decision: DecisionModel, codes: CodeList, *, source: str
) -> list[Scenario]:
    """Return one scenario per ``Patient`` of a FHIR R4 Bundle (batch, collection or transaction).

    A patient's disease is the Orphanet coding of a ``Condition`` whose subject is that patient (one
    whose ``verificationStatus`` is ``refuted`` or ``entered-in-error`` is left out); its
    five answers are the ``QuestionnaireResponse`` to :data:`QUESTIONNAIRE_URL` about that patient
    (linkIds named after the scenario columns, ``valueBoolean`` or ``valueCoding`` yes/no).
    The patient id is ``Patient.identifier[0].value``, else ``Patient.id``.

    :raises InputErrors: every problem, each as ``Bundle.entry[i].resource(Type/id).element: message``.
    """
    from fhir.resources.R4B import get_fhir_model_class
    from pydantic import ValidationError

    errors: list[ConcordError] = []

    def fail(where: str, message: str) -> None:
        errors.append(ScenarioError(f"{where}: {message}", source=source))

    if bundle.get("type") not in _BUNDLE_TYPES:
        fail("Bundle.type", f"{bundle.get('type')!r} is not one of {', '.join(_BUNDLE_TYPES)}")
    entries = bundle.get("entry") or []
    if not isinstance(entries, list):
        raise InputErrors([ScenarioError("Bundle.entry: not a list", source=source)])
    patients: dict[str, _Patient] = {}
    refs: dict[str, str] = {}
    pending: list[tuple[str, str, dict[str, Any]]] = []
    for i, entry in enumerate(entries):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict):
            fail(f"Bundle.entry[{i}]", "no resource")
            continue
        kind = str(resource.get("resourceType", ""))
        where = f"Bundle.entry[{i}].resource({kind}/{resource.get('id', '')})"
        if kind not in ("Patient", "Condition", "QuestionnaireResponse"):
            continue  # other resources (Encounter, Practitioner...) are not part of the linkage
        try:
            get_fhir_model_class(kind).model_validate(resource)
        except ValidationError as exc:
            for problem in exc.errors():
                element = ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in problem["loc"])
                fail(f"{where}.{element}".replace(".[", "["), problem["msg"])
            continue
        if kind == "Patient":
            identifiers = resource.get("identifier") or []
            ident = str((identifiers[0].get("value") if identifiers else None) or resource.get("id") or "")
            if not ident:
                fail(where, "no identifier and no id")
                continue
            if ident in {p.ident for p in patients.values()}:
                fail(f"{where}.identifier", f"duplicate patient id {ident!r}")
                continue
            patient = _Patient(where=where, ident=ident)
            patients[where] = patient
            if resource.get("id"):
                refs[f"Patient/{resource['id']}"] = where
            if isinstance(entry.get("fullUrl"), str):
                refs[entry["fullUrl"]] = where
        else:
            pending.append((kind, where, resource))
    check = code_check(codes)
    for kind, where, resource in pending:
        reference = (resource.get("subject") or {}).get("reference")
        owner = patients.get(refs.get(str(reference), ""))
        if owner is None:
            fail(f"{where}.subject", f"{reference!r} is not a Patient of this bundle")
            continue
        if kind == "Condition":
            if _ruled_out(resource):
                continue  # a refuted or mistaken diagnosis is not the patient's disease
            found = _orphanet_codings(resource)
            if not found:
                fail(f"{where}.code", "no Orphanet coding (system http://www.orpha.net or an ORDO IRI)")
                owner.bad_code = True
            for element, text in found:
                wrong = check(text)
                if wrong is not None:
                    fail(f"{where}.{element}", wrong)
                    owner.bad_code = True
                else:
                    owner.codes.append((str(normalise_orphacode(text)), where))
        elif resource.get("questionnaire") != QUESTIONNAIRE_URL:
            continue  # answers to other questionnaires are not ours to read
        else:
            values = _answers(resource, where, fail)
            if values is not None:
                owner.answers.append((values, where))
    scenarios = list(_scenarios(patients.values(), decision, fail))
    if not patients and not errors:
        fail("Bundle.entry", "no Patient resources")
    if errors:
        raise InputErrors(errors)
    return scenarios


def _ruled_out(condition: dict[str, Any]) -> bool:
    """Return whether ``Condition.verificationStatus`` is ``refuted`` or ``entered-in-error``."""
    codings = (condition.get("verificationStatus") or {}).get("coding") or []
    return any(c.get("code") in ("refuted", "entered-in-error") for c in codings)


def _orphanet_codings(resource: dict[str, Any]) -> list[tuple[str, str]]:
    """Return (element path, code text) of each Orphanet coding in ``Condition.code``."""
    found = []
    for j, coding in enumerate((resource.get("code") or {}).get("coding") or []):
        system, code = str(coding.get("system") or ""), str(coding.get("code") or "")
        if system.rstrip("/") in {s.rstrip("/") for s in ORPHANET_SYSTEMS} or code.startswith(
            "http://www.orpha.net/ORDO/"
        ):
            found.append((f"code.coding[{j}].code", code))
    return found


def _answers(resource: dict[str, Any], where: str, fail: Any) -> dict[str, str] | None:
    """Return linkId → ``yes``/``no`` of a QuestionnaireResponse, recording bad answers."""
    values: dict[str, str] = {}
    ok = True
    for k, item in enumerate(resource.get("item") or []):
        link = str(item.get("linkId", ""))
        answers = item.get("answer") or []
        element = f"{where}.item[{k}]"
        if len(answers) != 1:
            fail(f"{element}.answer", f"linkId {link}: expected one answer, found {len(answers)}")
            ok = False
            continue
        answer = answers[0]
        if "valueBoolean" in answer:
            values[link] = "yes" if answer["valueBoolean"] else "no"
        elif "valueCoding" in answer and read_answer(str(answer["valueCoding"].get("code", ""))) in (
            "yes",
            "no",
        ):
            values[link] = read_answer(str(answer["valueCoding"]["code"])) or ""
        else:
            fail(f"{element}.answer[0]", f"linkId {link}: expected valueBoolean or valueCoding yes/no")
            ok = False
    return values if ok else None


def _scenarios(patients: Any, decision: DecisionModel, fail: Any) -> Iterator[Scenario]:
    """Yield a scenario per patient with exactly one disease and one complete set of answers."""
    for patient in patients:
        distinct = sorted({iri for iri, _ in patient.codes})
        if not distinct and not patient.bad_code:
            fail(patient.where, "no Condition with an Orphanet coding for this patient")
        elif len(distinct) > 1:
            fail(patient.where, f"several Orphanet diseases ({', '.join(distinct)}); one is expected")
        if len(patient.answers) != 1:
            fail(
                patient.where,
                f"expected one QuestionnaireResponse to {QUESTIONNAIRE_URL}, found {len(patient.answers)}",
            )
            continue
        given, where = patient.answers[0]
        values: list[Value | None] = []
        for var in decision.variables:
            answer = given.get(var.column)
            value = var.value(answer) if answer else None
            if value is None:
                fail(f"{where}.item", f"no answer for linkId {var.column}")
            values.append(value)
        if len(distinct) == 1 and None not in values and not patient.bad_code:
            yield Scenario(id=patient.ident, values=tuple(values), extra={ORPHACODE_COLUMN: distinct[0]})


def read_phenopackets(
    data: Any,
    decision: DecisionModel,
    codes: CodeList,
    *,
    source: str,
    answers: TableSource | None,
    answers_name: str | None = None,
) -> list[Scenario]:
    """Return a scenario per phenopacket: its Orphanet diagnosis joined to ``answers`` by subject id.

    ``data`` is one phenopacket, a list of them, or a cohort (``members``). The disease is the one
    non-excluded ``diseases[].term`` (or ``interpretations[].diagnosis.disease``) with an ``ORPHA:``
    id; the answers CSV has ``patient_id`` and the five scenario columns.

    :raises InputErrors: every problem: bad phenopackets, subjects without answers, answer rows
        without a phenopacket, bad answer rows.
    """
    from google.protobuf.json_format import ParseDict, ParseError
    from phenopackets import Phenopacket

    if answers is None:
        raise InputErrors(
            [
                ScenarioError(
                    "Phenopackets carry no scenario answers: give them with --answers FILE.csv", source=source
                )
            ]
        )
    items = data.get("members") if isinstance(data, dict) and "members" in data else data
    items = items if isinstance(items, list) else [items]
    errors: list[ConcordError] = []
    diseases: dict[str, tuple[str, str]] = {}  # subject id → (code text, where)
    subjects: set[str] = set()
    check = code_check(codes)
    for i, item in enumerate(items):
        where = f"phenopacket[{i}]"
        try:
            packet = ParseDict(item, Phenopacket())
        except (ParseError, TypeError, AttributeError) as exc:
            errors.append(ScenarioError(f"{where}: not a GA4GH Phenopacket v2: {exc}", source=source))
            continue
        subject = packet.subject.id
        where = f"{where}(subject {subject})" if subject else where
        if not subject:
            errors.append(ScenarioError(f"{where}.subject.id: missing", source=source))
            continue
        if subject in subjects:
            errors.append(ScenarioError(f"{where}.subject.id: duplicate subject {subject!r}", source=source))
            continue
        subjects.add(subject)
        terms = [
            (f"diseases[{j}].term.id", d.term.id) for j, d in enumerate(packet.diseases) if not d.excluded
        ]
        terms += [
            (f"interpretations[{j}].diagnosis.disease.id", x.diagnosis.disease.id)
            for j, x in enumerate(packet.interpretations)
            if x.diagnosis.disease.id
        ]
        orpha = {t.upper(): e for e, t in terms if t.upper().startswith("ORPHA:")}
        if len(orpha) != 1:
            found = "no" if not orpha else "several"
            errors.append(
                ScenarioError(f"{where}.diseases: {found} ORPHA: disease (one is expected)", source=source)
            )
            continue
        code, element = next(iter(orpha.items()))
        problem = check(code)
        if problem is not None:
            errors.append(ScenarioError(f"{where}.{element}: {problem}", source=source))
            continue
        diseases[subject] = (code, where)
    rows: dict[str, Scenario] = {}
    answers_source = source_name(answers, answers_name)
    try:
        for scenario in read_csv_scenarios(
            answers, decision, name=answers_source, id_column=ID_COLUMN, blank_hint=None
        ):
            rows[scenario.id] = scenario
    except InputErrors as exc:
        errors.extend(exc.errors)
    for subject, (_, where) in diseases.items():
        if subject not in rows and not any(e.source == answers_source for e in errors):
            errors.append(
                ScenarioError(
                    f"{where}: no row with patient_id {subject!r} in {answers_source}", source=source
                )
            )
    for ident, scenario in rows.items():
        if ident not in subjects:
            errors.append(
                ScenarioError(
                    f"column {ID_COLUMN}: no phenopacket has subject {ident!r}",
                    source=answers_source,
                    line=scenario.line,
                )
            )
    if errors:
        raise InputErrors(errors)
    return [
        Scenario(id=s, values=rows[s].values, line=rows[s].line, extra={ORPHACODE_COLUMN: code})
        for s, (code, _) in diseases.items()
    ]
