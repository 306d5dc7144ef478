"""The web pages in a real browser: decision aid, search, saved queries, YASGUI, keyboard and print."""

from __future__ import annotations

import csv
import io
import re
from functools import cache

import pytest
from playwright.sync_api import Page, expect

from concord_kg.decision import DecisionModel, Model, load_decision_model
from concord_kg.ontology import load_ontology

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@cache
def _decision() -> DecisionModel:
    return load_decision_model(load_ontology())


def _models() -> list[Model]:
    return _decision().models


def _walk(page: Page, model: Model) -> list[str]:
    """Answer each question the aid asks as ``model``'s definition requires; return the columns asked."""
    by_question = {v.question: v for v in _decision().variables}
    asked = []
    page.goto("/decide")
    for _ in range(len(by_question) + 1):
        if page.locator("#model-heading").count():
            return asked
        question = page.locator("#question").inner_text()
        variable = by_question[question]
        assert variable.iri in model.conditions, (
            f"asked {variable.column!r}, which {model.notation} does not need"
        )
        asked.append(variable.column)
        answer = model.conditions[variable.iri].notation
        page.locator(".choice", has=page.locator("strong", has_text=answer.capitalize())).click()
    raise AssertionError("the aid kept asking questions")


@pytest.mark.parametrize("model", _models(), ids=lambda m: m.notation)
def test_decision_aid_reaches_each_model(page: Page, model: Model) -> None:
    asked = _walk(page, model)
    # Only the questions the model's definition needs are asked, each once, in the ontology's order.
    needed = [v.column for v in _decision().variables if v.iri in model.conditions]
    assert asked == needed
    expect(page.locator("#model-heading")).to_contain_text(model.label)
    expect(page.locator(".note")).to_contain_text("reconstructed from the papers' prose")
    for name in ("Care plan", "MDT meetings", "Who oversees care"):
        expect(page.locator(".offer")).to_contain_text(name)
    expect(page.locator(".offer .gap").first).to_contain_text("Not recovered from the paper")
    assert page.locator(".checklist input[type=checkbox]").count() >= 1
    assert page.locator("details.evidence li").count() >= 1
    for column in needed:
        assert column + "=" in page.url


def test_no_specialist_centre_skips_distance_and_travel(page: Page) -> None:
    page.goto("/decide")
    page.locator(".choice", has_text="No access to a specialist centre").click()
    question = page.locator("#question").inner_text()
    assert "near" not in question and "travel" not in question
    assert question == next(
        v.question for v in _decision().variables if v.column == "can_coordinate_own_care"
    )


def test_back_button_returns_to_previous_question(page: Page) -> None:
    page.goto("/decide")
    first = page.locator("#question").inner_text()
    page.locator(".choice").first.click()
    second = page.locator("#question").inner_text()
    assert second != first
    page.go_back()
    expect(page.locator("#question")).to_have_text(first)
    page.go_forward()
    expect(page.locator("#question")).to_have_text(second)
    # "Change" links go back to an earlier question, dropping that answer and later ones.
    page.locator(".answers a", has_text="Change").first.click()
    expect(page.locator("#question")).to_have_text(first)


def test_decision_aid_works_without_javascript(page_without_js: Page) -> None:
    model = _models()[-1]
    _walk(page_without_js, model)
    expect(page_without_js.locator("#model-heading")).to_contain_text(model.notation)


def test_shared_url_opens_the_result(page: Page) -> None:
    model = _models()[0]
    query = "&".join(
        f"{v.column}={model.conditions[v.iri].notation}"
        for v in _decision().variables
        if v.iri in model.conditions
    )
    page.goto("/decide?" + query)
    expect(page.locator("#model-heading")).to_contain_text(model.notation)


def test_result_prints_without_navigation(page: Page) -> None:
    page.goto("/decide?access_to_specialist_centre=no&can_coordinate_own_care=yes&clear_who_to_see=no")
    page.emulate_media(media="print")
    expect(page.locator("header.site")).to_be_hidden()
    expect(page.locator(".answers a", has_text="Change").first).to_be_hidden()
    expect(page.locator("#model-heading")).to_be_visible()
    assert len(page.pdf()) > 1000


def test_search_as_you_type(page: Page) -> None:
    page.goto("/")
    page.locator("#q").press_sequentially("key work", delay=30)
    hit = page.locator("#search-results a").first
    expect(hit).to_be_visible()
    expect(page.locator("#search-status")).to_contain_text("found")
    hit.click()
    expect(page).to_have_url(re.compile(r"/term/"))
    expect(page.locator("h1")).to_be_visible()


def test_search_without_javascript_uses_results_page(page_without_js: Page) -> None:
    page_without_js.goto("/")
    page_without_js.locator("#q").fill("hub and spoke")
    page_without_js.locator("#q").press("Enter")
    expect(page_without_js).to_have_url(re.compile(r"/find\?q=hub\+and\+spoke"))
    expect(page_without_js.locator(".results a").first).to_be_visible()


def test_taxonomy_tree_links_to_term_pages_with_breadcrumbs(page: Page) -> None:
    page.goto("/")
    page.locator("details.domain summary").nth(2).click()
    option = page.locator("details.domain").nth(2).locator(".tree.depth-2 a").first
    option.click()
    crumbs = page.locator("nav.crumbs li")
    assert crumbs.count() >= 3
    expect(crumbs.first).to_contain_text("Terms")


def test_term_page_links_options_to_models(page: Page) -> None:
    page.goto("/term/Coordinator")  # models leave the type of coordinator open (issue 15)
    expect(page.locator(".relations")).to_contain_text("Models with this coordination role")
    page.locator(".relations a", has_text="Model").first.click()
    expect(page.locator(".relations")).to_contain_text("This model's coordination role")


def test_saved_query_run_and_csv_download(page: Page) -> None:
    page.goto("/queries")
    page.locator(".catalogue a", has_text="Options of a taxonomy domain").click()
    page.locator("input[name=notation]").fill('"D3"')
    page.locator("button", has_text="Run query").click()
    rows = page.locator("table tbody tr")
    expect(rows.first).to_be_visible()
    shown = rows.count()
    with page.expect_download() as info:
        page.locator("a", has_text="CSV").click()
    download = info.value
    assert download.suggested_filename.endswith(".csv")
    table = list(csv.reader(io.StringIO(open(download.path(), encoding="utf-8").read())))
    assert table[0] == [h.inner_text() for h in page.locator("thead th").all()]
    assert len(table) - 1 == shown


def test_yasgui_runs_a_query(page: Page) -> None:
    page.goto("/sparql")
    expect(page.locator(".yasqe .CodeMirror")).to_be_visible()
    expect(page.locator("#plain-editor")).to_be_hidden()
    assert "PREFIX ckg:" in page.evaluate("document.querySelector('.CodeMirror').CodeMirror.getValue()")
    page.locator(".yasqe_queryButton").click()
    results = page.locator(".yasr table tbody tr")
    expect(results.first).to_be_visible()
    expect(page.locator(".yasr")).to_contain_text("M10")
    # The example tabs come from the saved queries.
    expect(page.locator(".tabsList")).to_contain_text("Model characteristics")


def test_sparql_form_without_javascript(page_without_js: Page) -> None:
    page_without_js.goto("/sparql")
    expect(page_without_js.locator("#query")).to_be_visible()
    with page_without_js.expect_download() as info:
        page_without_js.locator("button", has_text="Run query").click()
    text = open(info.value.path(), encoding="utf-8").read()
    assert text.startswith("notation,model,label")


def test_keyboard_skip_link_and_focus(page: Page) -> None:
    page.goto("/decide")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused == "Skip to content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    # Every form control on every page has a label.
    for url in ("/", "/decide", "/queries/options-of-domain", "/sparql"):
        page.goto(url)
        unlabelled = page.evaluate(
            """[...document.querySelectorAll('main input, main select, main textarea')]
               .filter(e => e.offsetParent !== null && e.labels.length === 0 && !e.getAttribute('aria-label'))
               .map(e => e.outerHTML)"""
        )
        assert unlabelled == [], url


def test_phone_width_has_no_horizontal_scroll(browser, base_url: str) -> None:  # noqa: ANN001
    context = browser.new_context(base_url=base_url, viewport={"width": 375, "height": 740})
    page = context.new_page()
    for url in (
        "/",
        "/decide?access_to_specialist_centre=yes",
        "/decide?access_to_specialist_centre=no&can_coordinate_own_care=no&clear_who_to_see=no",
        "/queries",
    ):
        page.goto(url)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, url
    context.close()
