"""Closure, anticipated or not: the mentee is told the date, the final
session is celebrated, reflections are collected, the contact policy is agreed, and the closed
record proves it. Admins may reopen with a reason; shared stories are collected in one place."""

from __future__ import annotations

from datetime import date, timedelta

import pytest


@pytest.fixture
def closing(world, make_staff, console_as):
    """An active pair whose coordinator has set the final session ten days ahead."""
    pair = world.drive_to("active")
    console = console_as(make_staff(name="Cora Ordinator"))
    final = date.today() + timedelta(days=10)
    console.post(
        f"/console/pairs/{pair['id']}/closure",
        data={"step": "begin", "kind": "anticipated", "final_session_on": final.isoformat()},
    )
    return {"pair": pair, "console": console, "final": final}


def _steps(console, pair_id: int) -> dict[str, bool]:
    page = console.page(f"/console/pairs/{pair_id}/closure")
    import re

    return {
        title.strip(): done == "done"
        for done, title in re.findall(
            r'<li class="(done|todo)"><span class="visually-hidden">[^<]+</span> ([^<]+)<', page
        )
    }


def test_setting_the_final_session_date_begins_closure_and_tells_the_mentee(
    closing, world, drain, mailbox
):
    assert world.pair(closing["pair"]["id"])["state"] == "closing"
    drain()
    (told,) = mailbox.to(world.mentees[0]["email"])
    assert closing["final"].isoformat() in told.get_body(("plain",)).get_content()
    assert _steps(closing["console"], closing["pair"]["id"])[
        "The mentee is told the date of the last session"
    ]


def test_a_final_session_date_in_the_past_is_refused(world, make_staff, console_as):
    pair = world.drive_to("active")
    console = console_as(make_staff())

    console.post(
        f"/console/pairs/{pair['id']}/closure",
        data={"step": "begin", "final_session_on": (date.today() - timedelta(days=1)).isoformat()},
    )

    assert "final-session date" in console.flashes()
    assert world.pair(pair["id"])["state"] == "active"


def test_each_step_shows_as_done_once_recorded(closing):
    console, pair_id = closing["console"], closing["pair"]["id"]
    console.post(
        f"/console/pairs/{pair_id}/closure",
        data={"step": "plan", "celebration_plan": "Bowling, then certificates"},
    )
    console.post(
        f"/console/pairs/{pair_id}/closure",
        data={"step": "policy", "contact_policy": "through_program"},
    )

    steps = _steps(console, pair_id)

    assert steps["A celebratory final session is planned"]
    assert steps["The post-closure contact policy is agreed"]
    assert not steps["The final session is held and logged"]
    assert not steps["Exit reflections are collected"]


def test_reflections_are_sent_once_to_mentor_and_mentee(closing, world, drain, mailbox):
    console, pair_id = closing["console"], closing["pair"]["id"]

    console.post(f"/console/pairs/{pair_id}/closure", data={"step": "reflections"})
    console.post(f"/console/pairs/{pair_id}/closure", data={"step": "reflections"})
    drain()

    mentor_mail = [
        m
        for m in mailbox.to(world.mentors[0]["email"])
        if "/s/" in m.get_body(("plain",)).get_content()
    ]
    assert len(mentor_mail) == 1
    assert "Reflection survey sent to 0 participant(s)." in console.flashes()


def test_reflections_sent_from_the_procedure_are_not_sent_again_when_the_pair_closes(
    closing, world, drain, mailbox
):
    console, pair_id = closing["console"], closing["pair"]["id"]
    console.post(f"/console/pairs/{pair_id}/closure", data={"step": "reflections"})
    console.post(
        f"/console/pairs/{pair_id}/meetings",
        data={
            "occurred_on": date.today().isoformat(),
            "status": "held",
            "is_final_session": "yes",
            "duration_minutes": "60",
        },
    )

    console.post(f"/console/pairs/{pair_id}/closure", data={"step": "close"})
    drain()

    assert world.pair(pair_id)["state"] == "closed"
    for person in (world.mentees[0], world.mentors[0]):
        links = [
            m for m in mailbox.to(person["email"]) if "/s/" in m.get_body(("plain",)).get_content()
        ]
        assert len(links) == 1, person["role"]


def test_the_pair_cannot_close_before_the_final_session_is_logged(closing, world):
    console, pair_id = closing["console"], closing["pair"]["id"]

    console.post(f"/console/pairs/{pair_id}/closure", data={"step": "close"})

    assert "final session" in console.flashes()
    assert world.pair(pair_id)["state"] == "closing"


def test_the_closed_record_keeps_the_procedure_as_it_stood(closing, world, api):
    console, pair_id = closing["console"], closing["pair"]["id"]
    console.post(
        f"/console/pairs/{pair_id}/closure",
        data={"step": "plan", "celebration_plan": "Picnic in the park"},
    )
    console.post(
        f"/console/pairs/{pair_id}/meetings",
        data={
            "occurred_on": date.today().isoformat(),
            "status": "held",
            "is_final_session": "yes",
            "duration_minutes": "90",
        },
    )

    console.post(f"/console/pairs/{pair_id}/closure", data={"step": "close"})

    assert world.pair(pair_id)["state"] == "closed"
    (record,) = [
        r for r in api.ok("get", f"/pairs/{pair_id}/history")["items"] if r["trigger"] == "close"
    ]
    snapshot = record["details"]["closure"]
    assert snapshot["kind"] == "anticipated"
    done = {step["key"]: step["done"] for step in snapshot["steps"]}
    assert done == {
        "told": True,
        "celebration": True,
        "reflections": False,
        "contact_policy": False,
        "reasons": False,
        "final_session": True,
    }


def _closed_pair(world, api) -> dict:
    from datetime import UTC, datetime

    pair = world.drive_to("closing")
    world.log_meeting(pair["id"], occurred_at=datetime.now(UTC).isoformat(), is_final_session=True)
    closed = api.trigger(pair["id"], "close")
    assert closed.get_json()["pair"]["state"] == "closed", closed.get_json()
    return pair


def test_an_admin_reopens_a_closed_pair_with_a_reason(world, api, make_staff, console_as):
    pair = _closed_pair(world, api)
    admin = console_as(make_staff("admin"))
    assert 'value="reopen"' in admin.page(f"/console/pairs/{pair['id']}")

    admin.post(
        f"/console/pairs/{pair['id']}/transition",
        data={"trigger": "reopen", "reason": "Closed by mistake; they still meet"},
    )

    assert world.pair(pair["id"])["state"] == "active"


def test_reopening_needs_a_reason(world, api, make_staff, console_as):
    pair = _closed_pair(world, api)
    admin = console_as(make_staff("admin"))

    admin.post(f"/console/pairs/{pair['id']}/transition", data={"trigger": "reopen"})

    assert "reason" in admin.flashes()
    assert world.pair(pair["id"])["state"] == "closed"


def test_a_coordinator_cannot_reopen_a_closed_pair(world, api, make_staff, console_as):
    pair = _closed_pair(world, api)
    coordinator = console_as(make_staff("coordinator"))
    assert 'value="reopen"' not in coordinator.page(f"/console/pairs/{pair['id']}")

    coordinator.post(
        f"/console/pairs/{pair['id']}/transition",
        data={"trigger": "reopen", "reason": "I would like to"},
    )

    assert world.pair(pair["id"])["state"] == "closed"
