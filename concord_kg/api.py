"""The Python API: the jobs a researcher scripts in a notebook, one function each.

Import them from the package: ``from concord_kg import classify_rows, run_query``. Each works on the
project's ontology (``ontology/``) unless given another graph, and raises the same
:class:`~concord_kg.errors.ConcordError` subclasses the command line reports.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rdflib import Graph

from concord_kg.classify import Classifier, Engine
from concord_kg.ontology import load_ontology

if TYPE_CHECKING:
    from concord_kg.harmonise import Harmonisation
    from concord_kg.registry import Linkage

__all__ = [
    "load_ontology",
    "classify_rows",
    "classify_dataframe",
    "harmonise_column",
    "link_registry",
    "run_query",
]

_classifiers: dict[int, Classifier] = {}


def _classifier(graph: Graph | None) -> Classifier:
    """Return a classifier for ``graph`` (the project's ontology by default), compiled once."""
    key = id(graph)
    if key not in _classifiers:
        _classifiers[key] = Classifier(graph)
    return _classifiers[key]


def classify_rows(
    rows: Iterable[Mapping[str, Any]],
    *,
    allow_partial: bool = False,
    engine: Engine = "fast",
    id_column: str = "id",
    graph: Graph | None = None,
) -> list[dict[str, Any]]:
    """Classify scenarios given as rows (mappings with an id and the five answer columns).

    Answers are read as in scenario tables (yes/no, y/n, true/false, 1/0; with ``allow_partial``
    also blank, NA, unknown...). Each result is the JSON form of ``classify --format json``: id, model
    notation, label, IRI, candidates, explanation, and the row's other columns under ``extra``.

    >>> row = {"id": "p1", "access_to_specialist_centre": "yes", "lives_near_specialist_centre": "no",
    ...        "can_travel": "yes", "can_coordinate_own_care": "no", "clear_who_to_see": "yes"}
    >>> [(r["id"], r["model"]) for r in classify_rows([row])]
    [('p1', 'M4')]

    :param graph: an ontology graph with other model definitions (default: the project's).
    :raises InputErrors: bad rows (every one listed as ``rows:LINE: column NAME: message``).
    """
    from concord_kg.scenarios import read_row_scenarios

    classifier = _classifier(graph)
    scenarios = list(
        read_row_scenarios(rows, classifier.decision, allow_partial=allow_partial, id_column=id_column)
    )
    return [item.as_dict() for item in classifier.classify(scenarios, engine=engine)]


def classify_dataframe(frame: Any, *, allow_partial: bool = False, id_column: str = "id") -> Any:
    """Return a copy of a pandas DataFrame of scenarios with model, model_label and model_iri added.

    >>> import pandas as pd
    >>> frame = pd.DataFrame({"id": ["a", "b"], "access_to_specialist_centre": [1, 0],
    ...     "lives_near_specialist_centre": [1, 0], "can_travel": [1, 0],
    ...     "can_coordinate_own_care": [1, 0], "clear_who_to_see": [0, 0]})
    >>> classify_dataframe(frame)["model"].tolist()
    ['M1', 'M10']

    :raises InputErrors: bad rows (the first data row is line 2, as in a CSV).
    """
    results = classify_rows(frame.to_dict("records"), allow_partial=allow_partial, id_column=id_column)
    return frame.assign(
        model=[r["model"] for r in results],
        model_label=[r["label"] for r in results],
        model_iri=[r["iri"] for r in results],
    )


def harmonise_column(values: Iterable[Any], *, min_confidence: float | None = None) -> Harmonisation:
    """Map every distinct value of a column (a list, a pandas Series...) onto a taxonomy term.

    Blank cells (``None``, NaN, empty text) are left out. The result lists each distinct value once,
    most frequent first, with its term, confidence and match type; ``.mapped_rate`` and ``.summary()``
    describe the whole column.

    >>> result = harmonise_column(["key worker", "key worker", None, "hub and spoke"])
    >>> [(m.value, m.count, m.term.notation) for m in result.matches]
    [('key worker', 2, 'D3.2.1.2'), ('hub and spoke', 1, 'D1.2')]
    """
    from concord_kg.harmonise import harmonise_values
    from concord_kg.tables import cell_text

    return harmonise_values(
        [t for t in (cell_text(v) for v in values) if t.strip()], min_confidence=min_confidence
    )


def link_registry(path: str | Path, *, ordo: str | Path | None = None) -> Linkage:
    """Link a registry extract (CSV or XLSX): ORPHAcodes to ORDO IRIs, each patient to a model.

    >>> linkage = link_registry(Path(__file__).parent.parent / "examples" / "registry.csv")
    >>> sum(linkage.per_model.values()) == len(linkage.patients)
    True

    :param ordo: Orphanet's ORDO OWL file: codes must exist in it; disease labels are added.
    :raises InputErrors: bad rows (every one listed).
    """
    from concord_kg.registry import link_registry as link
    from concord_kg.registry import load_ordo

    index = load_ordo(Path(ordo)) if ordo is not None else None
    return link(Path(path), classifier=_classifier(None), ordo=index)


def run_query(
    name: str, params: Mapping[str, str] | None = None, *, data: Sequence[str | Path] = ()
) -> list[dict[str, str]]:
    """Run a saved query of ``queries/`` on the ontology (plus ``data`` files) and return its rows.

    Each row maps a variable name to its value as text (IRIs in full); unbound variables are left out.

    >>> rows = run_query("options-of-domain", {"notation": "D3"})
    >>> len(rows) > 0 and "term" in rows[0]
    True

    :param params: parameter values as ``concord-kg query -p`` takes them.
    :param data: RDF files or scenario tables to load first, as ``query --data``.
    :raises QueryError: no such query or parameter, or a bad value.
    :raises DataLoadError: a data file has an unknown extension or does not parse.
    """
    from concord_kg.saved_queries import run_saved_query
    from concord_kg.store import memory_store

    solutions = run_saved_query(memory_store(Path(path) for path in data), name, params)
    names = [v.value for v in solutions.variables]
    return [{n: solution[n].value for n in names if solution[n] is not None} for solution in solutions]
