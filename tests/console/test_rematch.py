"""Re-matching from an at-risk pair: reassure both, choose a new mentor from
a ranked list, confirm; the successor appears and the new mentor is briefed."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

from tests.helpers import World


def _held_meeting(world: World, pair_id: int, days_ago: int) -> None:
    when = datetime.now(UTC) - timedelta(days=days_ago)
    world.log_meeting(pair_id, occurred_at=when.isoformat())


def _candidates(page: str) -> list[str]:
    return re.findall(r'name="mentor_id" value="(\d+)"', page)


def test_candidates_are_ranked_by_shared_goals_skills_and_availability(api, make_staff, console_as):
    world = World.build(api, mentors=0, mentees=1)
    mentee = world.mentees[0]
    api.ok(
        "patch",
        f"/participants/{mentee['id']}",
        {"goals": ["Confidence", "Maths"], "availability": "Tuesday evenings"},
    )
    first = world.add_participant("mentor", trained=True)
    stranger = world.add_participant("mentor", trained=True, goals=["Cooking"])
    kindred = world.add_participant(
        "mentor",
        trained=True,
        goals=["confidence"],
        skills=["maths tutoring"],
        availability="evenings",
    )
    world.mentors = [first]
    pair = world.drive_to("at_risk")

    page = console_as(make_staff()).page(f"/console/pairs/{pair['id']}/rematch")

    assert _candidates(page) == [str(kindred["id"]), str(stranger["id"])]
    assert "Shares 1 goal: confidence" in page
    assert "Skills for the mentee&#39;s goals: math" in page
    assert "Both free: evenings" in page


def test_a_previous_mentor_and_a_full_mentor_are_never_offered(api, world, make_staff, console_as):
    full = world.mentors[2]
    api.ok("patch", f"/participants/{full['id']}", {"capacity": 1})
    world.drive_to("active", mentee_index=2, mentor_index=2)
    pair = world.drive_to("at_risk", mentee_index=0, mentor_index=0)

    page = console_as(make_staff()).page(f"/console/pairs/{pair['id']}/rematch")

    assert _candidates(page) == [str(world.mentors[1]["id"])]


def test_rematch_makes_the_successor_and_briefs_the_new_mentor(
    api, world, make_staff, console_as, drain, mailbox
):
    pair = world.drive_to("at_risk")
    new_mentor = world.mentors[1]
    console = console_as(make_staff())

    response = console.post(
        f"/console/pairs/{pair['id']}/rematch",
        data={"mentor_id": str(new_mentor["id"]), "reason": "Schedules never fit"},
    )

    old = world.pair(pair["id"])
    assert old["state"] == "rematched"
    successor = world.pair(old["successor_id"])
    assert response.headers["Location"] == f"/console/pairs/{successor['id']}"
    assert successor["mentor_id"] == new_mentor["id"]
    assert successor["mentee_id"] == pair["mentee_id"]
    assert successor["state"] == "matched"
    successor_page = console.page(f"/console/pairs/{successor['id']}")
    assert f"#{pair['id']}" in successor_page
    assert "New mentor's re-match briefing, " in html.unescape(successor_page)
    drain()
    (briefing,) = mailbox.to(new_mentor["email"])
    assert "a short briefing" in briefing.get_body(("plain",)).get_content()


def test_reassurance_goes_to_mentor_and_mentee(world, make_staff, console_as, drain, mailbox):
    pair = world.drive_to("at_risk")

    console_as(make_staff()).post(
        f"/console/pairs/{pair['id']}/rematch",
        data={
            "mentor_id": str(world.mentors[1]["id"]),
            "reassure": "yes",
            "message": "This is nobody's fault; matches sometimes need a change.",
        },
    )
    drain()

    for person in (world.mentees[0], world.mentors[0]):
        (message,) = mailbox.to(person["email"])
        assert "nobody's fault" in message.get_body(("plain",)).get_content()


def test_a_rematch_inside_the_buffer_after_the_last_meeting_is_refused(
    api, world, make_staff, console_as
):
    api.ok("patch", f"/programs/{world.program['id']}", {"rematch_buffer_days": 14})
    pair = world.drive_to("at_risk")
    _held_meeting(world, pair["id"], days_ago=3)
    console = console_as(make_staff())

    console.post(
        f"/console/pairs/{pair['id']}/rematch", data={"mentor_id": str(world.mentors[1]["id"])}
    )

    assert "buffer" in console.flashes()
    assert world.pair(pair["id"])["state"] == "at_risk"


def test_the_rematch_page_says_when_the_buffer_ends(api, world, make_staff, console_as):
    api.ok("patch", f"/programs/{world.program['id']}", {"rematch_buffer_days": 14})
    pair = world.drive_to("at_risk")
    _held_meeting(world, pair["id"], days_ago=3)
    ends = (datetime.now(UTC) + timedelta(days=11)).strftime("%d %B %Y").lstrip("0")

    page = console_as(make_staff()).page(f"/console/pairs/{pair['id']}/rematch")

    assert ends in page or ends.zfill(len(ends) + 1) in page
    assert 'name="buffer_override_reason"' in page


def test_a_rematch_inside_the_buffer_goes_ahead_with_a_reason_that_is_kept(
    api, world, make_staff, console_as
):
    api.ok("patch", f"/programs/{world.program['id']}", {"rematch_buffer_days": 14})
    pair = world.drive_to("at_risk")
    _held_meeting(world, pair["id"], days_ago=3)

    console_as(make_staff()).post(
        f"/console/pairs/{pair['id']}/rematch",
        data={
            "mentor_id": str(world.mentors[1]["id"]),
            "buffer_override_reason": "The mentee asked for a change at once",
        },
    )

    assert world.pair(pair["id"])["state"] == "rematched"
    (record,) = [
        r
        for r in api.ok("get", f"/pairs/{pair['id']}/history")["items"]
        if r["trigger"] == "rematch"
    ]
    assert record["details"]["buffer_override_reason"] == "The mentee asked for a change at once"


def test_the_api_refuses_a_rematch_inside_the_buffer_with_the_guard_named(api, world):
    api.ok("patch", f"/programs/{world.program['id']}", {"rematch_buffer_days": 14})
    pair = world.drive_to("at_risk")
    _held_meeting(world, pair["id"], days_ago=3)

    response = api.trigger(pair["id"], "rematch", mentor_id=world.mentors[1]["id"])

    assert response.status_code == 409
    problem = response.get_json()
    assert problem["type"].endswith("/guard-failed")
    assert "rematch_buffer_respected" in str(problem)


def test_a_proposed_rematch_reassures_nobody_until_it_is_approved(
    app, api, world, make_staff, console_as, drain, mailbox
):
    pair = world.drive_to("at_risk")
    support = make_staff("support")
    console_as(make_staff("admin")).post(
        f"/console/pairs/{pair['id']}/staff",
        data={"coordinator_id": "", "support": [str(support.id)]},
    )

    console_as(support).post(
        f"/console/pairs/{pair['id']}/rematch",
        data={"mentor_id": str(world.mentors[1]["id"]), "reassure": "yes", "message": "Not you."},
    )
    drain()

    assert world.pair(pair["id"])["state"] == "at_risk"
    assert mailbox.to(world.mentees[0]["email"]) == []
    [proposal] = api.ok("get", "/proposals?status=pending")["items"]
    world.approve(proposal["id"])
    drain()
    for person in (world.mentees[0], world.mentors[0]):
        (message,) = mailbox.to(person["email"])
        assert "Not you." in message.get_body(("plain",)).get_content()
