"""The console's styles and scripts come from the app itself (programs run Pairwise on
closed networks): Bootstrap and htmx are vendored with their licences, versioned in their
path, and cached for a year; the survey pages keep their own stylesheet."""

from __future__ import annotations

import re
from pathlib import Path

from tests.helpers.staff import Console

VENDOR = Path(__file__).resolve().parent.parent / "service" / "static" / "vendor"


def _assets(page: str) -> list[str]:
    return re.findall(r'<(?:script src|link rel="stylesheet" href)="([^"]+)"', page)


def test_the_console_loads_every_style_and_script_from_its_own_origin(app):
    page = Console(app).page("/console/login")

    assets = _assets(page)
    assert "/static/vendor/bootstrap-5.3.9/bootstrap.min.css" in assets
    assert "/static/vendor/bootstrap-5.3.9/bootstrap.bundle.min.js" in assets
    assert "/static/vendor/htmx-2.0.11/htmx.min.js" in assets
    assert all(asset.startswith("/static/") for asset in assets), assets


def test_the_vendored_files_are_served_and_cached_for_a_year(app, client):
    for path in (
        "/static/vendor/bootstrap-5.3.9/bootstrap.min.css",
        "/static/vendor/bootstrap-5.3.9/bootstrap.bundle.min.js",
        "/static/vendor/htmx-2.0.11/htmx.min.js",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.cache_control.max_age == 365 * 24 * 3600
        assert response.cache_control.public
        assert "immutable" in response.headers["Cache-Control"]


def test_our_own_stylesheet_is_not_cached_as_if_it_never_changed(client):
    response = client.get("/static/console.css")

    assert response.status_code == 200
    assert "immutable" not in response.headers.get("Cache-Control", "")


def test_each_vendored_library_carries_its_licence():
    folders = sorted(p.name for p in VENDOR.iterdir() if p.is_dir())

    assert folders == ["bootstrap-5.3.9", "htmx-2.0.11"]
    for folder in folders:
        assert (VENDOR / folder / "LICENSE").read_text().strip()
    readme = (VENDOR / "README.md").read_text()
    assert "bootstrap@5.3.9" in readme and "htmx.org@2.0.11" in readme


def test_htmx_is_told_not_to_add_a_style_the_content_security_policy_refuses(app):
    page = Console(app).page("/console/login")

    assert '"includeIndicatorStyles": false' in page


def test_the_survey_pages_keep_their_own_stylesheet(app, client):
    page = client.get("/nowhere").get_data(as_text=True)

    assert "pairwise.css" in page
    assert "bootstrap" not in page
