"""Locate the project's data files (ontology, shapes, queries) through the installed package.

The repository keeps ``ontology/``, ``shapes/`` and ``queries/`` at its top level; a wheel installs
them as ``concord_kg/data/*`` (``pyproject.toml``). Nothing is looked up next to ``site-packages``.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["data_dir", "ontology_dir", "shapes_dir", "queries_dir"]

_FOLDERS = ("ontology", "shapes", "queries")


def data_dir(name: str) -> Path:
    """Return the folder ``name`` (``ontology``, ``shapes`` or ``queries``) as a directory on disk.

    A wheel carries the folders in ``concord_kg/data/``; a checkout (or an editable install of one)
    has them at the repository's top level, so edits to the authored files take effect at once.
    """
    if name not in _FOLDERS:
        raise ValueError(f"unknown data folder {name!r}; expected one of {', '.join(_FOLDERS)}")
    packaged = Path(str(resources.files("concord_kg.data"))) / name
    if packaged.is_dir():
        return packaged
    # Only a source tree has the project's pyproject.toml beside the package: never look
    # beside an installed package (that is site-packages, shared with every other project).
    source_root = Path(str(resources.files("concord_kg"))).parent
    if (source_root / "pyproject.toml").is_file() and (source_root / name).is_dir():
        return source_root / name
    raise FileNotFoundError(f"data folder {name!r} is missing from the installed package {packaged.parent}")


def ontology_dir() -> Path:
    """Return the folder of authored ontology modules."""
    return data_dir("ontology")


def shapes_dir() -> Path:
    """Return the folder of SHACL shapes."""
    return data_dir("shapes")


def queries_dir() -> Path:
    """Return the folder of saved SPARQL queries."""
    return data_dir("queries")
