"""Participants in a real browser: a coordinator finds the mentees waiting for a match,
opens one, adds a parent or guardian (refused first, then accepted), at a desktop's width
(1440 px) and a phone's (375 px), with no serious accessibility finding on any page."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.helpers.browser import open_dashboard, open_menu, serious_violations, sign_in
from tests.helpers.staff import create_staff


def _fits(page, width: int) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth")
    assert overflow <= width, f"the page is {overflow} px wide on a {width} px screen"


def test_a_coordinator_finds_a_waiting_mentee_and_adds_their_guardian_on_a_desktop_and_a_phone(
    app, live_server, pages, world, screenshots, tmp_path
):
    world.drive_to("active", mentee_index=0)
    waiting = world.add_participant(
        "mentee", full_name="Ingrid Halvorsen", goals=["Choose a course"], availability="Weekends"
    )
    for width, height in ((1440, 900), (375, 812)):
        page = pages.open(viewport={"width": width, "height": height})
        sign_in(page, live_server, create_staff(app, name="Cora Ordinator"))
        open_dashboard(page, live_server)
        open_menu(page)
        page.get_by_role("link", name="Participants").click()
        expect(page.locator("h1")).to_have_text("Participants")
        page.get_by_label("Waiting for a match").check()
        page.get_by_label("Sort by").select_option("waiting")
        page.get_by_role("button", name="Show").click()
        rows = page.locator("table.participants tbody tr")
        expect(rows).to_have_count(3)  # two mentees never matched, and Ingrid
        expect(page.locator("tbody", has_text="Ingrid Halvorsen")).to_have_count(1)
        assert serious_violations(page) == []
        _fits(page, width)
        page.screenshot(path=screenshots / f"participants-{width}.png", full_page=True)

        page.get_by_role("link", name="Ingrid Halvorsen").click()
        expect(page.locator("h1")).to_have_text("Ingrid Halvorsen")
        expect(page.locator(".warning-text")).to_contain_text("Waiting for a match for 0 days")
        assert serious_violations(page) == []
        _fits(page, width)
        page.screenshot(path=screenshots / f"participant-{width}.png", full_page=True)

        page.get_by_role("link", name="Add a parent or guardian").click()
        page.get_by_label("Full name").fill("Gudrun Halvorsen")
        page.get_by_label("E-mail address").fill("not an address")
        page.get_by_role("button", name="Add the participant").click()
        expect(page.locator(".error-summary")).to_contain_text(
            "E-mail address: not a valid e-mail address."
        )
        assert serious_violations(page) == []
        _fits(page, width)
        # Not one of the site's pictures: it stays with the test.
        page.screenshot(path=tmp_path / f"participant-form-{width}.png", full_page=True)

        page.get_by_label("E-mail address").fill(f"gudrun-{width}@example.org")
        page.get_by_role("button", name="Add the participant").click()
        expect(page.locator(".flashes .flash")).to_have_text("Gudrun Halvorsen is added.")
        page.goto(f"{live_server}/console/participants/{waiting['id']}")
        expect(page.locator("dd", has_text="Gudrun Halvorsen")).to_have_count(1)
