"""The backend holds the server's state: the ontology is parsed once and the decision model compiled once.

Every view takes the ontology, the decision model, the classifier, the harmoniser, the search index
and the saved queries from the app's :class:`server.backend.Backend`; each URL has one view that
answers browsers with a page and other clients with JSON (or RDF, or the SPARQL protocol).
"""

from __future__ import annotations

import gc
import io
import json
import threading
import weakref
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

import concord_kg.ontology
from concord_kg.decision import DecisionModel
from concord_kg.errors import MappingError
from concord_kg.harmonise import Harmoniser
from concord_kg.resources import ontology_dir
from concord_kg.server.backend import HARMONISER_CACHE_SIZE, Backend
from tests.server.test_live import fetch

EXAMPLES = Path(__file__).parents[2] / "examples"
BROWSER = "text/html,application/xhtml+xml,*/*;q=0.8"
SCENARIO = {
    "id": "p1",
    "access_to_specialist_centre": "yes",
    "lives_near_specialist_centre": "no",
    "can_travel": "yes",
    "can_coordinate_own_care": "no",
    "clear_who_to_see": "yes",
}


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> Counter:
    """Count parses of the ontology's modules and compilations of a decision model in this process."""
    counts: Counter = Counter()
    parse = concord_kg.ontology.load_graph
    modules = ontology_dir().resolve()

    def counting_parse(paths: Iterable[Path], **kwargs: object) -> object:
        paths = list(paths)
        if any(Path(p).resolve().parent == modules for p in paths):
            counts["ontology"] += 1
        return parse(paths, **kwargs)  # type: ignore[arg-type]

    compile_model = DecisionModel.__init__

    def counting_compile(self: DecisionModel, *args: object, **kwargs: object) -> None:
        counts["decision model"] += 1
        compile_model(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(concord_kg.ontology, "load_graph", counting_parse)
    monkeypatch.setattr(DecisionModel, "__init__", counting_compile)
    return counts


def _requests(client: FlaskClient) -> list[tuple[str, int]]:
    """Visit every page and API that reads the ontology; return (what, status) for each."""
    html = {"Accept": BROWSER}
    statuses = [
        (url, client.get(url, headers=headers).status_code)
        for url, headers in [
            ("/", html),
            ("/find?q=coordinator", html),
            ("/search?q=key+worker", {}),
            ("/decide", html),
            ("/decide?" + "&".join(f"{k}={v}" for k, v in SCENARIO.items() if k != "id"), html),
            ("/term/Coordinator", html),
            ("/term/M4", {"Accept": "text/turtle"}),
            ("/queries", html),
            ("/queries/options-of-domain?run=1", html),
            ("/queries/models-for-situation/run?travel=no", {"Accept": "application/sparql-results+json"}),
            ("/sparql", html),
            ("/harmonise", html),
        ]
    ]
    classified = client.post("/api/classify", data=json.dumps([SCENARIO]), content_type="application/json")
    statuses.append(("/api/classify", classified.status_code))
    extract = {"extract": (io.BytesIO((EXAMPLES / "registry.csv").read_bytes()), "registry.csv")}
    uploaded = client.post("/registry", data=extract, content_type="multipart/form-data")
    statuses.append(("/registry", uploaded.status_code))
    return statuses


def test_ontology_parsed_once_and_decision_model_compiled_once(client: FlaskClient, builds: Counter) -> None:
    first = _requests(client)
    assert all(status == 200 for _, status in first), first
    second = _requests(client)  # nothing is rebuilt on later requests
    assert all(status == 200 for _, status in second), second
    assert builds == {"ontology": 1, "decision model": 1}


def test_derived_data_is_built_once_across_threads(builds: Counter) -> None:
    backend = Backend({})
    getters: list[Callable[[], object]] = [
        backend.ontology,
        backend.decision,
        backend.classifier,
        backend.search_index,
        backend.authored_ontology,
    ]
    start = threading.Barrier(len(getters) * 2)
    seen: dict[int, list[object]] = {}

    def work(index: int) -> None:
        start.wait()
        seen.setdefault(index % len(getters), []).append(getters[index % len(getters)]())

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(getters) * 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(len({id(value) for value in values}) == 1 for values in seen.values())
    assert backend.decision() is backend.classifier().decision
    assert builds == {"ontology": 1, "decision model": 1}


def test_one_harmoniser_per_set_of_domains() -> None:
    """A form that repeats or reorders domains reuses the harmoniser: the cache does not grow with it."""
    backend = Backend({})
    first = backend.harmoniser(("D1", "D3"))
    assert backend.harmoniser(("D3", "D1", "D1")) is first
    assert backend.harmoniser(("D1 ", " D3", "")) is first  # padding and blanks as a form sends them
    assert backend.harmoniser(("D1",)) is not first
    assert backend.harmoniser((" ", "")) is backend.harmoniser()  # no domain: the unrestricted one
    assert len(backend.harmonisers) == 2


def _notations() -> list[str]:
    """Every taxonomy notation: a client may send any set of them as domains."""
    return sorted(t.notation for t in Backend({}).harmoniser().all_terms if t.notation)


def test_restricted_harmonisers_are_bounded_whatever_sets_a_client_sends() -> None:
    backend = Backend({})
    unrestricted = backend.harmoniser()
    notations = _notations()
    alive = []
    for at in range(3 * HARMONISER_CACHE_SIZE):  # distinct sets: one notation, then pairs
        domains = (notations[at % len(notations)], notations[(at * 7 + 1) % len(notations)])
        harmoniser = backend.harmoniser(domains)
        harmoniser.match("key worker")  # its lexical index and embeddings are built
        alive.append(weakref.ref(harmoniser))
    del harmoniser
    gc.collect()
    assert sum(ref() is not None for ref in alive) <= HARMONISER_CACHE_SIZE
    assert len(backend.harmonisers) == HARMONISER_CACHE_SIZE
    assert backend.harmoniser() is unrestricted  # every page uses it: never evicted


def test_a_cached_set_of_domains_is_reused_until_it_is_the_least_recently_used() -> None:
    backend = Backend({})
    notations = [n for n in _notations() if "." in n]
    kept = backend.harmoniser(("D3",))
    for notation in notations[: HARMONISER_CACHE_SIZE - 1]:
        backend.harmoniser((notation,))
    assert backend.harmoniser(("D3",)) is kept  # still cached, and now the most recently used
    for notation in notations[HARMONISER_CACHE_SIZE - 1 : 2 * HARMONISER_CACHE_SIZE - 2]:
        backend.harmoniser((notation,))
    assert backend.harmoniser(("D3",)) is kept
    for notation in notations[2 * HARMONISER_CACHE_SIZE : 3 * HARMONISER_CACHE_SIZE]:
        backend.harmoniser((notation,))
    rebuilt = backend.harmoniser(("D3",))
    assert rebuilt is not kept and rebuilt.domains == kept.domains


def test_unknown_domains_leave_nothing_behind() -> None:
    backend = Backend({})
    for n in range(100):
        with pytest.raises(MappingError, match="no taxonomy term has this notation"):
            backend.harmoniser((f"D{n + 10}",))
    assert len(backend.harmonisers) == 0 and backend.harmonisers.building() == 0


def _live_harmonisers() -> int:
    gc.collect()
    return sum(isinstance(o, Harmoniser) for o in gc.get_objects())


def test_harmonise_page_keeps_few_harmonisers_for_many_domain_sets(app: Flask, client: FlaskClient) -> None:
    dataset = b"who_coordinates_your_care\nkey worker\nGP\n"
    notations = [n for n in _notations() if "." in n]
    before = _live_harmonisers()
    for notation in notations[: 2 * HARMONISER_CACHE_SIZE]:
        form = {"file": (io.BytesIO(dataset), "survey.csv"), "column": "who_coordinates_your_care"}
        page = client.post(
            "/harmonise", data={**form, "domain": ["D3", notation]}, content_type="multipart/form-data"
        )
        assert page.status_code == 200
    assert _live_harmonisers() - before <= HARMONISER_CACHE_SIZE + 1  # + the unrestricted one
    backend = app.extensions["concord"]
    assert len(backend.harmonisers) == HARMONISER_CACHE_SIZE
    assert backend.harmonisers.building() == 0


def test_a_slow_build_does_not_block_values_already_built() -> None:
    backend = Backend({})
    backend._once("ready", lambda: "built")
    started, release = threading.Event(), threading.Event()

    def slow() -> str:
        started.set()
        release.wait(10)
        return "slow"

    builder = threading.Thread(target=backend._once, args=("slow", slow))
    builder.start()
    try:
        assert started.wait(10)
        answers: list[str] = []
        reader = threading.Thread(target=lambda: answers.append(backend._once("ready", lambda: "rebuilt")))
        reader.start()
        reader.join(5)
        assert answers == ["built"]  # answered while the other key is still building
    finally:
        release.set()
        builder.join(10)


def test_saved_queries_are_read_once(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    import concord_kg.saved_queries as saved_queries

    reads: Counter = Counter()
    read = saved_queries._read_query

    def counting_read(path: Path) -> object:
        reads[path.stem] += 1
        return read(path)

    monkeypatch.setattr(saved_queries, "_read_query", counting_read)
    client = app.test_client()
    for _ in range(2):
        assert client.get("/queries").status_code == 200
        assert client.get("/queries", headers={"Accept": "text/html"}).status_code == 200
        assert client.get("/queries/options-of-domain").status_code == 200
        assert client.get("/sparql", headers={"Accept": "text/html"}).status_code == 200
    assert reads and max(reads.values()) == 1, reads


def test_no_hook_answers_ahead_of_routing(app: Flask) -> None:
    assert not any(app.before_request_funcs.values())
    endpoints = {rule.rule: rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints["/queries"] == "queries.index"
    assert endpoints["/queries/<name>"] == "queries.show"
    assert endpoints["/sparql"] == "sparql.endpoint"


def test_one_url_answers_pages_and_data_over_http(live_server: str) -> None:
    def media_type(path: str, accept: str | None = None) -> str:
        status, headers, _ = fetch(live_server + path, headers={"Accept": accept} if accept else {})
        assert status == 200, path
        return headers["Content-Type"].split(";")[0]

    assert media_type("/queries", BROWSER) == "text/html"
    assert media_type("/queries") == "application/json"
    assert media_type("/queries/options-of-domain", BROWSER) == "text/html"
    assert media_type("/queries/options-of-domain", "application/json") == "application/json"
    assert media_type("/queries/options-of-domain", "application/sparql-query") == "application/sparql-query"
    assert media_type("/sparql", BROWSER) == "text/html"
    assert media_type("/sparql") == "text/turtle"
    assert media_type("/sparql?query=ASK%7B%7D", BROWSER) == "application/sparql-results+json"
    assert media_type("/term/Coordinator", BROWSER) == "text/html"
    assert media_type("/term/Coordinator", "text/turtle") == "text/turtle"
