"""Quality control of the ontology (``concord-kg check``): SHACL shapes plus a HermiT run."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph

from concord_kg.decision import load_decision_model
from concord_kg.errors import ConcordError
from concord_kg.ontology import load_ontology
from concord_kg.reasoner import java_available, reason
from concord_kg.validate import Report, load_shapes, validate_graph

__all__ = ["CheckResult", "check_ontology"]


@dataclass
class CheckResult:
    """Outcome of every check: SHACL report, reasoner verdict, model compilation, timings."""

    shacl: Report
    consistent: bool | None
    unsatisfiable: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        """Return whether no check found a violation (warnings and infos do not fail)."""
        return (
            self.shacl.count("Violation") == 0
            and self.consistent is not False
            and not self.unsatisfiable
            and not self.problems
        )

    def __str__(self) -> str:
        lines = []
        violations, warnings = self.shacl.count("Violation"), self.shacl.count("Warning")
        lines.append(
            f"SHACL (shapes/ontology.ttl): {violations} violation(s), {warnings} warning(s), "
            f"{self.shacl.count('Info')} info ({self.seconds.get('shacl', 0):.1f} s)"
        )
        lines.extend(f"  {finding}" for finding in self.shacl.results)
        if self.consistent is None:
            lines.append("HermiT: not run")
        else:
            verdict = "consistent" if self.consistent else "INCONSISTENT"
            lines.append(
                f"HermiT: {verdict}, {len(self.unsatisfiable)} unsatisfiable class(es) "
                f"({self.seconds.get('reasoner', 0):.1f} s)"
            )
            lines.extend(f"  unsatisfiable: {iri}" for iri in self.unsatisfiable)
        lines.append(f"Model definitions: {'compile' if not self.problems else 'FAIL'}")
        lines.extend(f"  {p}" for p in self.problems)
        lines.append("PASS" if self.passed else "FAIL")
        return "\n".join(lines)


def check_ontology(
    directory: Path | None = None, *, reasoner: bool = True, graph: Graph | None = None
) -> CheckResult:
    """Run every quality check on the ontology modules in ``directory`` (default: ``ontology/``).

    :param reasoner: also run HermiT (consistency and unsatisfiable classes).
    :raises OntologyLoadError: a module cannot be parsed (reported with file and line).
    """
    graph = graph if graph is not None else load_ontology(directory)
    seconds: dict[str, float] = {}
    start = time.perf_counter()
    report = validate_graph(graph, load_shapes("ontology"))
    seconds["shacl"] = time.perf_counter() - start
    result = CheckResult(shacl=report, consistent=None, seconds=seconds)
    if reasoner:
        if not java_available():
            result.problems.append("java not found: HermiT needs a Java runtime (install OpenJDK 11+)")
        else:
            start = time.perf_counter()
            verdict = reason(graph)
            seconds["reasoner"] = time.perf_counter() - start
            result.consistent = verdict.consistent
            result.unsatisfiable = verdict.unsatisfiable
    try:
        load_decision_model(graph).table  # noqa: B018 - compiling the table checks the definitions
    except ConcordError as exc:
        result.problems.append(str(exc) + (f" [{exc.term}]" if exc.term else ""))
    return result
