"""Screenshots of each page (desktop and phone width), for the README and review.

They go to a temporary folder; set ``CONCORD_SCREENSHOTS=docs/screenshots`` to refresh the committed ones.
"""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image  # Pillow, which matplotlib (a runtime dependency) requires
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import Offsite, _new_page

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


#: A phone's viewport (CSS pixels) and pixel ratio.
PHONE = {"width": 390, "height": 844}
PHONE_SCALE = 2

#: Pages checked at phone width: picture name, URL, and the element a visitor must see first.
PHONE_PAGES = [
    ("phone-decide-question", "/decide?access_to_specialist_centre=no", "#question"),
    ("phone-decide-result", RESULT, "#model-heading"),
    ("phone-home", "/", "#q"),
]


@pytest.fixture(scope="module")
def phone(browser: Browser, base_url: str) -> Iterator[Page]:
    """A page at phone width whose off-site requests are refused (and must not happen)."""
    offsite = Offsite()
    page = _new_page(browser, base_url, offsite, viewport=PHONE, device_scale_factor=PHONE_SCALE)
    yield page
    page.context.close()
    assert list(offsite) == [], f"pages tried to reach other hosts: {offsite}"


def _ink(png: bytes) -> float:
    """Return the share of pixels that differ from the picture's most common colour (its background)."""
    picture = Image.open(io.BytesIO(png)).convert("L")
    histogram = picture.histogram()
    return 1 - max(histogram) / sum(histogram)


@pytest.mark.parametrize(("name", "url", "key"), PHONE_PAGES, ids=[p[0] for p in PHONE_PAGES])
def test_screenshots_phone(phone: Page, name: str, url: str, key: str) -> None:
    """At 390 px nothing scrolls sideways, the main element is on screen, and the picture has content."""
    phone.goto(url)
    expect(phone.locator(key)).to_be_visible()
    widths = phone.evaluate(
        "() => [window.innerWidth, document.documentElement.scrollWidth, document.body.scrollWidth]"
    )
    assert widths == [PHONE["width"]] * 3, f"viewport, page and body widths: {widths}"
    box = phone.locator(key).bounding_box()
    assert box is not None
    assert 0 <= box["x"] and box["x"] + box["width"] <= PHONE["width"], box
    assert box["y"] < PHONE["height"], f"{key} starts below the first screen: {box}"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    png = phone.screenshot(path=str(SCREENSHOTS / f"{name}.png"))
    picture = Image.open(io.BytesIO(png))
    assert picture.size == (PHONE["width"] * PHONE_SCALE, PHONE["height"] * PHONE_SCALE)
    ink = _ink(png)
    assert ink > 0.01, f"the screenshot is (nearly) blank: {ink:.2%} of pixels differ from the background"
