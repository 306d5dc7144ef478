"""Result tables link only web IRIs (data in the store is not trusted to be harmless)."""

from __future__ import annotations

import pytest
from flask import Flask

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
def test_cell_links(app: Flask, value: str, href: str | None) -> None:
    with app.test_request_context():  # term pages are linked with url_for
        assert _cell({"type": "uri", "value": value})["href"] == href
