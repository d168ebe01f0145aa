"""A real headless Chromium (Debian's package), driven by Playwright, with axe-core."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.browser import CHROMIUM_FLAGS, Pages, WatchedBrowser, chromium_path


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    path = chromium_path()
    if path is None:
        message = "Chromium is not installed (apt install chromium); `make test` installs it"
        if os.environ.get("PAIRWISE_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS)
        yield WatchedBrowser(browser)
        browser.close()


@pytest.fixture(autouse=True)
def _no_csp_violations(request: pytest.FixtureRequest) -> Iterator[None]:
    if "browser" not in request.fixturenames:
        yield
        return
    browser: WatchedBrowser = request.getfixturevalue("browser")
    browser.csp_violations.clear()
    yield
    assert browser.csp_violations == [], "the page broke its Content-Security-Policy"


@pytest.fixture(scope="session")
def _kept_pages(browser: WatchedBrowser) -> Iterator[Pages]:
    kept = Pages(browser)
    yield kept
    kept.close()


@pytest.fixture
def pages(_kept_pages: Pages) -> Iterator[Pages]:
    """`pages.open(viewport=…)`: a blank page in a browser context of its own, for this
    test (as `browser.new_context(…).new_page()`, at a fraction of the cost)."""
    yield _kept_pages
    _kept_pages.give_back()


@pytest.fixture
def page(pages: Pages):
    return pages.open(viewport={"width": 1024, "height": 900})


@pytest.fixture
def phone(pages: Pages):
    return pages.open(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    """Where a test writes its screenshots: this site's folder (`docs/screenshots/`) when
    asked with PAIRWISE_SCREENSHOTS=1, otherwise the test's own temporary folder, so that a
    run leaves the working tree as it found it."""
    if os.environ.get("PAIRWISE_SCREENSHOTS") != "1":
        return tmp_path
    folder = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
