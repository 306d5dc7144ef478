"""Result tables link only web IRIs (data in the store is not trusted to be harmless)."""

from __future__ import annotations

import pytest

from concord_kg.server.pages import _cell


@pytest.mark.parametrize(
    ("value", "href"),
    [
        ("https://w3id.org/concord-kg/Coordinator", "/term/Coordinator"),
        ("http://www.orpha.net/ORDO/Orphanet_558", "http://www.orpha.net/ORDO/Orphanet_558"),
        ("javascript:alert(1)", None),
        ("file:///etc/passwd", None),
    ],
)
def test_cell_links(value: str, href: str | None) -> None:
    assert _cell({"type": "uri", "value": value})["href"] == href
