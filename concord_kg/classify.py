"""Classify patient scenarios into the ten CONCORD models, with explanations.

Two engines give the same answers (a test checks every combination of values):

- ``fast``: the decision table compiled from the OWL model definitions (:mod:`concord_kg.decision`);
- ``hermit`` (reference): the scenarios are added as OWL individuals and the DL reasoner
  infers their model classes.

Explanations and the candidates of partial scenarios always come from the compiled definitions.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
import shutil
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Literal

from rdflib import Graph, URIRef
from rdflib import Literal as RDFLiteral
from rdflib.namespace import DCTERMS, OWL, RDF

from concord_kg.decision import DecisionModel, Model, Outcome, load_decision_model
from concord_kg.errors import ScenarioError
from concord_kg.files import atomic_file
from concord_kg.ontology import CKG, load_ontology
from concord_kg.reasoner import reason
from concord_kg.scenarios import SCENARIO_BASE, Scenario, read_scenarios
from concord_kg.tables import TableFormat

__all__ = [
    "Engine",
    "OutputFormat",
    "Classification",
    "Classifier",
    "classify_file",
    "write_classifications",
    "scenario_graph",
    "classified_graph",
]

Engine = Literal["fast", "hermit"]
OutputFormat = Literal["csv", "json", "ttl"]

#: Columns of the CSV output.
CSV_COLUMNS = ("id", "model", "label", "iri")
#: Output held in memory before it spills to a temporary file (results written to a stream).
_SPOOL_BYTES = 8 * 1024 * 1024


@dataclass(slots=True)
class Classification:
    """A scenario and the model it was placed in (``None`` if its values entail none)."""

    scenario: Scenario
    model: Model | None
    outcome: Outcome

    def as_dict(self) -> dict[str, object]:
        """Return the JSON form: id, model notation, label, IRI, candidates and the explanation."""
        model = self.model
        return {
            "id": self.scenario.id,
            "model": model.notation if model else None,
            "label": model.label if model else None,
            "iri": str(model.iri) if model else None,
            "candidates": [m.notation for m in self.outcome.candidates],
            **({"extra": dict(self.scenario.extra)} if self.scenario.extra else {}),
            "explanation": {
                "because": list(self.outcome.because),
                "ruled_out": {
                    k: v for k, v in self.outcome.ruled_out.items() if not model or k != model.notation
                },
            },
        }


class Classifier:
    """Classify scenarios with the model definitions of one ontology graph."""

    def __init__(self, graph: Graph | None = None) -> None:
        self.graph = graph if graph is not None else load_ontology()
        self.decision: DecisionModel = load_decision_model(self.graph)

    def classify(self, scenarios: Iterable[Scenario], *, engine: Engine = "fast") -> Iterator[Classification]:
        """Yield one :class:`Classification` per scenario, in input order.

        The ``fast`` engine streams; the reasoner engines read all scenarios first.
        """
        if engine == "fast":
            table = self.decision.table
            for scenario in scenarios:
                outcome = table[scenario.values]
                yield Classification(scenario, outcome.model, outcome)
            return
        batch = list(scenarios)
        inferred = self._reason(batch, engine)
        for scenario in batch:
            outcome = self.decision.table[scenario.values]
            yield Classification(scenario, inferred.get(scenario.id), outcome)

    def _reason(self, scenarios: list[Scenario], engine: Engine) -> dict[str, Model | None]:
        """Run the DL reasoner over the scenarios as individuals; return id → inferred model."""
        graph = Graph()
        graph += self.graph
        iris = {}
        for index, scenario in enumerate(scenarios):
            iri = scenario.iri or URIRef(f"{SCENARIO_BASE}n{index}")
            iris[scenario.id] = iri
            _add_scenario(graph, iri, scenario, self.decision, identifier=False)
            graph.add((iri, RDF.type, OWL.NamedIndividual))
        result = reason(graph, reasoner="hermit")
        if not result.consistent or result.world is None:
            raise ScenarioError(f"the reasoner found the scenarios inconsistent: {result.message}")
        by_iri = {str(m.iri): m for m in self.decision.models}
        inferred: dict[str, Model | None] = {}
        for ident, iri in iris.items():
            individual = result.world[str(iri)]
            types = {str(c.iri) for c in individual.INDIRECT_is_a if hasattr(c, "iri")}
            found = [by_iri[t] for t in types if t in by_iri]
            if len(found) > 1:
                names = ", ".join(sorted(m.notation for m in found))
                raise ScenarioError(f"scenario placed in several models: {names}", term=ident)
            inferred[ident] = found[0] if found else None
        return inferred


def scenario_graph(
    classifications: Iterable[Classification],
    decision: DecisionModel,
    *,
    iri_of: Callable[[Scenario], URIRef] | None = None,
) -> Graph:
    """Return the scenarios as RDF, each typed with the model it was placed in.

    :param iri_of: names each scenario (default: its own IRI, else one made from its id).
    """
    graph = Graph()
    graph.bind("ckg", CKG)
    graph.bind("dcterms", DCTERMS)
    for item in classifications:
        if iri_of is not None:
            iri = iri_of(item.scenario)
        else:
            iri = item.scenario.iri or URIRef(SCENARIO_BASE + _iri_safe(item.scenario.id))
        _add_scenario(graph, iri, item.scenario, decision, identifier=True)
        if item.model is not None:
            graph.add((iri, RDF.type, item.model.iri))
    return graph


def classified_graph(
    path: Path, *, classifier: Classifier | None = None, table_format: TableFormat | None = None
) -> Graph:
    """Read a scenario file (CSV, XLSX or RDF), classify it with the fast engine, return it as RDF.

    This is what ``load`` and ``query --data`` store for a scenario table.

    :raises InputErrors: the file has bad rows (nothing is returned).
    """
    classifier = classifier or Classifier()
    scenarios = list(read_scenarios(path, classifier.decision, table_format=table_format))
    return scenario_graph(classifier.classify(scenarios), classifier.decision)


def _add_scenario(
    graph: Graph, iri: URIRef, scenario: Scenario, decision: DecisionModel, *, identifier: bool
) -> None:
    graph.add((iri, RDF.type, CKG.Scenario))
    if identifier:
        graph.add((iri, DCTERMS.identifier, RDFLiteral(scenario.id)))
    for var, value in zip(decision.variables, scenario.values, strict=True):
        if value is not None:
            graph.add((iri, var.iri, value.iri))


def _iri_safe(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")


def classify_file(
    path: Path,
    out: Path | None = None,
    *,
    classifier: Classifier | None = None,
    engine: Engine = "fast",
    fmt: OutputFormat = "csv",
    allow_partial: bool = False,
    progress: bool = False,
    stdout: IO[str] | None = None,
    table_format: TableFormat | None = None,
) -> Counter[str]:
    """Classify every scenario of ``path`` and write the results to ``out`` (or stdout).

    The file is read with :func:`concord_kg.scenarios.read_scenarios` and the results written by
    :func:`write_classifications`: a bad input writes nothing.

    :returns: how many scenarios were placed in each model (key ``""`` for none).
    :raises InputErrors: the input has bad rows (all of them listed).
    """
    classifier = classifier or Classifier()
    scenarios = read_scenarios(
        path, classifier.decision, allow_partial=allow_partial, table_format=table_format
    )
    if progress:
        scenarios = _with_progress(scenarios, path)
    return write_classifications(
        scenarios,
        out,
        classifier=classifier,
        engine=engine,
        fmt=fmt,
        allow_partial=allow_partial,
        stdout=stdout,
    )


def write_classifications(
    scenarios: Iterable[Scenario],
    out: Path | None = None,
    *,
    classifier: Classifier | None = None,
    engine: Engine = "fast",
    fmt: OutputFormat = "csv",
    allow_partial: bool = False,
    stdout: IO[str] | None = None,
) -> Counter[str]:
    """Classify scenarios from any reader (file, rows, stream) and write the results to ``out`` (or stdout).

    Extra input columns are kept: after the result columns in CSV, under ``extra`` in JSON.
    Output is written to a temporary file first and only moved into place (or copied to stdout)
    when the whole input was valid: a reader that raises at the end writes nothing.

    :param allow_partial: the scenarios may have unknown values (CSV output lists the candidates).
    :returns: how many scenarios were placed in each model (key ``""`` for none).
    :raises InputErrors: the reader found bad rows (all of them listed).
    """
    classifier = classifier or Classifier()
    if out is not None:
        with atomic_file(out) as handle:
            counts = _write(
                handle, classifier.classify(scenarios, engine=engine), classifier, fmt, allow_partial
            )
        return counts
    # Standard output gets nothing until the whole input has been read and found valid; the results
    # wait in memory, spilling to a temporary file only when large.
    with tempfile.SpooledTemporaryFile(_SPOOL_BYTES, "w+", encoding="utf-8", newline="") as tmp:
        counts = _write(tmp, classifier.classify(scenarios, engine=engine), classifier, fmt, allow_partial)
        tmp.seek(0)
        shutil.copyfileobj(tmp, stdout or sys.stdout)
    return counts


def _write(
    handle: IO[str], items: Iterator[Classification], classifier: Classifier, fmt: OutputFormat, partial: bool
) -> Counter[str]:
    counts: Counter[str] = Counter()
    if fmt == "csv":
        # The input's extra columns follow ours, named as in its header (from the first scenario).
        first = next(items, None)
        extra_names = list(first.scenario.extra) if first is not None else []
        if first is not None:
            items = itertools.chain([first], items)
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow([*CSV_COLUMNS, *(["candidates"] if partial else []), *extra_names])
        # Each distinct (outcome, model) pair is rendered to CSV once; a row is then its id plus
        # that ready-made tail, written in batches.
        tails: dict[tuple[int, int], str] = {}
        notations: dict[tuple[int, int], str] = {}
        tally: Counter[tuple[int, int]] = Counter()
        batch: list[str] = []
        for item in items:
            key = (id(item.outcome), id(item.model))
            tail = tails.get(key)
            if tail is None:
                tail = tails[key] = _csv_tail(item, partial)
                notations[key] = item.model.notation if item.model else ""
            ident = item.scenario.id
            if _NEEDS_QUOTES.search(ident):
                ident = '"' + ident.replace('"', '""') + '"'
            if extra_names:
                cells = (_csv_cell(item.scenario.extra.get(name, "")) for name in extra_names)
                batch.append(ident + tail[:-1] + "," + ",".join(cells) + "\n")
            else:
                batch.append(ident + tail)
            tally[key] += 1
            if len(batch) == 8192:
                handle.write("".join(batch))
                batch.clear()
        handle.write("".join(batch))
        for key, n in tally.items():
            counts[notations[key]] += n
    elif fmt == "json":
        handle.write("[")
        for n, item in enumerate(items):
            handle.write(",\n" if n else "\n")
            json.dump(item.as_dict(), handle, ensure_ascii=False)
            counts[item.model.notation if item.model else ""] += 1
        handle.write("\n]\n")
    elif fmt == "ttl":
        materialised = list(items)
        for item in materialised:
            counts[item.model.notation if item.model else ""] += 1
        handle.write(scenario_graph(materialised, classifier.decision).serialize(format="turtle"))
    else:
        raise ValueError(f"unknown output format {fmt!r}")
    return counts


_NEEDS_QUOTES = re.compile(r'[",\r\n]|^\s|\s$')


def _csv_cell(text: str) -> str:
    """Quote one CSV cell the way the ids are quoted."""
    return '"' + text.replace('"', '""') + '"' if _NEEDS_QUOTES.search(text) else text


def _csv_tail(item: Classification, partial: bool) -> str:
    """Render the columns after the id (model, label, IRI[, candidates]) as CSV, newline included."""
    model = item.model
    fields = [model.notation, model.label, str(model.iri)] if model else ["", "", ""]
    if partial:
        fields.append(" ".join(m.notation for m in item.outcome.candidates))
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(["", *fields])
    return buffer.getvalue()


def _with_progress(scenarios: Iterator[Scenario], path: Path) -> Iterator[Scenario]:
    """Show a progress bar on stderr (only when it is a terminal) while scenarios are read."""
    if not sys.stderr.isatty():
        yield from scenarios
        return
    import click

    total = _count_lines(path)
    with click.progressbar(length=total, label="classifying", file=sys.stderr) as bar:
        pending = 0
        for scenario in scenarios:
            pending += 1
            if pending == 10_000:
                bar.update(pending)
                pending = 0
            yield scenario
        bar.update(pending)


def _count_lines(path: Path) -> int:
    count = 0
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            count += chunk.count(b"\n")
    return max(count - 1, 1)
