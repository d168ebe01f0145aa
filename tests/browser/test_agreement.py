"""The mentoring agreement on the pair page, in a real browser: recorded through its form,
its goals' progress read over time, the playbook's "revisit the agreement" leading to it, at
a phone's width (375 px) and a desktop's (1440 px), with no serious accessibility finding."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.helpers import SurveyTaker, invite
from tests.helpers.browser import open_tab, serious_violations, sign_in
from tests.helpers.staff import create_staff

HELD_MEETING = {
    "occurred_on": "2026-11-20",
    "held": "held",
    "duration_minutes": "60",
    "attendees": ["mentor", "mentee"],
    "felt": "good",
    "final_session": "no",
}


def _progress(api, client, pair: dict, goal_id: int, *ratings: str) -> None:
    for role, rating in zip(("mentor", "mentee", "mentor"), ratings, strict=False):
        url = invite(api, "meeting_log", pair[f"{role}_id"], pair["id"])["url"]
        answers = {**HELD_MEETING, f"goal_{goal_id}": rating}
        assert SurveyTaker(client, url).submit(answers).status_code == 303


def test_the_agreement_is_recorded_and_its_progress_read_on_the_pair_page_on_a_phone_and_a_desktop(
    app, live_server, pages, api, client, world, screenshots
):
    pair = world.drive_to("active")
    page = pages.open(viewport={"width": 1440, "height": 900})
    sign_in(page, live_server, create_staff(app, name="Cora Ordinator"))
    page.goto(f"{live_server}/console/pairs/{pair['id']}")
    open_tab(page, "Agreement")
    form = page.locator("#agreement form")
    form.get_by_label("Agreed on").fill("2026-11-02")
    form.get_by_label("How often they meet").fill("Every week, Thursdays after school")
    form.get_by_label("How and where they meet").fill("At the library; online in holidays")
    form.get_by_label("Ground rules").fill(
        "We tell each other a day ahead if we cannot come. What we say stays between us, "
        "unless someone is at risk."
    )
    form.get_by_label("If they do not click").fill(
        "We tell the coordinator; a re-match is nobody's fault."
    )
    form.get_by_label("Goal 1", exact=True).fill("Choose a course for next year")
    form.get_by_label("Goal 2", exact=True).fill("Speak up more in class")
    form.locator("button[type=submit]").click()
    expect(page.locator(".flashes .flash")).to_have_text("The mentoring agreement is recorded.")

    goals = {g["title"]: g["id"] for g in api.ok("get", f"/pairs/{pair['id']}/agreement")["goals"]}
    _progress(api, client, pair, goals["Choose a course for next year"], "1", "2", "3")
    api.trigger(pair["id"], "flag_risk", signals=["no_chemistry"])
    page.reload()

    course = page.locator("#agreement tr", has_text="Choose a course for next year")
    expect(course.locator("ol.progress li")).to_have_count(3)
    expect(course.locator("td").first).to_contain_text("Good progress")
    page.get_by_role("link", name="Revisit the pair's mentoring agreement").click()
    assert page.url.endswith("#agreement")
    assert serious_violations(page) == []
    page.locator("#agreement").screenshot(path=screenshots / "pair-agreement-1440.png")

    page.set_viewport_size({"width": 375, "height": 812})
    page.locator("#agreement").scroll_into_view_if_needed()
    overflow = page.evaluate("document.documentElement.scrollWidth")
    assert overflow <= 375, f"the page is {overflow} px wide on a 375 px screen"
    assert serious_violations(page) == []
    page.locator("#agreement").screenshot(path=screenshots / "pair-agreement-375.png")
