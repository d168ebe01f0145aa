"""Monitoring: meeting requirements, quiet pairs, coordinators' own check-ins, exactly-once
sweeps, the end of a match, and calendars that follow the pair's state.

Everything runs on a controllable clock; e-mail goes over a real SMTP server.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from service.accounts import service as accounts
from service.calendar.models import Contact, Schedule
from service.calendar.sweep import sweep
from service.database import db
from service.inbox.models import InboxItem
from service.signals.models import Signal
from tests.helpers import World
from tests.helpers.calendar import run_calendar, sent_on, simulate

pytestmark = pytest.mark.slow

# A Monday morning, before the calendar's nine o'clock.
START = datetime(2027, 1, 4, 8, 0, tzinfo=UTC)
QUIET = {"timezone": "UTC", "no_meeting_alert_days": None, "match_length_months": None}
CHECKIN = {
    "approach": "pair",
    "with_whom": ["mentee", "mentor"],
    "channel": "phone",
    "how_they_are": 4,
    "safety_concern": "no",
}

# A monitor's signal flags the pair (or its closure proposal applies at once); the
# transition reschedules the pair's calendar and so moves the very schedule being run; the
# sweep's compare-and-set on the old due moment then fails and rolls everything back, and
# the schedule fails again at every sweep.


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def coordinator(app, email: str = "cora@example.org") -> int:
    with app.app_context():
        return accounts.create(email=email, full_name="Cora Ordinator", role="coordinator").id


def signal_codes(app, pair_id: int) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                sa.select(Signal.code).where(Signal.pair_id == pair_id).order_by(Signal.id)
            )
        )


def inbox_of(app, user_id: int, kind: str) -> list[InboxItem]:
    with app.app_context():
        items = db.session.scalars(
            sa.select(InboxItem)
            .where(InboxItem.user_id == user_id, InboxItem.kind == kind)
            .order_by(InboxItem.id)
        ).all()
        db.session.expunge_all()
    return list(items)


def staff_contacts(api, pair_id: int) -> list[dict]:
    calendar = api.ok("get", f"/pairs/{pair_id}/calendar")
    return [c for c in calendar["contacts"] if c["recipient_role"] == "staff"]


def upcoming(api, pair_id: int) -> dict[str, str]:
    calendar = api.ok("get", f"/pairs/{pair_id}/calendar")
    return {s["kind"]: s["next_due_on"] for s in calendar["upcoming"]}


# -- a pair that stops meeting -----------------------------------


def test_a_pair_with_no_meeting_for_the_configured_days_goes_at_risk_with_a_signal(app, api, drain):
    with time_machine.travel(START, tick=False) as clock:
        world = World.build(
            api,
            mentors=1,
            mentees=1,
            timezone="UTC",
            no_meeting_alert_days=10,
            match_length_months=None,
        )
        quiet = world.drive_to("active")
        simulate(app, drain, clock, until=at(date(2027, 1, 15), 8))

        history = api.ok("get", f"/pairs/{quiet['id']}/history")["items"]
        assert world.pair(quiet["id"])["state"] == "at_risk"
        last = history[-1]
        assert (last["from"], last["to"], last["trigger"]) == ("active", "at_risk", "flag_risk")
        assert "meeting_requirement_missed" in last["signals"]
        assert last["created_at"].startswith("2027-01-14")  # ten days after activation
        assert "meeting_requirement_missed" in signal_codes(app, quiet["id"])


def test_logging_a_held_meeting_in_time_keeps_the_quiet_time_alarm_silent(app, api, drain):
    with time_machine.travel(START, tick=False) as clock:
        world = World.build(
            api,
            mentors=1,
            mentees=1,
            timezone="UTC",
            no_meeting_alert_days=10,
            match_length_months=None,
        )
        pair = world.drive_to("active")
        clock.move_to(at(date(2027, 1, 9), 13))
        world.log_meeting(pair["id"], occurred_at="2027-01-09T12:00:00+00:00")
        simulate(app, drain, clock, until=at(date(2027, 1, 15), 8))

        assert world.pair(pair["id"])["state"] == "active"
        assert "meeting_requirement_missed" not in signal_codes(app, pair["id"])
        # The alarm now counts from the meeting.
        assert upcoming(api, pair["id"])["no_meeting"] == "2027-01-19"


def test_a_quiet_pair_noticed_a_day_late_still_goes_at_risk(app, api, drain):
    """The sweep runs a day after the alarm was due (the workers were down)."""
    with time_machine.travel(START, tick=False) as clock:
        world = World.build(
            api,
            mentors=1,
            mentees=1,
            timezone="UTC",
            no_meeting_alert_days=10,
            match_length_months=None,
        )
        pair = world.drive_to("active")
        clock.move_to(at(date(2027, 1, 15)))
        run_calendar(app, drain)

        assert "meeting_requirement_missed" in signal_codes(app, pair["id"])
        assert world.pair(pair["id"])["state"] == "at_risk"


# -- a weekly meeting requirement -------------------------------------------------------------

WEEKLY = {**QUIET, "meeting_requirement": {"period": "week", "meetings": 1}}


def _first_week(api, pair_id: int) -> dict:
    calendar = api.ok("get", f"/pairs/{pair_id}/calendar")
    [week] = [c for c in calendar["compliance"] if c["period_start"] == "2027-01-04"]
    return week


def test_a_week_without_a_meeting_is_not_compliant_and_raises_the_signal(app, api, drain):
    with time_machine.travel(START, tick=False) as clock:
        world = World.build(api, mentors=1, mentees=1, **WEEKLY)
        pair = world.drive_to("active")
        simulate(app, drain, clock, until=at(date(2027, 1, 11)))

        week = _first_week(api, pair["id"])
        assert week == {
            "period_start": "2027-01-04",
            "period_end": "2027-01-11",
            "required_meetings": 1,
            "required_minutes": 0,
            "meetings": 0,
            "minutes": 0,
            "compliant": False,
            "closed": True,
        }
        assert signal_codes(app, pair["id"]) == ["meeting_requirement_missed"]
        assert world.pair(pair["id"])["state"] == "at_risk"


def test_a_week_with_a_meeting_is_compliant_and_raises_nothing(app, api, drain):
    with time_machine.travel(START, tick=False) as clock:
        world = World.build(api, mentors=1, mentees=1, **WEEKLY)
        pair = world.drive_to("active")
        clock.move_to(at(date(2027, 1, 6), 18))
        world.log_meeting(pair["id"], occurred_at="2027-01-06T17:00:00+00:00")
        simulate(app, drain, clock, until=at(date(2027, 1, 11)))

        week = _first_week(api, pair["id"])
        assert (week["meetings"], week["minutes"], week["compliant"], week["closed"]) == (
            1,
            60,
            True,
            True,
        )
        assert signal_codes(app, pair["id"]) == []
        assert world.pair(pair["id"])["state"] == "active"


# -- the coordinator's own check-ins ----------------------------------------------------------

# MENTOR's Elements: the coordinator's first check-in is due two weeks after the match.
STAFF_DUE = date(2027, 1, 18)
GRACE_DAYS = 3


def _pair_with_coordinator(app, api):
    world = World.build(api, mentors=1, mentees=1, staff_contact_grace_days=GRACE_DAYS, **QUIET)
    user_id = coordinator(app)
    pair = world.drive_to("active")
    api.colleague("admin").ok("patch", f"/pairs/{pair['id']}", {"coordinator_id": user_id})
    return world, pair, user_id


def test_a_coordinator_check_in_that_is_due_shows_as_due_and_in_their_inbox(app, api, drain):
    with time_machine.travel(START, tick=False) as clock:
        _, pair, user_id = _pair_with_coordinator(app, api)
        simulate(app, drain, clock, until=at(STAFF_DUE))

        [contact] = staff_contacts(api, pair["id"])
        assert (contact["kind"], contact["status"], contact["due_on"]) == (
            "staff_contact",
            "due",
            STAFF_DUE.isoformat(),
        )
        [item] = inbox_of(app, user_id, "staff_contact_due")
        assert item.pair_id == pair["id"]
        assert "is due" in item.title


def test_an_unrecorded_check_in_becomes_overdue_alerts_its_coordinator_and_does_not_move_the_pair(
    app, api, drain
):
    with time_machine.travel(START, tick=False) as clock:
        world, pair, user_id = _pair_with_coordinator(app, api)
        simulate(app, drain, clock, until=at(STAFF_DUE + timedelta(days=GRACE_DAYS)))

        [contact] = staff_contacts(api, pair["id"])
        assert contact["status"] == "overdue"
        [item] = inbox_of(app, user_id, "checkin_overdue")
        assert item.pair_id == pair["id"]
        assert item.title == f"Your check-in with pair #{pair['id']} is overdue"
        assert signal_codes(app, pair["id"]) == ["checkin_overdue"]
        assert world.pair(pair["id"])["state"] == "active"
        history = api.ok("get", f"/pairs/{pair['id']}/history")["items"]
        assert [h["to"] for h in history] == ["matched", "training", "active"]

        # Recorded late, it still counts.
        api.ok("post", f"/pairs/{pair['id']}/checkins", {"answers": CHECKIN}, status=201)
        [contact] = staff_contacts(api, pair["id"])
        assert contact["status"] == "done"


def test_recording_a_due_check_in_marks_it_done_and_it_never_goes_overdue(app, api, drain):
    with time_machine.travel(START, tick=False) as clock:
        _, pair, user_id = _pair_with_coordinator(app, api)
        simulate(app, drain, clock, until=at(STAFF_DUE))
        api.ok("post", f"/pairs/{pair['id']}/checkins", {"answers": CHECKIN}, status=201)

        [contact] = staff_contacts(api, pair["id"])
        assert contact["status"] == "done"
        assert contact["done_at"].startswith(STAFF_DUE.isoformat())

        simulate(app, drain, clock, until=at(STAFF_DUE + timedelta(days=GRACE_DAYS + 1)))
        assert [c["status"] for c in staff_contacts(api, pair["id"])] == ["done"]
        assert inbox_of(app, user_id, "checkin_overdue") == []
        assert "checkin_overdue" not in signal_codes(app, pair["id"])


def test_a_check_in_recorded_a_few_days_early_counts_for_the_one_about_to_fall_due(app, api, drain):
    with time_machine.travel(START, tick=False) as clock:
        _, pair, user_id = _pair_with_coordinator(app, api)
        simulate(app, drain, clock, until=at(STAFF_DUE - timedelta(days=3)))
        api.ok("post", f"/pairs/{pair['id']}/checkins", {"answers": CHECKIN}, status=201)
        simulate(app, drain, clock, until=at(STAFF_DUE + timedelta(days=GRACE_DAYS + 1)))

        assert staff_contacts(api, pair["id"]) == []
        assert inbox_of(app, user_id, "staff_contact_due") == []
        upcoming = {
            s["kind"]: s["next_due_on"]
            for s in api.ok("get", f"/pairs/{pair['id']}/calendar")["upcoming"]
        }
        assert upcoming["staff_contact"] > STAFF_DUE.isoformat()


# -- exactly once -----------------------------------------------------------------------------


def test_sweeping_twice_at_the_same_moment_makes_each_contact_and_sends_each_invitation_once(
    app, api, mailbox, drain
):
    with time_machine.travel(START, tick=False) as clock:
        world = World.build(api, mentors=2, mentees=2, **QUIET)
        user_id = coordinator(app)
        pairs = [world.drive_to("active", i, i) for i in range(2)]
        for pair in pairs:
            api.colleague("admin").ok("patch", f"/pairs/{pair['id']}", {"coordinator_id": user_id})
        simulate(app, drain, clock, until=at(STAFF_DUE, 8))
        mailbox.messages.clear()
        clock.move_to(at(STAFF_DUE, 9))

        with app.app_context():
            due = db.session.execute(
                sa.select(Schedule.id, Schedule.next_due_on, Schedule.next_due_at).where(
                    Schedule.next_due_at <= at(STAFF_DUE, 9)
                )
            ).all()
            first, second = sweep(), sweep()
            # As if a second sweeper had read the same due rows before the first moved them.
            for schedule_id, due_on, due_at in due:
                db.session.execute(
                    sa.update(Schedule)
                    .where(Schedule.id == schedule_id)
                    .values(next_due_on=due_on, next_due_at=due_at)
                )
            db.session.commit()
            third = sweep()
        drain()
        run_calendar(app, drain)

    # Per pair: a check-in for mentee and mentor, and the coordinator's own.
    assert (first.contacts, second.contacts, third.contacts) == (6, 0, 0)
    assert third.schedules == len(due) > 0
    with app.app_context():
        keys = Counter(
            (c.pair_id, c.kind, c.recipient, c.due_on)
            for c in db.session.scalars(sa.select(Contact).where(Contact.due_on == STAFF_DUE))
        )
    assert len(keys) == 6
    assert set(keys.values()) == {1}
    invitations = Counter((m["To"], m["Subject"]) for m in mailbox.messages)
    assert len(invitations) == 4
    assert set(invitations.values()) == {1}
    assert {m["To"] for m in mailbox.messages} == {
        p["email"] for p in world.mentees + world.mentors
    }
    assert len(inbox_of(app, user_id, "staff_contact_due")) == 2


# -- the end of a match -----------------------------------------------------------------------


def test_the_end_of_a_match_is_proposed_in_time_announced_reminded_and_reflected_on(
    app, api, mailbox, drain
):
    planned_end = date(2027, 3, 4)  # two months after activation
    with time_machine.travel(START, tick=False) as clock:
        world = World.build(
            api,
            mentors=1,
            mentees=1,
            timezone="UTC",
            no_meeting_alert_days=None,
            match_length_months=2,
            closure_notice_days=14,
        )
        user_id = coordinator(app)
        pair = world.drive_to("active")
        api.colleague("admin").ok("patch", f"/pairs/{pair['id']}", {"coordinator_id": user_id})
        assert world.pair(pair["id"])["planned_end_on"] == planned_end.isoformat()
        simulate(app, drain, clock, until=at(date(2027, 2, 18)))

        proposals = api.ok("get", f"/proposals?pair_id={pair['id']}&status=pending")["items"]
        [proposal] = proposals
        assert proposal["trigger"] == "begin_closure"
        assert proposal["params"]["final_session_on"] == planned_end.isoformat()
        assert proposal["created_at"].startswith("2027-02-18")  # 14 days before the end
        assert len(inbox_of(app, user_id, "proposal_waiting")) == 1
        mentee, mentor = world.mentees[0]["email"], world.mentors[0]["email"]
        assert not [m for m in mailbox.to(mentee) if "final" in m["Subject"]]

        world.approve(proposal["id"])
        drain()
        [told] = [
            m for m in mailbox.to(mentee) if m["Subject"].startswith("The date of your final")
        ]
        assert sent_on(told).date() == date(2027, 2, 18)
        assert planned_end.isoformat() in told.get_body(preferencelist=("plain",)).get_content()

        simulate(app, drain, clock, until=at(date(2027, 3, 6)), answering=())

    for email in (mentee, mentor):
        reminders = [
            sent_on(m).date()
            for m in mailbox.to(email)
            if m["Subject"] == f"Your final mentoring session is on {planned_end.isoformat()}"
        ]
        assert reminders == [date(2027, 2, 25), date(2027, 3, 3)], email
        reflections = [
            sent_on(m).date()
            for m in mailbox.to(email)
            if m["Subject"].startswith("Looking back on your mentoring")
        ]
        # No final session was logged: the reflection follows the planned date, the morning after.
        assert reflections == [planned_end + timedelta(days=1)], email


def test_where_closure_needs_no_approval_the_pair_enters_closing_at_the_notice_date(
    app, api, mailbox, drain
):
    with time_machine.travel(START, tick=False) as clock:
        world = World.build(
            api,
            mentors=1,
            mentees=1,
            timezone="UTC",
            no_meeting_alert_days=None,
            match_length_months=2,
            closure_notice_days=14,
            approval_required=["rematch", "withdraw"],
        )
        pair = world.drive_to("active")
        simulate(app, drain, clock, until=at(date(2027, 2, 18)))

        closing = world.pair(pair["id"])
        assert (closing["state"], closing["final_session_on"]) == ("closing", "2027-03-04")
        told = [
            m
            for m in mailbox.to(world.mentees[0]["email"])
            if m["Subject"].startswith("The date of your final")
        ]
        assert len(told) == 1


# -- a state change reschedules the calendar --------------------------------------------------


def test_flagging_a_pair_at_risk_tightens_its_check_ins_to_every_two_weeks(
    app, api, mailbox, drain
):
    with time_machine.travel(START, tick=False) as clock:
        world = World.build(api, mentors=1, mentees=1, **QUIET)
        pair = world.drive_to("active")
        simulate(app, drain, clock, until=at(date(2027, 1, 20)))
        assert upcoming(api, pair["id"])["checkin"] == "2027-02-01"  # the regular cadence

        flagged = api.trigger(pair["id"], "flag_risk", signals=["no_chemistry"])
        assert flagged.status_code == 200, flagged.get_json()
        assert upcoming(api, pair["id"])["checkin"] == "2027-02-03"

        simulate(app, drain, clock, until=at(date(2027, 2, 18)))
        assert upcoming(api, pair["id"])["checkin"] == "2027-03-03"
    invited = [
        sent_on(m).date()
        for m in mailbox.to(world.mentees[0]["email"])
        if m["Subject"].startswith("How is")
    ]
    assert invited == [date(2027, 1, 18), date(2027, 2, 3), date(2027, 2, 17)]


def test_closing_a_pair_clears_its_running_schedules_and_schedules_the_six_month_update(
    app, api, mailbox, drain
):
    with time_machine.travel(START, tick=False) as clock:
        world = World.build(api, mentors=1, mentees=1, **QUIET)
        pair = world.drive_to("active")
        assert {"checkin", "staff_contact", "first_meeting"} <= set(upcoming(api, pair["id"]))

        proposed = api.trigger(pair["id"], "begin_closure", final_session_on="2027-01-11")
        assert proposed.status_code == 202, proposed.get_json()
        world.approve(proposed.get_json()["proposal"]["id"])
        assert set(upcoming(api, pair["id"])) == {"final_session_reminder", "closure_reflection"}

        clock.move_to(at(date(2027, 1, 11), 18))
        world.log_meeting(
            pair["id"], occurred_at="2027-01-11T17:00:00+00:00", is_final_session=True
        )
        closed = api.trigger(pair["id"], "close")
        assert closed.status_code == 200, closed.get_json()
        assert closed.get_json()["pair"]["closure_reason"] == "completed"
        assert upcoming(api, pair["id"]) == {"six_month_update": "2027-07-11"}

        simulate(app, drain, clock, until=at(date(2027, 8, 1)), answering=())
        assert upcoming(api, pair["id"]) == {}
    for person in (world.mentees[0], world.mentors[0]):
        six_months = [
            sent_on(m).date()
            for m in mailbox.to(person["email"])
            if m["Subject"].startswith("Six months on")
        ]
        assert six_months == [date(2027, 7, 11)], person["role"]
        assert not [
            m
            for m in mailbox.to(person["email"])
            if m["Subject"].startswith("How is") and sent_on(m).date() > date(2027, 1, 11)
        ]


def test_withdrawing_a_pair_clears_its_calendar_without_follow_ups(app, api, drain):
    with time_machine.travel(START, tick=False):
        world = World.build(api, mentors=1, mentees=1, **QUIET)
        pair = world.drive_to("active")
        proposed = api.trigger(
            pair["id"], "withdraw", closure_reason="withdrawn", reason="Moved away"
        )
        assert proposed.status_code == 202, proposed.get_json()
        world.approve(proposed.get_json()["proposal"]["id"])
        assert world.pair(pair["id"])["state"] == "closed"
        assert upcoming(api, pair["id"]) == {}
