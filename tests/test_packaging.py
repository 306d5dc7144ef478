"""The package installs under one name, carries its data, and the server's doctests run under that name."""

from __future__ import annotations

import doctest
import importlib
import pkgutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import concord_kg.server
from concord_kg import resources

ROOT = Path(__file__).resolve().parents[1]
SERVER_MODULES = sorted(
    module.name for module in pkgutil.iter_modules(concord_kg.server.__path__, "concord_kg.server.")
)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", out, ROOT],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("concord_kg-*.whl")
    return zipfile.ZipFile(built)


@pytest.mark.slow
def test_wheel_installs_one_top_level_name(wheel: zipfile.ZipFile) -> None:
    top = {name.split("/", 1)[0] for name in wheel.namelist()}
    assert {t for t in top if not t.endswith(".dist-info")} == {"concord_kg"}


@pytest.mark.slow
def test_wheel_carries_the_data_and_server(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    for folder in ("ontology", "shapes", "queries"):
        authored = {
            p.relative_to(ROOT / folder).as_posix() for p in (ROOT / folder).rglob("*") if p.is_file()
        }
        prefix = f"concord_kg/data/{folder}/"
        packaged = {n.removeprefix(prefix) for n in names if n.startswith(prefix)}
        assert packaged == authored, folder
    assert "concord_kg/server/__init__.py" in names
    assert "concord_kg/server/templates/term.html" in names
    assert "concord_kg/py.typed" in names
    assert "concord_kg/exemplars/care-coordination.csv" in names


def test_installed_package_adds_no_bare_server_module(tmp_path: Path) -> None:
    # Away from the checkout (whose folder is on sys.path only when it is the working directory).
    probe = (
        "import importlib.util as u; print(u.find_spec('server'), u.find_spec('concord_kg.server').origin)"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, check=True, capture_output=True, text=True
    )
    bare, installed = out.stdout.split()
    assert bare == "None"
    assert installed == str(ROOT / "server" / "__init__.py")


def test_source_tree_data_are_the_authored_folders() -> None:
    assert resources.ontology_dir() == ROOT / "ontology"
    assert resources.shapes_dir() == ROOT / "shapes"
    assert resources.queries_dir() == ROOT / "queries"


def test_unknown_data_folder_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown data folder"):
        resources.data_dir("../etc")


@pytest.mark.parametrize("name", SERVER_MODULES)
def test_server_doctests(name: str) -> None:
    module = importlib.import_module(name)
    assert doctest.testmod(module, optionflags=doctest.ELLIPSIS).failed == 0
