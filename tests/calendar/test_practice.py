"""The calendar keeps to the practice a seasoned coordinator expects: more contact at risk
under every plan, the call first, never so often that people feel watched, nothing lost in
training, the reflection after the session, guardians in youth programs, and follow-ups kept.

Everything runs on a controllable clock; e-mail goes over a real SMTP server.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from service.calendar.models import Contact
from service.database import db
from tests.calendar.test_monitoring import (
    QUIET,
    START,
    at,
    coordinator,
    inbox_of,
    signal_codes,
    staff_contacts,
    upcoming,
)
from tests.helpers import World
from tests.helpers.calendar import sent_on, simulate

pytestmark = pytest.mark.slow


def invited(mailbox, person: dict, subject: str = "How is") -> list[date]:
    return [
        sent_on(m).date() for m in mailbox.to(person["email"]) if m["Subject"].startswith(subject)
    ]


def contacts_of(app, pair_id: int, kind: str) -> list[Contact]:
    with app.app_context():
        found = db.session.scalars(
            sa.select(Contact)
            .where(Contact.pair_id == pair_id, Contact.kind == kind)
            .order_by(Contact.due_on, Contact.id)
        ).all()
        db.session.expunge_all()
    return list(found)


def missed(app, pair_id: int) -> list[str]:
    return [code for code in signal_codes(app, pair_id) if code == "meeting_requirement_missed"]


def looked_after(app, api, world: World, pair: dict) -> int:
    user_id = coordinator(app, f"cora-{pair['id']}@example.org")
    api.colleague("admin").ok("patch", f"/pairs/{pair['id']}", {"coordinator_id": user_id})
    return user_id


def flag(api, pair_id: int) -> None:
    flagged = api.trigger(pair_id, "flag_risk", signals=["too_busy_to_schedule"])
    assert flagged.status_code == 200, flagged.get_json()


def resolve(api, pair_id: int) -> None:
    api.ok("post", f"/pairs/{pair_id}/interventions", {"description": "Called both"})
    resolved = api.trigger(pair_id, "resolve")
    assert resolved.status_code == 200, resolved.get_json()


# -- at risk means more contact for every plan -----------------------------------------------


def test_under_mentor_5th_a_pair_at_risk_for_60_days_gets_an_in_depth_check_in_every_two_weeks(
    app, api, drain
):
    flagged = date(2027, 3, 10)  # a Wednesday
    with time_machine.travel(START, tick=False) as clock:
        world = World.build(api, mentors=1, mentees=1, cadence_policy="mentor_5th", **QUIET)
        pair = world.drive_to("active")
        simulate(
            app,
            drain,
            clock,
            until=at(flagged + timedelta(days=60), 8),
            answering=(),
            actions=[(at(flagged), lambda: flag(api, pair["id"]))],
        )
    at_risk = [c.due_on for c in contacts_of(app, pair["id"], "in_depth") if c.due_on >= flagged]
    assert at_risk == [flagged + timedelta(days=14 * n) for n in range(5)]


# -- the first step is a call -----------------------------------------------------------------


def test_when_a_pair_becomes_at_risk_the_coordinators_check_in_falls_due_that_day(app, api, drain):
    with time_machine.travel(START, tick=False) as clock:
        world = World.build(api, mentors=1, mentees=1, **QUIET)
        pair = world.drive_to("active")
        user_id = looked_after(app, api, world, pair)
        simulate(app, drain, clock, until=at(date(2027, 1, 20)), answering=())
        flag(api, pair["id"])  # Wednesday 20 January, ten o'clock
        assert upcoming(api, pair["id"])["staff_contact"] == "2027-01-20"
        simulate(app, drain, clock, until=at(date(2027, 1, 20), 11), answering=())

        due = [c for c in staff_contacts(api, pair["id"]) if c["due_on"] == "2027-01-20"]
        assert [c["status"] for c in due] == ["due"]
        assert upcoming(api, pair["id"])["staff_contact"] == "2027-02-03"
    told = inbox_of(app, user_id, "staff_contact_due")
    assert [item.created_at.date() for item in told][-1] == date(2027, 1, 20)


def test_a_pair_flagged_on_a_saturday_has_its_coordinators_call_due_on_monday(app, api, drain):
    with time_machine.travel(START, tick=False) as clock:
        world = World.build(api, mentors=1, mentees=1, **QUIET)
        pair = world.drive_to("active")
        simulate(app, drain, clock, until=at(date(2027, 1, 23)), answering=())
        flag(api, pair["id"])  # Saturday 23 January
        assert upcoming(api, pair["id"])["staff_contact"] == "2027-01-25"


# -- never so often that people feel watched -------------------------------------------------


def _resolved_four_days_before_a_regular_check_in(app, api, mailbox, drain, **program):
    """Regular check-ins on the 1st of the month; at risk from 13 April (a check-in on 27
    April), resolved on 28 April, four days before the regular one of 1 May."""
    with time_machine.travel(START, tick=False) as clock:
        world = World.build(api, mentors=1, mentees=1, **QUIET, **program)
        pair = world.drive_to("active")
        simulate(
            app,
            drain,
            clock,
            until=at(date(2027, 6, 10)),
            answering=(),
            actions=[
                (at(date(2027, 4, 13)), lambda: flag(api, pair["id"])),
                (at(date(2027, 4, 28)), lambda: resolve(api, pair["id"])),
            ],
        )
    return invited(mailbox, world.mentees[0])


def test_no_participant_gets_two_check_ins_closer_than_the_programs_spacing(
    app, api, mailbox, drain
):
    days = _resolved_four_days_before_a_regular_check_in(app, api, mailbox, drain)
    assert date(2027, 4, 1) in days  # the regular cadence, on the 1st
    # The regular check-in of 1 May merges into the at-risk one of 27 April.
    assert [d for d in days if d > date(2027, 4, 1)] == [date(2027, 4, 27), date(2027, 6, 1)]


def test_a_program_that_allows_closer_check_ins_sends_both(app, api, mailbox, drain):
    days = _resolved_four_days_before_a_regular_check_in(
        app, api, mailbox, drain, checkin_spacing_days=3
    )
    assert [d for d in days if d > date(2027, 4, 1)] == [
        date(2027, 4, 27),
        date(2027, 5, 1),
        date(2027, 6, 1),
    ]


# -- nothing is lost during training --------------------------------------------------------


def test_a_pair_matched_three_weeks_before_activation_keeps_its_first_month_check_ins(
    app, api, mailbox, drain
):
    activated = date(2027, 1, 25)
    with time_machine.travel(START, tick=False) as clock:
        world = World.build(api, mentors=1, mentees=1, **QUIET)
        pair = world.drive_to("training")
        simulate(app, drain, clock, until=at(activated, 8), answering=())
        assert api.trigger(pair["id"], "activate").status_code == 200
        simulate(app, drain, clock, until=at(date(2027, 2, 25), 8), answering=())

    for person in (world.mentees[0], world.mentors[0]):
        assert invited(mailbox, person) == [date(2027, 2, 8), date(2027, 2, 22)], person["role"]


# -- the reflection follows the session ------------------------------------------------------


def test_the_closure_reflection_goes_out_when_the_final_session_is_logged(app, api, mailbox, drain):
    final = date(2027, 1, 11)
    with time_machine.travel(START, tick=False) as clock:
        world = World.build(api, mentors=1, mentees=1, **QUIET)
        pair = world.drive_to("active")
        proposed = api.trigger(pair["id"], "begin_closure", final_session_on=final.isoformat())
        world.approve(proposed.get_json()["proposal"]["id"])
        simulate(app, drain, clock, until=at(final, 17), answering=())
        assert invited(mailbox, world.mentees[0], "Looking back") == []  # not before the session

        world.log_meeting(
            pair["id"], occurred_at="2027-01-11T16:00:00+00:00", is_final_session=True
        )
        assert api.trigger(pair["id"], "close").status_code == 200
        drain()
        simulate(app, drain, clock, until=at(date(2027, 1, 20)), answering=())

    for person in (world.mentees[0], world.mentors[0]):
        [reflection] = [
            m for m in mailbox.to(person["email"]) if m["Subject"].startswith("Looking back")
        ]
        assert sent_on(reflection) == datetime(2027, 1, 11, 17, 0, tzinfo=UTC), person["role"]


# -- guardians in youth programs -------------------------------------------------------------


def test_in_a_youth_program_the_bimonthly_check_ins_ask_the_guardian_too(app, api, mailbox, drain):
    with time_machine.travel(START, tick=False) as clock:
        world = World.build(
            api, mentors=1, mentees=1, youth=True, cadence_policy="bimonthly", **QUIET
        )
        guardian = world.add_participant("guardian", guardian_of_id=world.mentees[0]["id"])
        world.drive_to("active")
        simulate(app, drain, clock, until=at(date(2027, 3, 5)), answering=())

    assert invited(mailbox, guardian) == [date(2027, 3, 4)]


# -- follow-ups are kept ---------------------------------------------------------------------


def test_an_interventions_follow_up_date_is_due_in_the_coordinators_inbox_and_calendar_that_day(
    app, api, drain
):
    with time_machine.travel(START, tick=False) as clock:
        world = World.build(api, mentors=1, mentees=1, **QUIET)
        pair = world.drive_to("active")
        user_id = looked_after(app, api, world, pair)
        api.ok(
            "post",
            f"/pairs/{pair['id']}/interventions",
            {"description": "Agreed a new meeting day", "follow_up_on": "2027-01-13"},
        )
        assert upcoming(api, pair["id"])["intervention_follow_up"] == "2027-01-13"
        simulate(app, drain, clock, until=at(date(2027, 1, 13), 8), answering=())
        assert inbox_of(app, user_id, "staff_contact_due") == []
        simulate(app, drain, clock, until=at(date(2027, 1, 13)), answering=())

        [follow_up] = [c for c in staff_contacts(api, pair["id"]) if c["kind"] != "staff_contact"]
        assert (follow_up["kind"], follow_up["due_on"], follow_up["status"]) == (
            "intervention_follow_up",
            "2027-01-13",
            "due",
        )
        assert "intervention_follow_up" not in upcoming(api, pair["id"])
    [item] = inbox_of(app, user_id, "staff_contact_due")
    assert item.title == f"The follow-up you planned with pair #{pair['id']} is due"
    assert item.created_at.date() == date(2027, 1, 13)


def test_a_pair_still_at_risk_a_month_after_its_first_intervention_prompts_a_rematch(
    app, api, drain
):
    with time_machine.travel(START, tick=False) as clock:
        world = World.build(api, mentors=1, mentees=1, **QUIET)
        pair = world.drive_to("active")
        user_id = looked_after(app, api, world, pair)
        flag(api, pair["id"])
        clock.move_to(at(date(2027, 1, 6)))
        api.ok("post", f"/pairs/{pair['id']}/interventions", {"description": "Called the mentor"})
        simulate(app, drain, clock, until=at(date(2027, 2, 4)), answering=())
        assert inbox_of(app, user_id, "rematch_suggested") == []
        simulate(app, drain, clock, until=at(date(2027, 3, 20)), answering=())

    [prompt] = inbox_of(app, user_id, "rematch_suggested")
    assert prompt.created_at.date() == date(2027, 2, 5)
    assert prompt.link.endswith(f"/console/pairs/{pair['id']}/rematch")


def test_a_pair_resolved_within_the_month_is_not_proposed_for_a_rematch(app, api, drain):
    with time_machine.travel(START, tick=False) as clock:
        world = World.build(api, mentors=1, mentees=1, **QUIET)
        pair = world.drive_to("active")
        user_id = looked_after(app, api, world, pair)
        flag(api, pair["id"])
        clock.move_to(at(date(2027, 1, 6)))
        resolve(api, pair["id"])
        simulate(app, drain, clock, until=at(date(2027, 3, 1)), answering=())
    assert inbox_of(app, user_id, "rematch_suggested") == []


# -- pauses ----------------------------------------------------------------------------------


def test_a_paused_pair_gets_no_participant_check_ins_and_resumes_on_the_end_date_with_one(
    app, api, mailbox, drain
):
    with time_machine.travel(START, tick=False) as clock:
        world = World.build(api, mentors=1, mentees=1, **QUIET)
        pair = world.drive_to("active")
        simulate(app, drain, clock, until=at(date(2027, 2, 10)), answering=())
        pause = api.ok(
            "post",
            f"/pairs/{pair['id']}/pauses",
            {"reason": "school_holidays", "ends_on": "2027-03-15", "note": "Half term"},
            status=201,
        )
        assert (pause["starts_on"], pause["ends_on"]) == ("2027-02-10", "2027-03-15")
        assert "checkin" not in upcoming(api, pair["id"])
        assert upcoming(api, pair["id"])["pause_end"] == "2027-03-15"
        simulate(app, drain, clock, until=at(date(2027, 4, 2)), answering=())

    for person in (world.mentees[0], world.mentors[0]):
        assert invited(mailbox, person) == [
            date(2027, 1, 18),
            date(2027, 2, 1),
            date(2027, 3, 15),  # the pair resumes, with a check-in
            date(2027, 4, 1),
        ], person["role"]
    # The coordinator's own contact went on through the pause.
    staff = [c.due_on for c in contacts_of(app, pair["id"], "staff_contact")]
    assert date(2027, 3, 1) in staff


def test_a_pause_suspends_the_meeting_requirement(app, api, drain):
    with time_machine.travel(START, tick=False) as clock:
        world = World.build(
            api,
            mentors=1,
            mentees=1,
            meeting_requirement={"period": "week", "meetings": 1},
            **QUIET,
        )
        pair = world.drive_to("active")
        world.log_meeting(pair["id"], occurred_at="2027-01-04T07:00:00+00:00")
        api.ok(
            "post",
            f"/pairs/{pair['id']}/pauses",
            {"reason": "illness", "ends_on": "2027-02-01"},
            status=201,
        )
        simulate(app, drain, clock, until=at(date(2027, 2, 1), 8), answering=())
        assert world.pair(pair["id"])["state"] == "active"
        assert missed(app, pair["id"]) == []
        simulate(app, drain, clock, until=at(date(2027, 2, 9)), answering=())
    # Back from the pause, a week without a meeting counts again.
    assert missed(app, pair["id"]) == ["meeting_requirement_missed"]


def test_the_closure_reflection_sent_when_the_pair_closes_still_gets_its_reminder(
    app, api, mailbox, drain
):
    final = date(2027, 1, 11)
    with time_machine.travel(START, tick=False) as clock:
        world = World.build(api, mentors=1, mentees=1, **QUIET)
        pair = world.drive_to("active")
        proposed = api.trigger(pair["id"], "begin_closure", final_session_on=final.isoformat())
        world.approve(proposed.get_json()["proposal"]["id"])
        clock.move_to(at(final, 17))
        world.log_meeting(
            pair["id"], occurred_at="2027-01-11T16:00:00+00:00", is_final_session=True
        )
        assert api.trigger(pair["id"], "close").status_code == 200
        simulate(app, drain, clock, until=at(date(2027, 1, 20)), answering=())

    reminded = invited(mailbox, world.mentors[0], "Reminder: Looking back")
    assert reminded == [date(2027, 1, 14)]
