"""A participant answers a survey in a real browser; the pages pass axe-core."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from service.clock import now
from service.database import db
from service.surveys.models import Invitation
from tests.helpers import invite
from tests.helpers.browser import serious_violations

pytestmark = pytest.mark.slow


def _link(live_server: str, url: str) -> str:
    return re.sub(r"^http://pairwise\.test", live_server, url)


def _check_accessible(page) -> None:
    assert serious_violations(page) == []


def test_a_mentee_reports_two_missed_meetings_and_the_pair_goes_at_risk(
    live_server, page, api, world
):
    pair = world.drive_to("active")
    url = _link(live_server, invite(api, "checkin_mentee", pair["mentee_id"], pair["id"])["url"])

    page.goto(url)
    assert page.locator("h1").inner_text() == "How is mentoring going?"
    assert page.get_by_text("Who will see your answers").is_visible()
    _check_accessible(page)

    # An incomplete answer: the error summary links to each problem; what was typed stays.
    page.get_by_label("How many times have you met your mentor since we last asked?").fill("1")
    page.get_by_role("button", name="Send my answers").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    assert summary.get_by_role("link").count() == 5
    assert page.title().startswith("Error: ")
    assert (
        page.get_by_label(
            "How many times have you met your mentor since we last asked?"
        ).input_value()
        == "1"
    )
    summary.get_by_role("link", name=re.compile("cancelled or missed")).click()
    assert page.evaluate("document.activeElement.id") == "q-meetings_missed"
    _check_accessible(page)

    page.get_by_label(re.compile("cancelled or missed")).fill("2")
    page.get_by_role("group", name=re.compile("rate your mentoring")).get_by_label(
        "6", exact=True
    ).check()
    page.get_by_role("group", name=re.compile("making progress on the actions")).get_by_label(
        "Some of them"
    ).check()
    page.get_by_role("group", name=re.compile("most of the talking")).get_by_label(
        "About even"
    ).check()
    page.get_by_role("group", name=re.compile("unsafe or uncomfortable")).get_by_label("No").check()
    page.get_by_role("button", name="Send my answers").click()

    assert page.locator("h1").inner_text() == "Thank you"
    _check_accessible(page)
    assert world.pair(pair["id"])["state"] == "at_risk"
    history = api.ok("get", f"/pairs/{pair['id']}/history")["items"]
    assert history[-1]["signals"] == ["missed_meetings"]
    timeline = api.ok("get", f"/pairs/{pair['id']}/timeline")["items"]
    assert any(
        e["kind"] == "response" and e["data"]["survey_key"] == "checkin_mentee" for e in timeline
    )

    # The link has done its job.
    page.goto(url)
    assert page.locator("h1").inner_text() == "We already have your answers"
    _check_accessible(page)

    # A tampered link is refused with a 4xx page.
    response = page.goto(url[:-5] + "XXXXX")
    assert response.status == 400
    assert page.locator("h1").inner_text() == "This link is not valid"
    _check_accessible(page)


def test_the_safety_follow_up_appears_only_after_a_yes(live_server, page, api, world):
    pair = world.drive_to("active")
    page.goto(
        _link(live_server, invite(api, "checkin_mentee", pair["mentee_id"], pair["id"])["url"])
    )
    details = page.locator("#question-safety_details")
    kind = page.locator("#question-safety_kind")
    assert not details.is_visible()
    assert not kind.is_visible()
    page.get_by_role("group", name=re.compile("unsafe or uncomfortable")).get_by_label(
        "Yes"
    ).check()
    assert details.is_visible()
    assert kind.is_visible()
    _check_accessible(page)


def test_a_survey_can_be_answered_with_the_keyboard_alone(live_server, page, api, world):
    pair = world.drive_to("active")
    page.goto(
        _link(
            live_server,
            invite(
                api,
                "checkin_guardian",
                world.add_participant("guardian", guardian_of_id=pair["mentee_id"])["id"],
                pair["id"],
            )["url"],
        )
    )
    page.keyboard.press("Tab")  # the skip link
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")  # the first answer of the first question
    assert page.evaluate("document.activeElement.name") == "meetings_happening"
    page.keyboard.press("Space")
    page.keyboard.press("Tab")  # the Likert scale
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Tab")  # comments
    page.keyboard.type("All good")
    page.keyboard.press("Tab")  # safety: yes / no
    page.keyboard.press("ArrowRight")  # No
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Send my answers"
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Thank you")


def test_the_survey_is_comfortable_on_a_phone(live_server, phone, api, world):
    pair = world.drive_to("active")
    phone.goto(
        _link(live_server, invite(api, "checkin_mentee", pair["mentee_id"], pair["id"])["url"])
    )
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    radio = phone.locator("#q-talking_balance-0")
    box = radio.bounding_box()
    assert box["width"] >= 24 and box["height"] >= 24


SURVEYS_BY_ROLE = {
    "mentee": [
        "checkin_mentee",
        "first_meeting",
        "meeting_log",
        "closure_reflection",
        "event_followup",
        "six_month_update",
        "outcomes_mentee",
    ],
    "mentor": ["checkin_mentor"],
    "guardian": ["checkin_guardian"],
}
WITHOUT_PAIR = {
    "mentee": ["application_mentee", "training_feedback"],
    "mentor": ["application_mentor"],
}


def test_every_survey_page_passes_axe(live_server, page, api, world):
    pair = world.drive_to("active")
    people = {
        "mentee": pair["mentee_id"],
        "mentor": pair["mentor_id"],
        "guardian": world.add_participant("guardian", guardian_of_id=pair["mentee_id"])["id"],
    }
    links = [
        invite(api, key, people[role], pair["id"])["url"]
        for role, keys in SURVEYS_BY_ROLE.items()
        for key in keys
    ] + [
        invite(api, key, people[role])["url"] for role, keys in WITHOUT_PAIR.items() for key in keys
    ]
    failures = {}
    for url in links:
        page.goto(_link(live_server, url))
        page.get_by_role("button", name="Send my answers").click()  # the error state too
        page.wait_for_load_state()
        found = serious_violations(page)
        if found:
            failures[page.locator("h1").inner_text()] = found
    assert failures == {}
    assert len(links) == 12


def test_the_expired_link_page_passes_axe_and_offers_a_new_link(app, live_server, page, api, world):
    pair = world.drive_to("active")
    invitation = invite(api, "checkin_mentee", pair["mentee_id"], pair["id"])
    with app.app_context():
        db.session.execute(sa.update(Invitation).values(expires_at=now() - timedelta(days=1)))
        db.session.commit()
    response = page.goto(_link(live_server, invitation["url"]))
    assert response.status == 410
    assert page.get_by_role("button", name="E-mail me a new link").is_visible()
    _check_accessible(page)
    page.get_by_role("button", name="E-mail me a new link").click()
    expect(page.locator("h1")).to_have_text("Check your e-mail")
    _check_accessible(page)
