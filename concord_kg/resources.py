"""Locate the project's data files (ontology, shapes, queries) in a source tree or an installed wheel."""

from __future__ import annotations

from pathlib import Path

__all__ = ["data_dir", "ontology_dir", "shapes_dir", "queries_dir"]

_PACKAGE = Path(__file__).resolve().parent
_SOURCE_ROOT = _PACKAGE.parent


def data_dir(name: str) -> Path:
    """Return the folder ``name`` (``ontology``, ``shapes`` or ``queries``).

    A wheel ships them under ``concord_kg/data/``; an editable install or a checkout reads
    them from the repository root, so edits to the authored files take effect at once.
    """
    for candidate in (_SOURCE_ROOT / name, _PACKAGE / "data" / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"data folder {name!r} not found next to {_PACKAGE}")


def ontology_dir() -> Path:
    """Return the folder of authored ontology modules."""
    return data_dir("ontology")


def shapes_dir() -> Path:
    """Return the folder of SHACL shapes."""
    return data_dir("shapes")


def queries_dir() -> Path:
    """Return the folder of saved SPARQL queries."""
    return data_dir("queries")
