"""Coordinators use the console in a real browser: sign in, decide, intervene, re-match,
close; the pages pass axe-core, and support staff see only their own pairs."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from service.accounts.models import pair_support
from service.clock import now
from service.database import db
from tests.helpers import CALM_MENTEE_CHECKIN, SurveyTaker, invite
from tests.helpers.browser import open_dashboard, open_menu, open_tab, serious_violations, sign_in
from tests.helpers.staff import create_staff
from workflows.playbook import APPROACHES
from workflows.signals import SIGNALS

pytestmark = pytest.mark.slow

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _open_pair(page, live_server: str, pair_id: int) -> None:
    page.goto(f"{live_server}/console/pairs/{pair_id}")
    expect(page.locator("h1")).to_contain_text(f"Pair #{pair_id}:")


def _flash(page):
    return page.locator(".flashes .flash")


def _proposal(api, world, index: int = 0) -> tuple[dict, dict]:
    """An active pair (of the `index`th mentee and mentor) and the closure it waits to have
    approved: the API's token proposes, a coordinator decides."""
    pair = world.drive_to("active", mentee_index=index, mentor_index=index)
    final = (date.today() + timedelta(days=14)).isoformat()
    response = api.trigger(pair["id"], "begin_closure", final_session_on=final)
    assert response.status_code == 202, response.get_json()
    return pair, response.get_json()["proposal"]


def _at_risk_by_checkin(api, client, world) -> dict:
    """An active pair whose mentee reports two missed meetings: the signal is recorded."""
    pair = world.drive_to("active")
    url = invite(api, "checkin_mentee", pair["mentee_id"], pair["id"])["url"]
    answers = {**CALM_MENTEE_CHECKIN, "meetings_held": "1", "meetings_missed": "2"}
    assert SurveyTaker(client, url).submit(answers).status_code in (200, 303)
    assert world.pair(pair["id"])["state"] == "at_risk"
    return pair


def _history(api, pair_id: int) -> list[dict]:
    return api.ok("get", f"/pairs/{pair_id}/history")["items"]


def test_a_coordinator_signs_in_and_approves_a_proposal_from_the_dashboard(
    app, live_server, page, api, world
):
    pair, proposal = _proposal(api, world)
    coordinator = create_staff(app)

    sign_in(page, live_server, coordinator)
    open_dashboard(page, live_server)
    waiting = page.get_by_role("region", name=re.compile("Waiting for your approval"))
    card = waiting.locator(".card").filter(has_text=f"Pair #{pair['id']}:")
    expect(card).to_contain_text("Begin closure")
    card.get_by_role("button", name="Approve").click()

    expect(_flash(page)).to_have_text(f"Approved: pair #{pair['id']} is now closing.")
    expect(page.locator("h1")).to_have_text("Dashboard")
    expect(waiting).to_contain_text("Nothing waits for a decision.")
    assert world.pair(pair["id"])["state"] == "closing"
    decided = api.ok("get", f"/proposals/{proposal['id']}")
    assert decided["status"] == "approved"
    assert _history(api, pair["id"])[-1]["actor"]["label"] == coordinator.full_name


def test_an_at_risk_pair_shows_its_signals_and_playbook_and_is_resolved_after_an_intervention(
    app, live_server, page, api, world
):
    pair = world.drive_to("active")
    named = ["missed_meetings", "too_busy_to_schedule"]
    flagged = api.trigger(pair["id"], "flag_risk", signals=named)
    assert flagged.status_code == 200, flagged.get_json()
    coordinator = create_staff(app)
    sign_in(page, live_server, coordinator)
    _open_pair(page, live_server, pair["id"])

    signals = page.locator("#signals")
    for code in named:
        expect(signals.locator(".playbook").filter(has_text=SIGNALS[code].label)).to_contain_text(
            APPROACHES[code]
        )

    # Resolving first is refused: an intervention comes first.
    page.get_by_role("button", name="Resolve: back to active").click()
    expect(_flash(page)).to_have_text(
        "'resolve' requires an intervention was recorded since the pair became at risk."
    )
    assert world.pair(pair["id"])["state"] == "at_risk"

    follow_up = date.today() + timedelta(days=10)
    page.get_by_label("About", exact=True).select_option(
        label=SIGNALS["too_busy_to_schedule"].label
    )
    page.get_by_label("Approach (individually, as a pair, or in a group)").select_option(
        label="With one of them on their own"
    )
    page.get_by_label("What you did").fill("Called both; they agreed a recurring slot.")
    page.get_by_label("Follow up on").fill(follow_up.isoformat())
    page.get_by_role("button", name="Record the intervention").click()
    expect(_flash(page)).to_have_text("The intervention is recorded.")

    page.get_by_role("button", name="Resolve: back to active").click()
    expect(_flash(page)).to_have_text("Done: the pair is now active.")
    expect(page.locator(".lede .state")).to_have_text("active")
    expect(page.locator("#timeline")).to_contain_text(
        f"Intervention recorded by {coordinator.full_name}"
    )

    assert world.pair(pair["id"])["state"] == "active"
    [intervention] = api.ok("get", f"/pairs/{pair['id']}/interventions")["items"]
    assert intervention["follow_up_on"] == follow_up.isoformat()
    assert intervention["approach"] == "individual"
    assert intervention["signal"] == "too_busy_to_schedule"
    timeline = api.ok("get", f"/pairs/{pair['id']}/timeline")["items"]
    assert [e["data"]["follow_up_on"] for e in timeline if e["kind"] == "intervention"] == [
        follow_up.isoformat()
    ]
    assert _history(api, pair["id"])[-1]["trigger"] == "resolve"


def test_a_coordinator_re_matches_an_at_risk_pair_overriding_the_buffer_with_a_reason(
    app, live_server, page, api, world, drain, mailbox
):
    pair = world.drive_to("active")
    world.log_meeting(pair["id"], occurred_at=(now() - timedelta(days=1)).isoformat())
    api.ok(
        "post",
        f"/pairs/{pair['id']}/transitions",
        {"trigger": "flag_risk", "reason": "No chemistry"},
    )
    new_mentor = world.mentors[2]
    sign_in(page, live_server, create_staff(app))
    _open_pair(page, live_server, pair["id"])

    page.get_by_role("link", name="Re-match the mentee with a new mentor").click()
    expect(page.locator("h1")).to_contain_text(f"Re-match pair #{pair['id']}:")
    buffer_ends = date.today() - timedelta(days=1) + timedelta(days=14)
    expect(page.locator(".warning-text")).to_have_text(
        "The program waits 14 days after the final interaction before a re-match: until "
        f"{buffer_ends:%d %B %Y}. To re-match earlier, say why."
    )
    ranked = page.get_by_role("group", name="2. Choose the new mentor")
    expect(ranked).not_to_contain_text(world.mentors[0]["full_name"])  # the current mentor
    expect(page.get_by_label("Send this message to both when I confirm")).to_be_checked()

    # Without a reason the buffer holds, and says why.
    ranked.get_by_label(re.compile(re.escape(new_mentor["full_name"]))).check()
    page.get_by_role("button", name="Confirm the re-match").click()
    expect(_flash(page)).to_contain_text(
        "'rematch' requires the program's buffer after the final interaction has passed, or a "
        "coordinator overrides it with a reason"
    )
    assert world.pair(pair["id"])["state"] == "at_risk"

    page.get_by_role("link", name="Re-match the mentee with a new mentor").click()
    ranked.get_by_label(re.compile(re.escape(new_mentor["full_name"]))).check()
    page.get_by_label("Why re-match before the buffer ends").fill("Both asked to stop now")
    page.get_by_label("Reason for the re-match").fill("No chemistry")
    page.get_by_role("button", name="Confirm the re-match").click()

    old = world.pair(pair["id"])
    assert old["state"] == "rematched"
    expect(_flash(page)).to_have_text(
        f"Re-matched: pair #{pair['id']} continues as pair #{old['successor_id']} "
        "with the new mentor."
    )
    successor = world.pair(old["successor_id"])
    expect(page.locator("h1")).to_contain_text(f"Pair #{successor['id']}:")
    expect(page.get_by_role("link", name=f"re-matched from pair #{pair['id']}")).to_be_visible()
    expect(page.locator(".people")).to_contain_text(new_mentor["full_name"])
    assert successor["mentor_id"] == new_mentor["id"]
    assert successor["predecessor_id"] == pair["id"]
    assert successor["state"] == "matched"
    rematch = _history(api, pair["id"])[-1]
    assert rematch["details"]["buffer_override_reason"] == "Both asked to stop now"

    # Both of the ended pair were reassured, once: the refused attempt sent nothing.
    drain()
    reassured = [m for m in mailbox.messages if m["Subject"].startswith("About your mentoring")]
    assert sorted(m["To"] for m in reassured) == sorted(
        [world.mentees[0]["email"], world.mentors[0]["email"]]
    )
    assert all(
        "it is not anyone's fault" in m.get_body(("plain",)).get_content() for m in reassured
    )


def test_a_coordinator_closes_a_pair_with_a_celebratory_final_session(
    app, live_server, page, api, world
):
    pair = world.drive_to("active")
    today = date.today()
    sign_in(page, live_server, create_staff(app))
    _open_pair(page, live_server, pair["id"])

    page.get_by_role("link", name="Start the closure procedure").click()
    expect(page.locator("h1")).to_contain_text(f"Closing pair #{pair['id']}:")
    page.get_by_label("Final session on").fill(today.isoformat())
    page.get_by_role("button", name="Set the date and tell the mentee").click()
    expect(_flash(page)).to_have_text("Done: the pair is now closing.")

    page.get_by_label("Plan", exact=True).fill("Pizza and a look back at the road map")
    expect(page.get_by_label("On", exact=True)).to_have_value(today.isoformat())
    page.get_by_role("button", name="Save the plan").click()
    expect(_flash(page)).to_have_text("The celebratory final session is planned.")

    page.get_by_label("Only through the program").check()
    page.get_by_role("button", name="Save the contact policy").click()
    expect(_flash(page)).to_have_text("The contact policy is recorded.")

    expect(page.get_by_label("Held on")).to_have_value(today.isoformat())
    page.get_by_label("What you celebrated").fill("A year of progress")
    page.get_by_role("button", name="Log the final session").click()
    expect(_flash(page)).to_have_text("The meeting is logged.")

    page.get_by_role("button", name="Close the pair").click()
    expect(_flash(page)).to_have_text("Done: the pair is now closed.")
    steps = page.locator("ol.steps li")
    for step in (
        "The mentee is told the date of the last session",
        "A celebratory final session is planned",
        "The post-closure contact policy is agreed",
        "The final session is held and logged",
    ):
        expect(steps.filter(has_text=step)).to_have_class("done")
    expect(steps.filter(has_text="Exit reflections are collected")).to_have_class("todo")

    closed = world.pair(pair["id"])
    assert closed["state"] == "closed"
    assert closed["closure_reason"] == "completed"
    snapshot = _history(api, pair["id"])[-1]["details"]["closure"]
    assert {s["key"]: s["done"] for s in snapshot["steps"]} == {
        "told": True,
        "celebration": True,
        "reflections": False,
        "contact_policy": True,
        "reasons": False,
        "final_session": True,
    }
    [meeting] = api.ok("get", f"/pairs/{pair['id']}/meetings")["items"]
    assert meeting["is_final_session"] is True


def test_the_login_page_dashboard_and_pair_page_pass_axe(
    app, live_server, page, api, client, world
):
    pair = _at_risk_by_checkin(api, client, world)
    _proposal(api, world, index=1)
    coordinator = create_staff(app)

    page.goto(f"{live_server}/console/login")
    expect(page.locator("h1")).to_have_text("Sign in to the Pairwise console")
    assert serious_violations(page) == []

    page.get_by_label("E-mail address").fill(coordinator.email)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "The e-mail address or the password is not right."
    )
    assert page.title().startswith("Error: ")
    assert serious_violations(page) == []

    sign_in(page, live_server, coordinator)
    open_dashboard(page, live_server)
    expect(page.locator(".card")).to_have_count(1)
    assert serious_violations(page) == []

    _open_pair(page, live_server, pair["id"])
    expect(page.locator("#signals")).to_be_visible()
    assert serious_violations(page) == []


def test_the_second_coordinator_to_approve_is_told_who_approved_first(
    app, live_server, pages, api, world
):
    pair, proposal = _proposal(api, world)
    first, second = create_staff(app, name="Ada First"), create_staff(app, name="Bea Second")
    screens = [pages.open(), pages.open()]
    for page, staff in zip(screens, (first, second), strict=True):
        sign_in(page, live_server, staff)
        open_dashboard(page, live_server)
        expect(page.locator(".card").filter(has_text=f"Pair #{pair['id']}:")).to_be_visible()

    for page in screens:
        page.locator(".card").filter(has_text=f"Pair #{pair['id']}:").get_by_role(
            "button", name="Approve"
        ).click()
        expect(_flash(page)).to_be_visible()

    expect(_flash(screens[0])).to_have_text(f"Approved: pair #{pair['id']} is now closing.")
    expect(_flash(screens[1])).to_contain_text(
        f"Proposal {proposal['id']} was already approved by Ada First"
    )
    expect(_flash(screens[1])).to_have_class(re.compile("error"))

    history = _history(api, pair["id"])
    assert [h["trigger"] for h in history].count("begin_closure") == 1
    assert history[-1]["actor"]["label"] == "Ada First"
    assert world.pair(pair["id"])["state"] == "closing"


def test_support_staff_get_a_403_on_a_pair_not_assigned_to_them(
    app, live_server, pages, page, api, world
):
    theirs = world.drive_to("active", mentee_index=0, mentor_index=0)
    other = world.drive_to("active", mentee_index=1, mentor_index=1)
    support = create_staff(app, "support", "Sam Support")

    # The pair has no coordinator yet: an admin assigns its staff.
    sign_in(page, live_server, create_staff(app, "admin", "Ada Admin"))
    _open_pair(page, live_server, theirs["id"])
    open_tab(page, "People and staff")
    page.get_by_role("group", name="Support staff who may open this pair").get_by_label(
        "Sam Support"
    ).check()
    page.get_by_role("button", name="Save staff").click()
    expect(_flash(page)).to_have_text("Staff assignment saved.")
    with app.app_context():
        assigned = db.session.execute(sa.select(pair_support)).all()
    assert [(row.pair_id, row.user_id) for row in assigned] == [(theirs["id"], support.id)]

    support_page = pages.open()
    sign_in(support_page, live_server, support)
    _open_pair(support_page, live_server, theirs["id"])
    response = support_page.goto(f"{live_server}/console/pairs/{other['id']}")
    assert response.status == 403
    expect(support_page.locator("h1")).to_have_text("Forbidden")
    expect(support_page.locator("body")).not_to_contain_text(world.mentees[1]["full_name"])


def test_the_sessions_staff_and_password_reset_pages_pass_axe(app, live_server, pages):
    admin = create_staff(app, "admin", "Ada Admin")
    member = create_staff(app, name="Cora Ordinator")
    for width in (375, 1440):
        page = pages.open(viewport={"width": width, "height": 900})
        page.goto(f"{live_server}/console/login")
        page.get_by_role("link", name="Forgot your password?").click()
        expect(page.locator("h1")).to_have_text("Forgot your password?")
        assert serious_violations(page) == []
        sign_in(pages.open(), live_server, member)  # a session of hers elsewhere
        sign_in(page, live_server, admin)
        open_dashboard(page, live_server)

        open_menu(page)
        page.get_by_role("link", name="Your sessions").click()
        expect(page.locator("h1")).to_have_text("Your sessions")
        expect(page.get_by_text("this browser")).to_be_visible()
        assert serious_violations(page) == []
        open_menu(page)
        page.get_by_role("link", name="Staff").click()
        page.get_by_role("link", name="Cora Ordinator").click()
        expect(page.locator("h1")).to_have_text("Cora Ordinator")
        assert serious_violations(page) == []
        page.get_by_role("button", name="Sign Cora Ordinator out everywhere").click()
        expect(_flash(page)).to_contain_text("Signed Cora Ordinator out of 1 session")
