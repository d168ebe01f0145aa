"""Acting on several pairs from the pairs list: handing them over to a coordinator, or
sending their members a survey; the pairs ticked, or every pair the list shows. Read back
first, then each pair done on its own, with a report of what happened to each."""

from __future__ import annotations

import pytest

from service.database import db
from service.pairs.models import Pair
from tests.helpers import World
from tests.helpers.state import drain


@pytest.fixture
def admin(make_staff, console_as):
    return console_as(make_staff("admin"))


def _act(console, data: dict):
    return console.post("/console/pairs/bulk", data=data)


def _coordinators(app, pairs: list[dict]) -> list[int | None]:
    with app.app_context():
        return [db.session.get(Pair, p["id"]).coordinator_id for p in pairs]


def test_ticked_pairs_are_read_back_and_nothing_changes_before_it_is_confirmed(
    app, api, admin, make_staff
):
    world = World.build(api)
    pairs = [world.new_pair(n) for n in range(3)]
    cora = make_staff("coordinator", "Cora Ordinator")
    page = _act(
        admin,
        {
            "action": "hand_over",
            "to_coordinator": str(cora.id),
            "pair": [str(p["id"]) for p in pairs],
        },
    ).get_data(as_text=True)
    assert "Hand over to Cora Ordinator: 3 pairs?" in page
    assert all(f"/console/pairs/{p['id']}" in page for p in pairs)
    assert _coordinators(app, pairs) == [None, None, None]


def test_three_pairs_handed_over_at_once_each_have_the_new_coordinator(app, api, admin, make_staff):
    world = World.build(api)
    pairs = [world.new_pair(n) for n in range(3)]
    cora = make_staff("coordinator", "Cora Ordinator")
    page = _act(
        admin,
        {
            "action": "hand_over",
            "to_coordinator": str(cora.id),
            "pair": [str(p["id"]) for p in pairs],
            "confirmed": "y",
        },
    ).get_data(as_text=True)
    assert "3 of 3 done" in page
    assert _coordinators(app, pairs) == [cora.id] * 3


def test_a_coordinator_hands_over_their_own_pairs_and_is_told_why_not_the_others(
    app, api, make_staff, console_as
):
    world = World.build(api)
    mine, theirs = world.new_pair(0), world.new_pair(1)
    cora, colin = make_staff("coordinator"), make_staff("coordinator")
    newcomer = make_staff("coordinator", "Nia Newcomer")
    admin_api = api.colleague("admin")
    admin_api.ok("patch", f"/pairs/{mine['id']}", {"coordinator_id": cora.id})
    admin_api.ok("patch", f"/pairs/{theirs['id']}", {"coordinator_id": colin.id})
    page = _act(
        console_as(cora),
        {
            "action": "hand_over",
            "to_coordinator": str(newcomer.id),
            "pair": [str(mine["id"]), str(theirs["id"])],
            "confirmed": "y",
        },
    ).get_data(as_text=True)
    assert "1 of 2 done" in page
    assert f"Only an admin or the coordinator of pair {theirs['id']}" in page
    assert _coordinators(app, [mine, theirs]) == [newcomer.id, colin.id]


def test_a_survey_sent_to_every_pair_of_a_program_reaches_each_mentee_by_email(
    app, api, admin, mailbox
):
    world = World.build(api)
    pairs = [world.drive_to("active", mentee_index=n, mentor_index=n) for n in range(2)]
    elsewhere = World.build(api)
    elsewhere.drive_to("active")
    mailbox.messages.clear()
    page = _act(
        admin,
        {
            "action": "send_survey",
            "survey": "checkin_mentee",
            "everything": "y",
            "program": str(world.program["id"]),
        },
    ).get_data(as_text=True)
    assert "2 pairs?" in page
    page = _act(
        admin,
        {
            "action": "send_survey",
            "survey": "checkin_mentee",
            "pair": [str(p["id"]) for p in pairs],
            "confirmed": "y",
        },
    ).get_data(as_text=True)
    assert "2 of 2 done" in page
    drain(app)
    invited = sorted(
        m["To"] for m in mailbox.messages if "/s/" in m.get_body(("plain",)).get_content()
    )
    assert invited == sorted(world.mentees[n]["email"] for n in range(2))


def test_a_mentor_survey_for_a_pair_without_a_mentor_is_reported_not_done(api, admin):
    world = World.build(api)
    waiting = world.new_pair(0)
    matched = world.drive_to("matched", mentee_index=1, mentor_index=1)
    page = _act(
        admin,
        {
            "action": "send_survey",
            "survey": "checkin_mentor",
            "pair": [str(waiting["id"]), str(matched["id"])],
            "confirmed": "y",
        },
    ).get_data(as_text=True)
    assert "1 of 2 done" in page
    assert f"Pair #{waiting['id']} has no mentor to ask yet." in page


def test_acting_with_nothing_ticked_says_what_to_do(admin):
    response = _act(admin, {"action": "hand_over", "to_coordinator": "1"})
    assert response.status_code == 302
    assert "Tick the pairs to act on" in admin.flashes()


def test_sending_a_survey_that_is_not_sent_from_the_list_is_refused(api, admin):
    pair = World.build(api).new_pair()
    response = _act(
        admin, {"action": "send_survey", "survey": "application_mentor", "pair": [str(pair["id"])]}
    )
    assert response.status_code == 302
    assert "Choose the survey to send." in admin.flashes()


def test_support_staff_cannot_act_on_several_pairs(app, api, make_staff, console_as):
    pair = World.build(api).new_pair()
    cora = make_staff("coordinator")
    response = _act(
        console_as(make_staff("support")),
        {
            "action": "hand_over",
            "to_coordinator": str(cora.id),
            "pair": [str(pair["id"])],
            "confirmed": "y",
        },
    )
    assert response.status_code == 403
    assert _coordinators(app, [pair]) == [None]
