"""The group check-in page in a real browser: it fits a phone's screen and axe finds nothing
serious; ticking two pairs records one group check-in for both."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.helpers.browser import serious_violations, sign_in
from tests.helpers.staff import create_staff


def test_a_group_check_in_is_recorded_from_its_page_on_a_phone(app, live_server, pages, world):
    pairs = [world.drive_to("active", i, i) for i in range(2)]
    page = pages.open(viewport={"width": 375, "height": 812})
    sign_in(page, live_server, create_staff(app, name="Cora Ordinator"))
    page.goto(f"{live_server}/console/pairs")
    page.get_by_role("link", name="Record a group check-in").click()
    expect(page.locator("h1")).to_have_text("Record a group check-in")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert serious_violations(page) == []
    for pair in pairs:
        page.get_by_label(f"#{pair['id']} ", exact=False).check()
    page.get_by_label("What you discussed").fill("Planning the holidays together.")
    page.get_by_role("button", name="Record the group check-in").click()
    expect(page.locator(".flashes .flash")).to_have_text(
        "The group check-in is recorded for 2 pairs."
    )
    for pair in pairs:
        entries = world.api.ok("get", f"/pairs/{pair['id']}/timeline")["items"]
        assert [e["kind"] for e in entries].count("group_checkin") == 1
