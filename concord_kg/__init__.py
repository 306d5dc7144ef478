"""concord-kg: a knowledge graph of care coordination for rare conditions (CONCORD).

The Python API (see :mod:`concord_kg.api`), imported on first use so that ``import concord_kg``
stays fast:

- :func:`load_ontology`: the merged ontology as an rdflib ``Graph``;
- :func:`classify_rows` / :func:`classify_dataframe`: scenarios → models, with explanations;
- :func:`harmonise_column`: a dataset column's wordings → taxonomy terms;
- :func:`link_registry`: a registry extract → ORDO IRIs and models;
- :func:`run_query`: a saved query of ``queries/`` → rows.
"""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

try:
    __version__ = version("concord-kg")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

if TYPE_CHECKING:
    from concord_kg.api import (
        classify_dataframe,
        classify_rows,
        harmonise_column,
        link_registry,
        load_ontology,
        run_query,
    )

__all__ = [
    "__version__",
    "load_ontology",
    "classify_rows",
    "classify_dataframe",
    "harmonise_column",
    "link_registry",
    "run_query",
]


def __getattr__(name: str) -> Any:
    """Import an API function from :mod:`concord_kg.api` when it is first asked for."""
    if name in __all__ and name != "__version__":
        return getattr(import_module("concord_kg.api"), name)
    raise AttributeError(f"module 'concord_kg' has no attribute {name!r}")
