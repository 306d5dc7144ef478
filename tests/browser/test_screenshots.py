"""Screenshots of each page (desktop and phone width), for the README and review.

They go to a temporary folder; set ``CONCORD_SCREENSHOTS=docs/screenshots`` to refresh the committed ones.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: Where the pictures go (a test run does not rewrite tracked files unless asked to).
SCREENSHOTS = Path(
    os.environ.get("CONCORD_SCREENSHOTS") or Path(tempfile.gettempdir()) / "concord-kg-screenshots"
)

#: A situation that leads to a model (M6), for the result page.
RESULT = (
    "/decide?access_to_specialist_centre=yes&lives_near_specialist_centre=no"
    "&can_travel=no&can_coordinate_own_care=no"
)


def _shot(page: Page, name: str, *, full_page: bool = False) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)


def test_screenshots_desktop(page: Page) -> None:
    page.set_viewport_size({"width": 1200, "height": 900})
    page.goto("/")
    page.locator("#q").press_sequentially("coordinator", delay=20)
    expect(page.locator("#search-results a").first).to_be_visible()
    _shot(page, "home-search")
    page.goto("/term/CareCoordinator")
    _shot(page, "term", full_page=True)
    page.goto("/decide?access_to_specialist_centre=yes")
    _shot(page, "decide-question")
    page.goto(RESULT)
    page.set_viewport_size({"width": 1200, "height": 1600})
    _shot(page, "decide-result")
    page.set_viewport_size({"width": 1200, "height": 900})
    page.goto("/queries")
    _shot(page, "queries")
    page.goto('/queries/options-of-domain?notation="D3"&run=1')
    _shot(page, "query-results")
    page.goto("/sparql")
    page.locator(".yasqe_queryButton").click()
    expect(page.locator(".yasr table tbody tr").first).to_be_visible()
    _shot(page, "sparql", full_page=True)


def test_screenshots_phone(browser: Browser, base_url: str) -> None:
    context = browser.new_context(
        base_url=base_url, viewport={"width": 390, "height": 844}, device_scale_factor=2
    )
    page = context.new_page()
    page.goto("/decide?access_to_specialist_centre=no")
    _shot(page, "phone-decide-question")
    page.goto(RESULT)
    _shot(page, "phone-decide-result")
    page.goto("/")
    _shot(page, "phone-home")
    context.close()
