"""Admins' pages in a real browser: API tokens created, used against the API and revoked,
at a desk's width and a phone's; every page passes axe-core, error states included."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.helpers.browser import serious_violations, sign_in
from tests.helpers.staff import create_staff

pytestmark = pytest.mark.slow

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def _shots(tmp_path: Path) -> Path:
    # The site's copies are rewritten only when asked (PAIRWISE_SCREENSHOTS=1).
    folder = SCREENSHOTS if os.environ.get("PAIRWISE_SCREENSHOTS") == "1" else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _scope(page, scope: str):
    return page.get_by_role("checkbox", name=re.compile(f"^{re.escape(scope)} "))


@pytest.mark.parametrize("width", [1440, 375])
def test_an_admin_creates_a_token_uses_it_against_the_api_and_revokes_it(
    app, live_server, browser, width, tmp_path
):
    shots = _shots(tmp_path)
    admin = create_staff(app, "admin", "Ada Admin")
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    try:
        sign_in(page, live_server, admin)
        page.get_by_role("link", name="API tokens").click()
        expect(page.locator("h1")).to_have_text("API tokens")
        assert serious_violations(page) == []

        page.get_by_label("Name", exact=True).fill("CRM sync")
        page.get_by_role("button", name="Create the token").click()
        expect(page.get_by_role("alert")).to_contain_text("Choose at least one scope")
        assert page.title().startswith("Error: ")
        expect(page.get_by_label("Name", exact=True)).to_have_value("CRM sync")
        assert serious_violations(page) == []

        _scope(page, "pairs:read").check()
        _scope(page, "programs:read").check()
        page.get_by_role("button", name="Create the token").click()
        expect(
            page.get_by_role("heading", level=2, name="The token CRM sync is created")
        ).to_be_visible()
        expect(page.get_by_text("it is shown only this once")).to_be_visible()
        raw = page.get_by_label("Token for CRM sync").input_value()
        assert raw.startswith("pw_")
        assert serious_violations(page) == []
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(path=shots / f"tokens-{width}.png", full_page=True)

        bearer = {"Authorization": f"Bearer {raw}"}
        assert page.request.get(f"{live_server}/api/v1/programs", headers=bearer).status == 200

        page.get_by_role("link", name="Revoke CRM sync").click()
        expect(page.locator("h1")).to_have_text("Revoke the token CRM sync?")
        assert serious_violations(page) == []
        page.screenshot(path=shots / f"token-revoke-{width}.png", full_page=True)
        page.get_by_role("button", name="Revoke CRM sync").click()
        expect(page.locator(".flashes .flash")).to_contain_text("The token 'CRM sync' is revoked")
        expect(page.get_by_role("row", name="CRM sync")).to_contain_text("revoked")

        refused = page.request.get(f"{live_server}/api/v1/programs", headers=bearer)
        assert refused.status == 401
        assert refused.headers["content-type"].startswith("application/problem+json")
    finally:
        context.close()
