"""Each public name means one thing: no two modules define ``Answer``, ``Term`` or ``normalise``."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
#: Names the code once used for two different things (a query's answer and an answered question; an
#: ontology term and a pyoxigraph term; a matching key and a list of search words).
NAMES = ("Answer", "Term", "normalise")


def _definitions() -> dict[str, list[str]]:
    """Return, for each name, the modules of ``concord_kg`` and ``server`` that define it at top level."""
    found: dict[str, list[str]] = defaultdict(list)
    for package in ("concord_kg", "server"):
        for path in sorted((ROOT / package).rglob("*.py")):
            module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            for node in ast.parse(path.read_text(encoding="utf-8")).body:
                if isinstance(node, ast.FunctionDef | ast.ClassDef):
                    found[node.name].append(module)
                elif isinstance(node, ast.Assign | ast.AnnAssign):
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    for target in targets:
                        if isinstance(target, ast.Name):
                            found[target.id].append(module)
    return found


@pytest.mark.parametrize("name", NAMES)
def test_name_is_defined_once(name: str) -> None:
    assert len(_definitions()[name]) <= 1, _definitions()[name]
