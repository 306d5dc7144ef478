"""``STORE_MODE``: query workers answer from an in-memory copy of the store, or from disk."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from concord_kg.server import create_app
from concord_kg.server.settings import SettingError, resolve

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


def _app(store_dir: Path, **config: object) -> Flask:
    return create_app({"STORE_DIR": str(store_dir), "QUERY_TIMEOUT": 10.0, "TESTING": True, **config})


@pytest.fixture
def make_app(store_dir: Path) -> Iterator:
    made: list[Flask] = []

    def make(**config: object) -> Flask:
        made.append(_app(store_dir, **config))
        return made[-1]

    yield make
    for app in made:
        app.extensions["concord"].close()


def _count(app: Flask) -> int:
    answer = app.test_client().get("/sparql", query_string={"query": COUNT}).get_json()
    return int(answer["results"]["bindings"][0]["n"]["value"])


@pytest.mark.parametrize(
    ("config", "mode"),
    [
        ({}, "memory"),  # the ontology store is a few MB: it fits the default budget
        ({"MEMORY_BUDGET": "1K"}, "disk"),
        ({"STORE_MODE": "disk"}, "disk"),
        ({"STORE_MODE": "memory", "MEMORY_BUDGET": "1K"}, "memory"),
    ],
    ids=["auto-fits", "auto-too-big", "disk", "memory-forced"],
)
def test_mode_is_chosen_by_setting_and_budget(make_app, config: dict, mode: str) -> None:
    app = make_app(**config)
    app.extensions["concord"].start()
    assert app.extensions["concord"].store_mode == mode
    assert _count(app) > 1000


def test_memory_and_disk_give_the_same_answers(make_app) -> None:
    memory, disk = make_app(STORE_MODE="memory"), make_app(STORE_MODE="disk")
    assert _count(memory) == _count(disk)


def test_update_is_visible_to_the_next_query_in_memory_mode(make_app) -> None:
    token = "a-test-token-of-16+"  # noqa: S105 - a test secret
    app = make_app(STORE_MODE="memory", ALLOW_UPDATE=True, UPDATE_TOKEN=token)
    client = app.test_client()
    before = _count(app)
    response = client.post(
        "/sparql",
        data="INSERT DATA { GRAPH <https://w3id.org/concord-kg/graph/data/t> { <urn:a> <urn:b> 'c' } }",
        headers={"Content-Type": "application/sparql-update", "Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 204, response.get_json()
    assert _count(app) == before + 1


@pytest.mark.parametrize("raw", ["ram", "", "1"])
def test_store_mode_is_parsed_strictly(raw: str) -> None:
    with pytest.raises(SettingError):
        resolve(None, {"CONCORD_STORE_MODE": raw})
