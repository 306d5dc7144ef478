"""Run the HermiT OWL reasoner through owlready2 on an rdflib graph."""

from __future__ import annotations

import io
import shutil
from dataclasses import dataclass
from typing import Literal

import owlready2
from rdflib import Graph

from concord_kg.errors import ReasonerError

__all__ = ["Reasoner", "ReasonerResult", "reason", "java_available"]

#: The DL reasoner: HermiT. (The Pellet bundled with owlready2 does not start on Java 17, and no
#: Java 17 build of Pellet or Openllet is packaged on PyPI or Debian, so it is not offered.)
Reasoner = Literal["hermit"]

#: Heap for the reasoner's JVM in MB; owlready2 reads ``owlready2.reasoning.JAVA_MEMORY``
#: (setting ``owlready2.JAVA_MEMORY`` has no effect).
JAVA_MEMORY_MB = 4000


@dataclass
class ReasonerResult:
    """What a reasoner run found: consistency, unsatisfiable classes and the reasoned world."""

    consistent: bool
    unsatisfiable: list[str]
    world: owlready2.World | None
    message: str = ""


#: What to do when a reasoner cannot run.
_HINTS = {
    "hermit": "a Java runtime (11 or newer) must be on the PATH",
}


def _java_problem(exc: Exception) -> str:
    """Return the line of a Java failure that says what went wrong (not a stack frame)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    named = [line for line in lines if "Exception" in line or "Error:" in line]
    text = (named or lines or [type(exc).__name__])[-1 if not named else 0]
    return text.removeprefix('Exception in thread "main" ')[:300]


def java_available() -> bool:
    """Return whether a ``java`` executable is on the PATH (HermiT needs it)."""
    return shutil.which("java") is not None


def reason(
    graph: Graph, *, reasoner: Reasoner = "hermit", infer_property_values: bool = False
) -> ReasonerResult:
    """Load ``graph`` into a fresh owlready2 world and run the reasoner on it.

    :param graph: the ontology (and any individuals) to reason over.
    :param reasoner: ``hermit``.
    :param infer_property_values: also infer property values (slower; not needed for class membership).
    :returns: consistency, the IRIs of unsatisfiable classes, and the world holding inferred types.
    """
    owlready2.reasoning.JAVA_MEMORY = JAVA_MEMORY_MB
    world = owlready2.World()
    data = graph.serialize(format="nt", encoding="utf-8")
    onto = world.get_ontology("https://w3id.org/concord-kg/reasoning-input/")
    onto.load(fileobj=io.BytesIO(data), format="ntriples")
    run = owlready2.sync_reasoner_hermit
    try:
        with onto:
            run(world, infer_property_values=infer_property_values, debug=0)
    except owlready2.OwlReadyInconsistentOntologyError as exc:
        return ReasonerResult(consistent=False, unsatisfiable=[], world=None, message=str(exc).strip())
    except (owlready2.OwlReadyJavaError, OSError) as exc:
        raise ReasonerError(f"{reasoner} could not run: {_java_problem(exc)}", hint=_HINTS[reasoner]) from exc
    unsatisfiable = sorted(c.iri for c in world.inconsistent_classes() if c is not owlready2.Nothing)
    return ReasonerResult(consistent=True, unsatisfiable=unsatisfiable, world=world)
