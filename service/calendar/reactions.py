"""What the calendar does when other domains announce a change (wired in service/reactions.py).

Each reaction runs in the announcer's transaction and uses the rows the announcer already
holds: the pair and its program travel with the event, not by id.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from service.calendar import schedule
from service.calendar.compliance import judge_period, local_date
from service.calendar.models import Contact, ContactStatus, Schedule
from service.clock import now
from service.database import db, table_of, write
from service.meetings.domain_events import MeetingLogged
from service.meetings.models import MeetingStatus
from service.notifications import service as notifications
from service.pairs.domain_events import (
    InterventionRecorded,
    PairMoved,
    PairPaused,
    PlannedEndChanged,
)
from service.pairs.models import Pair
from service.programs.domain_events import ProgramChanged
from service.surveys.domain_events import ResponseSubmitted, StaffCheckinRecorded
from workflows import cadence
from workflows.cadence import STAFF, MeetingRequirement, Monitor
from workflows.pairing import State

# Program settings the calendar is drawn from: changing one redraws every pair's calendar.
CALENDAR_SETTINGS = frozenset(
    {
        "cadence_policy",
        "meeting_requirement",
        "no_meeting_alert_days",
        "closure_notice_days",
        "checkin_spacing_days",
        "event_on",
        "timezone",
        "youth",
        "outcome_measures",
        "outcome_months",
    }
)


def start_successor_calendar(moved: PairMoved) -> None:
    """After a re-match the new mentor gets an extra session: invite them, and draw the
    successor's calendar, which reminds the coordinator if it is not recorded within a week."""
    successor = moved.successor
    if successor is None:
        return
    mentor = successor.mentor
    if mentor is None:
        raise ValueError(f"re-matched pair {successor.id} has no mentor")
    notifications.email_participant(
        mentor, moved.program, template="rematch_briefing", pair_id=successor.id
    )
    schedule.reschedule(successor, moved.program)


def reassure_after_rematch(moved: PairMoved) -> None:
    """A re-match that asked for it tells the mentee and the old mentor, when it happens
    (not when it is only proposed), that the change is nobody's fault."""
    if moved.successor is None or not moved.request.reassurance:
        return
    for person in (moved.pair.mentee, moved.pair.mentor):
        if person is not None:
            notifications.email_participant(
                person,
                moved.program,
                template="rematch_reassurance",
                pair_id=moved.pair.id,
                message=moved.request.reassurance,
            )


def tell_final_session_date(moved: PairMoved) -> None:
    """Closure begins: the mentee (and mentor, and guardian) are told the last session's date
    in advance."""
    if moved.to_state == State.CLOSING and moved.pair.final_session_on is not None:
        schedule.email_final_session(
            moved.pair, moved.program, "final_session_date", ("mentee", "mentor", "guardian")
        )


def draw_follow_ups(recorded: InterventionRecorded) -> None:
    """An intervention's follow-up date is due on the coordinator's calendar; the first one
    while at risk starts the month after which a re-match is suggested."""
    schedule.draw(recorded.pair, recorded.program, cadence.DRAWN_BY_INTERVENTIONS)


def hold_for_pause(paused: PairPaused) -> None:
    """A pause holds the participants' check-ins and the meeting requirement until it ends."""
    schedule.reschedule(paused.pair, paused.program)


def redraw_for_planned_end(changed: PlannedEndChanged) -> None:
    schedule.reschedule(changed.pair, changed.program)


def redraw_program(changed: ProgramChanged) -> None:
    if not CALENDAR_SETTINGS & changed.changed:
        return
    db.session.flush()
    for pair in db.session.scalars(sa.select(Pair).where(Pair.program_id == changed.program.id)):
        schedule.reschedule(pair, changed.program)


def count_meeting(logged: MeetingLogged) -> None:
    """A held meeting resets the quiet-time alarm and counts toward this period."""
    pair, meeting = logged.pair, logged.meeting
    if meeting.status != MeetingStatus.HELD:
        return
    program = pair.program
    no_meeting = db.session.scalar(
        sa.select(Schedule).where(Schedule.pair_id == pair.id, Schedule.kind == Monitor.NO_MEETING)
    )
    if no_meeting is not None and program.no_meeting_alert_days:
        day = local_date(meeting.occurred_at, program.timezone) + timedelta(
            days=program.no_meeting_alert_days
        )
        if day > no_meeting.next_due_on:
            no_meeting.next_due_on = day
            no_meeting.next_due_at = cadence.due_at(day, program.timezone)
    if program.meeting_requirement:
        requirement = MeetingRequirement(**program.meeting_requirement)
        day = local_date(meeting.occurred_at, program.timezone)
        judge_period(pair, program, requirement, *requirement.period_of(day), closed=False)


def settle_staff_contact(recorded: StaffCheckinRecorded) -> None:
    """A coordinator's check-in settles what they owed, and counts toward the cadence."""
    pair = recorded.pair
    program = pair.program
    today = schedule.cadence_today(program)
    db.session.execute(
        sa.update(Contact)
        .where(
            Contact.pair_id == pair.id,
            Contact.recipient == STAFF,
            Contact.status.in_([ContactStatus.DUE, ContactStatus.OVERDUE]),
        )
        .values(status=ContactStatus.DONE, done_at=now(), next_reminder_at=None)
        .execution_options(synchronize_session=False)
    )
    staff_kinds = [p.kind for p in schedule.policy_of(program).contacts if p.audience == (STAFF,)]
    # A check-in recorded shortly before one falls due counts as that one.
    soon = today + timedelta(days=program.staff_contact_grace_days)
    for row in db.session.scalars(
        sa.select(Schedule).where(Schedule.pair_id == pair.id, Schedule.kind.in_(staff_kinds))
    ):
        done = row.next_due_on if row.next_due_on <= soon else today
        row.last_done_on = done
        day = schedule.next_day(row.kind, pair, program, done, today + timedelta(days=1))
        if day is None:
            db.session.delete(row)
        elif day > row.next_due_on or done == row.next_due_on:
            row.next_due_on, row.next_due_at = day, cadence.due_at(day, program.timezone)


def mark_contact_answered(submitted: ResponseSubmitted) -> None:
    write(_ANSWERED, {"answered": submitted.invitation_id, "moment": now()})


# Built once: every survey answer runs it.
_CONTACTS = table_of(Contact)
_ANSWERED = (
    sa.update(_CONTACTS)
    .where(_CONTACTS.c.invitation_id == sa.bindparam("answered"))
    .values(status=ContactStatus.ANSWERED, done_at=sa.bindparam("moment"), next_reminder_at=None)
)
