"""Shared fixtures: the real ontology, the canonical domain tables, the decision model."""

from __future__ import annotations

import csv
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from rdflib import Graph

from concord_kg.decision import DecisionModel, load_decision_model
from concord_kg.ontology import CKG, load_ontology

DATA = Path(__file__).parent / "data"
#: The command-line script installed in this environment: what a user runs.
SCRIPT = Path(sys.executable).with_name("concord-kg")


def read_tsv(name: str) -> list[dict[str, str]]:
    """Read one of the canonical domain tables copied into tests/data/domain/."""
    with (DATA / "domain" / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Fail the run if anything imported server/ by a bare name (it installs as concord_kg.server)."""
    if "server" in sys.modules and session.exitstatus == 0:
        sys.stderr.write(f"\n`server` was imported as a top-level module: {sys.modules['server'].__file__}\n")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


TAXONOMY_ROWS = read_tsv("taxonomy.tsv")
MODEL_ROWS = read_tsv("models.tsv")


#: Model 6's answers as RDF: access, lives far, cannot travel, needs a coordinator, clear who to see.
M6_ANSWERS = {
    CKG.hasSpecialistCentreAccess: CKG.SpecialistCentreAccessYes,
    CKG.livesNearSpecialistCentre: CKG.SpecialistCentreProximityNo,
    CKG.canTravelToSpecialistCentre: CKG.TravelAbilityNo,
    CKG.canCoordinateOwnCare: CKG.SelfCoordinationAbilityNo,
    CKG.isClearWhoToSee: CKG.ClarityOfWhoToSeeYes,
}


@pytest.fixture(scope="session")
def ontology() -> Graph:
    """The merged ontology as authored in ontology/ (read-only: copy before changing)."""
    return load_ontology()


@pytest.fixture(scope="session")
def decision(ontology: Graph) -> DecisionModel:
    """The decision procedure compiled from the ontology's model definitions."""
    return load_decision_model(ontology)


@pytest.fixture
def umask() -> Iterator[Callable[[int], int]]:
    """Give ``os.umask`` to set the process's umask for one test; the previous one is put back after."""
    previous = os.umask(0o022)
    os.umask(previous)
    yield os.umask
    os.umask(previous)


@pytest.fixture
def ontology_copy(ontology: Graph) -> Graph:
    """A copy of the merged ontology that a test may change."""
    copy = Graph()
    for triple in ontology:
        copy.add(triple)
    return copy
