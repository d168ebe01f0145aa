"""Mentee choice in a real browser: a coordinator e-mails a waiting mentee a choice of
mentors from the pair page; the mentee opens the link from the e-mail (read from the test's
SMTP server), reads what each mentor shares with them, and chooses one; the pair is
`matched` by the mentee's choice. The mentee's page at a desktop's width (1440 px) and a
phone's (375 px), with no serious accessibility finding."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.helpers import World
from tests.helpers.browser import serious_violations, sign_in
from tests.helpers.staff import create_staff

pytestmark = pytest.mark.slow

WIDTHS = ((1440, 900), (375, 812))


def _check(page, screenshots: Path, name: str) -> None:
    """At each width: no serious finding, nothing wider than the screen, a screenshot."""
    for width, height in WIDTHS:
        page.set_viewport_size({"width": width, "height": height})
        assert serious_violations(page) == []
        overflow = page.evaluate("document.documentElement.scrollWidth")
        assert overflow <= width, f"{name} is {overflow} px wide on a {width} px screen"
        page.screenshot(path=screenshots / f"{name}-{width}.png", full_page=True)


def test_a_mentee_chooses_their_mentor_through_the_link_a_coordinator_e_mailed(
    app, live_server, pages, api, mailbox, drain, screenshots
):
    world = World.build(
        api, mentors=0, mentees=0, name="Riverside Youth Mentoring", mentee_choice=True
    )
    mentee = world.add_participant(
        "mentee",
        full_name="Sofia Rossi",
        goals=["Reading", "Careers in science"],
        availability="Saturday mornings",
        languages=["it"],
    )
    world.mentees.append(mentee)
    for name, goals, skills, languages in (
        ("Amara Okafor", ["Reading", "Careers in science"], ["biology"], ["it"]),
        ("Jonas Berg", ["Reading"], ["science writing"], []),
        ("Priya Nair", ["Careers in science"], [], []),
        ("Tomás Silva", [], [], []),
    ):
        world.mentors.append(
            world.add_participant(
                "mentor",
                full_name=name,
                goals=goals,
                skills=skills,
                languages=languages,
                availability="Saturdays",
            )
        )
    pair = world.new_pair(0)

    staff = pages.open(viewport={"width": 1440, "height": 900})
    sign_in(staff, live_server, create_staff(app, name="Cora Ordinator", role="coordinator"))
    staff.goto(f"{live_server}/console/pairs/{pair['id']}")
    staff.get_by_role("button", name="E-mail the mentee a choice of mentors").click()
    expect(staff.locator(".flashes .flash")).to_contain_text(
        "Sent: the mentee has an e-mail to choose among 3 mentors"
    )
    expect(staff.locator("#choice-status")).to_contain_text("waiting for the mentee's choice")
    assert serious_violations(staff) == []

    drain()
    (message,) = mailbox.to(mentee["email"])
    assert message["Subject"] == "Choose your mentor - Riverside Youth Mentoring"
    found = re.search(r"https?://[^/\s]+(/choose/\S+)", message.get_body(("plain",)).get_content())
    assert found, "the e-mail has no choice link"

    page = pages.open(viewport={"width": 1440, "height": 900})
    page.goto(f"{live_server}{found.group(1)}")
    expect(page.locator("h1")).to_have_text("Choose your mentor")
    mentors = page.locator("li.mentor")
    expect(mentors).to_have_count(3)
    expect(mentors.first).to_contain_text("Amara")
    expect(mentors.first).to_contain_text("You both want to work on: careers in science, reading")
    expect(mentors.first).to_contain_text("Speaks English and Italian")
    expect(page.locator("main")).not_to_contain_text("Okafor")
    expect(page.locator("main")).not_to_contain_text("Tomás")
    _check(page, screenshots, "mentee-choice")

    page.set_viewport_size({"width": 1440, "height": 900})
    page.get_by_role("button", name="Choose this mentor").click()
    expect(page.locator(".error-summary")).to_contain_text("Choose one of the mentors.")
    page.get_by_role("radio", name=re.compile("^Jonas")).check()
    page.get_by_role("button", name="Choose this mentor").click()
    expect(page.locator("h1")).to_have_text("Thank you for choosing")
    expect(page.locator("main")).to_contain_text("You chose Jonas.")
    _check(page, screenshots, "mentee-choice-thanks")

    page.goto(f"{live_server}{found.group(1)}")
    expect(page.locator("h1")).to_have_text("You have chosen your mentor")
    assert serious_violations(page) == []

    matched = world.pair(pair["id"])
    assert (matched["state"], matched["mentor_id"]) == ("matched", world.mentors[1]["id"])
    (record,) = api.ok("get", f"/pairs/{pair['id']}/history")["items"]
    assert record["actor"]["label"] == "mentee choice"
    assert record["details"]["matching"]["reasons"][0] == "Shares 1 goal: reading"

    staff.reload()
    expect(staff.locator(".pair-header .state")).to_have_text("matched")
    expect(staff.locator("#choice-status")).to_contain_text("The mentee chose their mentor on")
    staff.context.close()
