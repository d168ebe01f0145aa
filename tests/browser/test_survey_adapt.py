"""Adapting a survey in a real browser: a coordinator rewords a question and adds one,
previews the page, publishes it, and a new link shows it; at a desktop's width and a
phone's, with no serious accessibility finding on the editor or the preview."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.helpers import invite
from tests.helpers.browser import serious_violations, sign_in
from tests.helpers.staff import create_staff

pytestmark = pytest.mark.slow


def _fits(page, width: int) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth")
    assert overflow <= width, f"the page is {overflow} px wide on a {width} px screen"


@pytest.mark.parametrize("width", [1440, 375])
def test_a_coordinator_adapts_a_check_in_and_a_new_link_shows_it(
    app, live_server, pages, api, world, width, screenshots
):
    pair = world.drive_to("active")
    page = pages.open(viewport={"width": width, "height": 900})
    sign_in(page, live_server, create_staff(app, name="Cora Ordinator"))
    page.goto(f"{live_server}/console/programs")
    page.get_by_role("link", name=f"Surveys of {world.program['name']}").click()
    page.get_by_role("link", name="Adapt “How is mentoring going?”").click()
    expect(page.locator("h1")).to_have_text("Adapt “How is mentoring going?”")
    assert serious_violations(page) == []
    _fits(page, width)
    page.screenshot(path=screenshots / f"survey-adapt-{width}.png", full_page=False)
    page.get_by_label("Question “meetings_held”").fill("How often did you two meet?")
    page.get_by_label("The question").fill("Is school going better?")
    page.get_by_label("Its name in exports and the API").fill("school_better")
    page.get_by_label("How it is answered").select_option("yes_no")
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_role("heading", name="Preview")).to_be_visible()
    expect(page.get_by_text("How often did you two meet?")).to_be_visible()
    assert serious_violations(page) == []
    _fits(page, width)
    page.screenshot(path=screenshots / f"survey-preview-{width}.png", full_page=False)
    page.get_by_role("button", name="Publish this version").click()
    expect(page.get_by_text("Published version")).to_be_visible()
    invitation = invite(api, "checkin_mentee", world.mentees[0]["id"], pair_id=pair["id"])
    survey = pages.open(viewport={"width": width, "height": 900})
    path = invitation["url"].split("://", 1)[1].split("/", 1)[1]
    survey.goto(f"{live_server}/{path}")
    expect(survey.get_by_text("How often did you two meet?")).to_be_visible()
    expect(survey.get_by_text("Is school going better?")).to_be_visible()
