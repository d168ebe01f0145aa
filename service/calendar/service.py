"""Each pair's calendar: which contacts and checks are due, and the sweep that acts on them.

The plans come from `workflows.cadence` (the program's policy); this module keeps one
`Schedule` row per pair and kind with its next due moment, and turns a due row into
contacts (survey invitations, a coordinator's check-in), signals, or a closure proposal.
Exactly once comes from the database: a contact is unique per pair, kind, recipient and
due date, and a schedule only advances by compare-and-set.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from service.actors import Actor, ActorKind
from service.calendar.models import Compliance, Contact, ContactStatus, Schedule
from service.clock import now
from service.database import db, insert_unless_exists, is_postgresql, transaction
from service.errors import ConcurrentUpdate, DomainError
from service.events import payloads
from service.events import service as events
from service.inbox import service as inbox
from service.meetings.models import Meeting, MeetingStatus
from service.notifications import service as notifications
from service.pairs import lifecycle
from service.pairs.facts import TransitionRequest
from service.pairs.models import Pair
from service.participants.models import Participant, Role
from service.programs.models import Program
from service.signals import service as signals
from service.surveys import service as surveys
from workflows import cadence
from workflows.cadence import STAFF, Anchor, ContactPlan, MeetingRequirement, Monitor
from workflows.pairing import State, Trigger
from workflows.rules import RaisedSignal

log = logging.getLogger(__name__)

CALENDAR = Actor(ActorKind.SYSTEM, None, "program calendar")
CONTACT_KEY = ["pair_id", "kind", "recipient", "due_on"]
FINAL_SESSION_REMINDERS = (timedelta(days=7), timedelta(days=1))
REMATCH_BRIEFING_WITHIN = timedelta(days=7)


# -- dates -----------------------------------------------------------------------------------


def _local_date(moment: datetime | None, timezone: str) -> date | None:
    return moment.astimezone(ZoneInfo(timezone)).date() if moment else None


def _anchor(pair: Pair, program: Program, anchor: Anchor) -> date | None:
    tz = program.timezone
    if anchor == Anchor.MATCHED:
        return _local_date(pair.matched_at or pair.created_at, tz)
    if anchor == Anchor.ACTIVATED:
        return _local_date(pair.activated_at, tz)
    if anchor == Anchor.EVENT:
        return program.event_on or _local_date(pair.matched_at or pair.created_at, tz)
    return _local_date(pair.closed_at, tz)


def policy_of(program: Program) -> cadence.CadencePolicy:
    return cadence.POLICIES.get(program.cadence_policy) or cadence.POLICIES[cadence.DEFAULT_POLICY]


def _plan(program: Program, kind: str) -> ContactPlan | None:
    return next((p for p in policy_of(program).contacts if p.kind == kind), None)


def _next_contact(
    plan: ContactPlan, pair: Pair, program: Program, after: date | None, today: date
) -> date | None:
    if plan.tightens_at_risk and pair.state == State.AT_RISK:
        since = _local_date(pair.state_changed_at, program.timezone)
        return cadence.next_at_risk(
            since=since, after=after, today=today, every=policy_of(program).at_risk_every
        )
    anchor = _anchor(pair, program, plan.anchor)
    return plan.next_on(anchor, after=after, today=today) if anchor else None


def _last_meeting_day(pair: Pair, program: Program) -> date | None:
    last = db.session.scalar(
        sa.select(sa.func.max(Meeting.occurred_at)).where(
            Meeting.pair_id == pair.id, Meeting.status == MeetingStatus.HELD
        )
    )
    return _local_date(last, program.timezone)


def _next_check(
    monitor: Monitor, pair: Pair, program: Program, after: date | None, today: date
) -> date | None:
    if monitor == Monitor.MEETING_REQUIREMENT:
        if not program.meeting_requirement:
            return None
        requirement = MeetingRequirement(**program.meeting_requirement)
        # Judged the day after a period ends, for the period just ended.
        return requirement.period_of(max(today, after or today))[1]
    if monitor == Monitor.NO_MEETING:
        if not program.no_meeting_alert_days:
            return None
        quiet = timedelta(days=program.no_meeting_alert_days)
        known = [
            _last_meeting_day(pair, program),
            _local_date(pair.activated_at, program.timezone),
            after,
        ]
        since = max((d for d in known if d), default=today)
        return max(since + quiet, today)
    if monitor == Monitor.END_OF_MATCH:
        if pair.planned_end_on is None or after is not None:
            return None
        return max(pair.planned_end_on - timedelta(days=program.closure_notice_days), today)
    if monitor == Monitor.FINAL_SESSION_REMINDER:
        if pair.final_session_on is None:
            return None
        days = [pair.final_session_on - ahead for ahead in FINAL_SESSION_REMINDERS]
        return next((d for d in days if d >= today and (after is None or d > after)), None)
    if monitor == Monitor.CLOSURE_REFLECTION:
        if pair.final_session_on is None or after is not None:
            return None
        return max(pair.final_session_on, today)
    if monitor == Monitor.REMATCH_BRIEFING:
        if pair.predecessor_id is None or after is not None or _briefed(pair):
            return None
        matched = _local_date(pair.matched_at or pair.created_at, program.timezone)
        return max(matched + REMATCH_BRIEFING_WITHIN, today)
    raise ValueError(f"unknown monitor {monitor!r}")


def _briefed(pair: Pair) -> bool:
    from service.training import service as training

    return pair.mentor_id is not None and training.completed_rematch_briefing(
        mentor_id=pair.mentor_id, pair_id=pair.id
    )


def rematch_started(successor: Pair) -> None:
    """Seed 000 §11.6: the new mentor gets an extra session; invite them, and remind the
    coordinator if it is not recorded within a week."""
    program = db.session.get(Program, successor.program_id)
    mentor = db.session.get(Participant, successor.mentor_id)
    notifications.email_participant(
        mentor, program, template="rematch_briefing", pair_id=successor.id
    )
    reschedule(successor)


def _next_day(kind: str, pair: Pair, program: Program, after: date | None, today: date):
    plan = _plan(program, kind)
    if plan is not None:
        return _next_contact(plan, pair, program, after, today)
    return _next_check(Monitor(kind), pair, program, after, today)


# -- keeping schedules in line with the pair ---------------------------------------------------


def wanted_kinds(pair: Pair, program: Program) -> list[str]:
    kinds = [p.kind for p in cadence.plans_for(policy_of(program), pair.state, pair.closure_reason)]
    return kinds + sorted(cadence.MONITORS_BY_STATE.get(State(pair.state), ()))


def reschedule(pair: Pair) -> None:
    """Bring the pair's schedules in line with its state, in the caller's transaction."""
    program = db.session.get(Program, pair.program_id)
    today = cadence_today(program)
    existing = {
        s.kind: s
        for s in db.session.scalars(sa.select(Schedule).where(Schedule.pair_id == pair.id))
    }
    keep: set[str] = set()
    for kind in wanted_kinds(pair, program):
        schedule = existing.get(kind)
        day = _next_day(kind, pair, program, schedule.last_done_on if schedule else None, today)
        if day is None:
            continue
        keep.add(kind)
        due = cadence.due_at(day, program.timezone)
        if schedule is None:
            db.session.add(Schedule(pair_id=pair.id, kind=kind, next_due_at=due, next_due_on=day))
        else:
            schedule.next_due_at, schedule.next_due_on = due, day
    for kind, schedule in existing.items():
        if kind not in keep:
            db.session.delete(schedule)
    _stop_reminders_outside(pair, keep)


def _stop_reminders_outside(pair: Pair, kinds: set[str]) -> None:
    """Contacts of kinds the pair no longer has (a closed pair's check-ins) stop reminding.
    A participant may still answer; a coordinator's check-in no longer owed is cancelled."""
    db.session.execute(
        sa.update(Contact)
        .where(
            Contact.pair_id == pair.id,
            Contact.kind.not_in(kinds),
            Contact.status == ContactStatus.INVITED,
        )
        .values(next_reminder_at=None)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        sa.update(Contact)
        .where(
            Contact.pair_id == pair.id,
            Contact.kind.not_in(kinds),
            Contact.status == ContactStatus.DUE,
        )
        .values(status=ContactStatus.CANCELLED, next_reminder_at=None)
        .execution_options(synchronize_session=False)
    )


def cadence_today(program: Program) -> date:
    return now().astimezone(ZoneInfo(program.timezone)).date()


def after_transition(pair: Pair, to_state: State) -> None:
    """What a state change does to the calendar (called inside the transition)."""
    if to_state == State.CLOSING and pair.final_session_on is not None:
        _tell_final_session_date(pair)
    reschedule(pair)


def _tell_final_session_date(pair: Pair) -> None:
    """SPEC.md, Closure: the mentee is told the date of the last session in advance."""
    _email_final_session(pair, "final_session_date", ("mentee", "mentor", "guardian"))


def _email_final_session(pair: Pair, template: str, roles: tuple[str, ...]) -> None:
    program = db.session.get(Program, pair.program_id)
    for person in _people(pair, program, roles):
        notifications.email_participant(
            person,
            program,
            template=template,
            pair_id=pair.id,
            final_session_on=pair.final_session_on.isoformat(),
        )


def meeting_logged(pair: Pair, meeting: Meeting) -> None:
    """A held meeting resets the quiet-time alarm and counts toward this period."""
    if meeting.status != MeetingStatus.HELD:
        return
    program = db.session.get(Program, pair.program_id)
    schedule = db.session.scalar(
        sa.select(Schedule).where(Schedule.pair_id == pair.id, Schedule.kind == Monitor.NO_MEETING)
    )
    if schedule is not None and program.no_meeting_alert_days:
        day = _local_date(meeting.occurred_at, program.timezone) + timedelta(
            days=program.no_meeting_alert_days
        )
        if day > schedule.next_due_on:
            schedule.next_due_on, schedule.next_due_at = day, cadence.due_at(day, program.timezone)
    if program.meeting_requirement:
        requirement = MeetingRequirement(**program.meeting_requirement)
        day = _local_date(meeting.occurred_at, program.timezone)
        _judge_period(pair, program, requirement, *requirement.period_of(day), closed=False)


def staff_contact_recorded(pair: Pair) -> None:
    """A coordinator's check-in settles what they owed, and counts toward the cadence."""
    program = db.session.get(Program, pair.program_id)
    today = cadence_today(program)
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
    staff_kinds = [p.kind for p in policy_of(program).contacts if p.audience == (STAFF,)]
    # A check-in recorded shortly before one falls due counts as that one.
    soon = today + timedelta(days=program.staff_contact_grace_days)
    for schedule in db.session.scalars(
        sa.select(Schedule).where(Schedule.pair_id == pair.id, Schedule.kind.in_(staff_kinds))
    ):
        done = schedule.next_due_on if schedule.next_due_on <= soon else today
        schedule.last_done_on = done
        day = _next_day(schedule.kind, pair, program, done, today + timedelta(days=1))
        if day is None:
            db.session.delete(schedule)
        elif day > schedule.next_due_on or done == schedule.next_due_on:
            schedule.next_due_on, schedule.next_due_at = day, cadence.due_at(day, program.timezone)


def contact_answered(invitation_id: int) -> None:
    db.session.execute(
        sa.update(Contact)
        .where(Contact.invitation_id == invitation_id)
        .values(status=ContactStatus.ANSWERED, done_at=now(), next_reminder_at=None)
        .execution_options(synchronize_session=False)
    )


# -- the sweep -----------------------------------------------------------------------------


@dataclass
class SweepResult:
    schedules: int = 0
    contacts: int = 0
    reminders: int = 0
    overdue: int = 0
    failures: list[str] = field(default_factory=list)


def sweep(*, batch: int = 500) -> SweepResult:
    """Act on everything due now, in batches. Its cost follows what is due, not how many
    pairs exist: finding what is due is one indexed query."""
    result = SweepResult()
    moment = now()
    skip: set[int] = set()
    while ids := _due(Schedule, Schedule.next_due_at, moment, batch, skip):
        for schedule_id in ids:
            try:
                result.contacts += _run_schedule(schedule_id, moment)
                result.schedules += 1
            except Exception as error:  # one broken pair must not stop the others
                db.session.rollback()
                skip.add(schedule_id)
                log.exception("calendar: schedule %s failed", schedule_id)
                result.failures.append(f"schedule {schedule_id}: {error}")
    skip = set()
    while ids := _due(Contact, Contact.next_reminder_at, moment, batch, skip):
        for contact_id in ids:
            try:
                outcome = _follow_up(contact_id, moment)
                result.reminders += outcome == "reminded"
                result.overdue += outcome == "overdue"
            except Exception as error:
                db.session.rollback()
                skip.add(contact_id)
                log.exception("calendar: contact %s failed", contact_id)
                result.failures.append(f"contact {contact_id}: {error}")
    notifications.recover_stalled()
    return result


def _due(model: type, column: sa.Column, moment: datetime, limit: int, skip: set[int]) -> list[int]:
    """Due rows, oldest first; rows locked by a concurrent sweeper (PostgreSQL) or that failed
    in this sweep are left out, so every batch makes progress."""
    query = sa.select(model.id).where(column <= moment)
    if skip:
        query = query.where(model.id.not_in(skip))
    query = query.order_by(column).limit(limit)
    if is_postgresql():
        query = query.with_for_update(skip_locked=True)
    ids = list(db.session.scalars(query))
    db.session.commit()
    return ids


def _lock(model: type, row_id: int):
    """The row, locked for this transaction; None if another sweeper holds it (PostgreSQL)."""
    query = sa.select(model).where(model.id == row_id).execution_options(populate_existing=True)
    if is_postgresql():
        query = query.with_for_update(skip_locked=True)
    return db.session.scalar(query)


def _run_schedule(schedule_id: int, moment: datetime) -> int:
    """Claim one due occurrence, move the schedule on, then act on it.

    The schedule is moved on first, by compare-and-set: a concurrent sweeper loses before
    it has done anything, and an act that changes the pair's state (a signal flagging it,
    a closure applied at once) redraws the calendar from the schedule already moved on.
    """
    with transaction():
        pair_id = db.session.scalar(sa.select(Schedule.pair_id).where(Schedule.id == schedule_id))
        if pair_id is None:
            return 0  # gone: the pair's calendar was redrawn
        # The pair first, then its schedule: the order a transition takes them in, so two
        # sweepers on two schedules of one pair, or a sweeper and a transition, queue up
        # instead of deadlocking.
        db.session.execute(sa.select(Pair.id).where(Pair.id == pair_id).with_for_update())
        schedule = _lock(Schedule, schedule_id)
        if schedule is None or schedule.next_due_at > moment:
            return 0  # another sweeper has it, or already moved it on
        pair = db.session.get(Pair, schedule.pair_id)
        program = db.session.get(Program, pair.program_id)
        kind, day, due = schedule.kind, schedule.next_due_on, schedule.next_due_at
        following = _next_day(kind, pair, program, day, day + timedelta(days=1))
        values = {"last_done_on": day}
        if following is not None:
            values.update(
                next_due_on=following, next_due_at=cadence.due_at(following, program.timezone)
            )
        advanced = db.session.execute(
            sa.update(Schedule)
            .where(Schedule.id == schedule.id, Schedule.next_due_at == due)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if advanced.rowcount != 1:
            raise ConcurrentUpdate("another sweeper ran this schedule")
        db.session.expire(schedule)
        if following is None:
            db.session.delete(schedule)
            db.session.flush()
        return _act(kind, pair, program, day, due)


def _act(kind: str, pair: Pair, program: Program, day: date, due: datetime) -> int:
    plan = _plan(program, kind)
    if plan is not None:
        if plan.audience == (STAFF,):
            return _staff_contact_due(pair, program, kind, day, due)
        return _invite(plan, pair, program, day, due)
    monitor = Monitor(kind)
    if monitor == Monitor.CLOSURE_REFLECTION:
        reflection = ContactPlan(
            "closure_reflection", ("mentee", "mentor", "guardian"), "closure_reflection"
        )
        return _invite(reflection, pair, program, day, due)
    if monitor == Monitor.FINAL_SESSION_REMINDER:
        _remind_final_session(pair)
    elif monitor == Monitor.REMATCH_BRIEFING and not _briefed(pair):
        inbox.notify(
            users=inbox.staff_for(pair),
            kind="staff_contact_due",
            pair=pair,
            title=f"The re-match briefing of pair #{pair.id}'s new mentor is not recorded yet",
            body="Seed 000 §11.6: a re-matched mentor needs an extra session before the pair "
            "can start. Record it on the mentor's training once held.",
        )
    elif monitor == Monitor.MEETING_REQUIREMENT:
        _judge_last_period(pair, program, day)
    elif monitor == Monitor.NO_MEETING:
        _no_meeting(pair, program, day)
    elif monitor == Monitor.END_OF_MATCH:
        _propose_closure(pair)
    return 0


def _people(pair: Pair, program: Program, roles: tuple[str, ...]) -> list[Participant]:
    people: list[Participant] = []
    for role in roles:
        if role == Role.MENTEE:
            people.append(db.session.get(Participant, pair.mentee_id))
        elif role == Role.MENTOR and pair.mentor_id:
            people.append(db.session.get(Participant, pair.mentor_id))
        elif role == Role.GUARDIAN and program.youth:
            people += db.session.scalars(
                sa.select(Participant).where(
                    Participant.guardian_of_id == pair.mentee_id, Participant.active.is_(True)
                )
            )
    return [p for p in people if p is not None and p.active]


def _invite(plan: ContactPlan, pair: Pair, program: Program, day: date, due: datetime) -> int:
    made = 0
    reminder = (
        due + timedelta(days=program.reminder_after_days) if program.reminder_after_days else None
    )
    for person in _people(pair, program, plan.audience):
        survey = plan.survey_for(person.role)
        contact_id = insert_unless_exists(
            Contact,
            {
                "pair_id": pair.id,
                "kind": plan.kind,
                "recipient": f"{person.role}:{person.id}",
                "participant_id": person.id,
                "due_on": day,
                "due_at": due,
                "status": ContactStatus.INVITED,
                "next_reminder_at": reminder,
                "created_at": now(),
            },
            CONTACT_KEY,
        )
        if contact_id is None:
            continue  # made already, by an earlier or a concurrent sweep
        contact = db.session.get(Contact, contact_id)
        invitation = surveys.invite(
            survey_key=survey,
            participant_id=person.id,
            pair_id=pair.id,
            actor=CALENDAR,
            send_email=True,
        )
        contact.invitation_id = invitation.id
        events.emit(
            "checkin.due",
            {"pair": payloads.pair(pair), "contact": _contact_payload(contact)},
            pair=pair,
        )
        made += 1
    return made


def _contact_payload(contact: Contact) -> dict:
    return {
        "id": contact.id,
        "kind": contact.kind,
        "recipient_role": contact.recipient.split(":", 1)[0],
        "due_on": contact.due_on.isoformat(),
        "status": contact.status,
    }


def _staff_contact_due(pair: Pair, program: Program, kind: str, day: date, due: datetime) -> int:
    contact_id = insert_unless_exists(
        Contact,
        {
            "pair_id": pair.id,
            "kind": kind,
            "recipient": STAFF,
            "due_on": day,
            "due_at": due,
            "status": ContactStatus.DUE,
            "created_at": now(),
            "next_reminder_at": due + timedelta(days=program.staff_contact_grace_days),
        },
        CONTACT_KEY,
    )
    if contact_id is None:
        return 0
    contact = db.session.get(Contact, contact_id)
    what = "An in-depth support meeting" if kind == "in_depth" else "A check-in"
    inbox.notify(
        users=inbox.staff_for(pair),
        kind="staff_contact_due",
        pair=pair,
        title=f"{what} with pair #{pair.id} is due",
        body=f"Due {day:%d %B %Y}; overdue after {program.staff_contact_grace_days} days.",
    )
    events.emit(
        "checkin.due",
        {"pair": payloads.pair(pair), "contact": _contact_payload(contact)},
        pair=pair,
    )
    return 1


def _follow_up(contact_id: int, moment: datetime) -> str:
    """A reminder for an unanswered invitation, or, after the last, an overdue item."""
    with transaction():
        contact = _lock(Contact, contact_id)
        if contact is None or contact.next_reminder_at is None or contact.next_reminder_at > moment:
            return "nothing"
        pair = db.session.get(Pair, contact.pair_id)
        program = db.session.get(Program, pair.program_id)
        if (
            contact.status == ContactStatus.INVITED
            and contact.reminders_sent < program.reminders_max
        ):
            contact.reminders_sent += 1
            contact.next_reminder_at = moment + timedelta(days=program.reminder_after_days)
            _send_reminder(contact, program)
            return "reminded"
        if contact.status not in (ContactStatus.INVITED, ContactStatus.DUE):
            contact.next_reminder_at = None
            return "nothing"
        contact.status = ContactStatus.OVERDUE
        contact.next_reminder_at = None
        _overdue(contact, pair)
        return "overdue"


def _send_reminder(contact: Contact, program: Program) -> None:
    from service.surveys.models import Invitation

    person = db.session.get(Participant, contact.participant_id)
    invitation = db.session.get(Invitation, contact.invitation_id)
    definition = surveys.definition_of(surveys.get_version(version_id=invitation.survey_version_id))
    surveys.email_link(invitation, person, definition, program, "survey_reminder")


def _overdue(contact: Contact, pair: Pair) -> None:
    if contact.recipient == STAFF:
        title = f"Your check-in with pair #{pair.id} is overdue"
        body = f"It was due on {contact.due_on:%d %B %Y}. Record it once you have been in touch."
        signals.raise_signals(
            pair=pair,
            raised=[RaisedSignal("checkin_overdue", "")],
            source="monitoring",
            source_id=f"contact:{contact.id}",
            actor=CALENDAR,
            reason=f"A staff check-in due {contact.due_on} is overdue.",
        )
    else:
        role = contact.recipient.split(":", 1)[0]
        title = f"No answer from the {role} of pair #{pair.id}"
        body = (
            f"The {contact.kind.replace('_', ' ')} sent on {contact.due_on:%d %B %Y} is still "
            "unanswered after the reminder. A call may help."
        )
    inbox.notify(
        users=inbox.staff_for(pair), kind="checkin_overdue", pair=pair, title=title, body=body
    )
    events.emit(
        "checkin.overdue",
        {"pair": payloads.pair(pair), "contact": _contact_payload(contact)},
        pair=pair,
    )


def _remind_final_session(pair: Pair) -> None:
    _email_final_session(pair, "final_session_reminder", ("mentee", "mentor"))


def _utc_bounds(start: date, end: date, timezone: str) -> tuple[datetime, datetime]:
    zone = ZoneInfo(timezone)
    return (
        datetime.combine(start, time(0), tzinfo=zone).astimezone(UTC),
        datetime.combine(end, time(0), tzinfo=zone).astimezone(UTC),
    )


def _judge_period(
    pair: Pair,
    program: Program,
    requirement: MeetingRequirement,
    start: date,
    end: date,
    *,
    closed: bool,
) -> Compliance:
    low, high = _utc_bounds(start, end, program.timezone)
    count, minutes = db.session.execute(
        sa.select(
            sa.func.count(Meeting.id), sa.func.coalesce(sa.func.sum(Meeting.duration_minutes), 0)
        ).where(
            Meeting.pair_id == pair.id,
            Meeting.status == MeetingStatus.HELD,
            Meeting.occurred_at >= low,
            Meeting.occurred_at < high,
        )
    ).one()
    record = db.session.scalar(
        sa.select(Compliance).where(Compliance.pair_id == pair.id, Compliance.period_start == start)
    )
    if record is None:
        record = Compliance(
            pair_id=pair.id,
            period_start=start,
            period_end=end,
            required_meetings=requirement.meetings,
            required_minutes=requirement.minutes,
        )
        db.session.add(record)
    record.meetings, record.minutes = count, int(minutes)
    record.compliant = requirement.met_by(count, int(minutes))
    record.closed = record.closed or closed
    record.updated_at = now()
    return record


def _judge_last_period(pair: Pair, program: Program, day: date) -> None:
    requirement = MeetingRequirement(**program.meeting_requirement)
    start, end = requirement.period_of(day - timedelta(days=1))
    record = _judge_period(pair, program, requirement, start, end, closed=True)
    db.session.flush()
    if not record.compliant:
        _meeting_signal(
            pair,
            f"compliance:{record.id}",
            f"Below the meeting requirement from {start} to {end}: "
            f"{record.meetings} meeting(s), {record.minutes} minutes.",
        )


def _no_meeting(pair: Pair, program: Program, day: date) -> None:
    last = _last_meeting_day(pair, program)
    if last is not None and last + timedelta(days=program.no_meeting_alert_days) > day:
        return  # a meeting was logged meanwhile
    since = f"since {last:%d %B %Y}" if last else "yet"
    _meeting_signal(
        pair,
        f"no_meeting:{day.isoformat()}",
        f"No meeting logged {since}; the program expects one within "
        f"{program.no_meeting_alert_days} days.",
    )


def _meeting_signal(pair: Pair, source_id: str, reason: str) -> None:
    """Seed 004's due diligence: goes through the same rules as survey signals."""
    signals.raise_signals(
        pair=pair,
        raised=[RaisedSignal("meeting_requirement_missed", "")],
        source="monitoring",
        source_id=source_id,
        actor=CALENDAR,
        reason=reason,
    )
    inbox.notify(
        users=inbox.staff_for(pair),
        kind="meeting_requirement",
        pair=pair,
        title=f"Pair #{pair.id} is below its meeting requirement",
        body=reason,
    )


def _propose_closure(pair: Pair) -> None:
    """The planned end approaches: propose the closure in time to tell the mentee."""
    if pair.state not in (State.ACTIVE, State.AT_RISK):
        return
    program = db.session.get(Program, pair.program_id)
    final = max(pair.planned_end_on, cadence_today(program) + timedelta(days=7))
    request = TransitionRequest(
        Trigger.BEGIN_CLOSURE,
        final_session_on=final,
        reason=f"The match reaches its planned end on {pair.planned_end_on:%d %B %Y}.",
    )
    try:
        with db.session.begin_nested():
            lifecycle.apply_or_propose(pair=pair, request=request, actor=CALENDAR)
    except DomainError as refusal:
        log.info("calendar: no closure proposal for pair %s: %s", pair.id, refusal.detail)


def upcoming(*, pair_id: int) -> list[Schedule]:
    return list(
        db.session.scalars(
            sa.select(Schedule).where(Schedule.pair_id == pair_id).order_by(Schedule.next_due_at)
        )
    )


def contacts_for(*, pair_id: int) -> list[Contact]:
    return list(
        db.session.scalars(
            sa.select(Contact)
            .where(Contact.pair_id == pair_id)
            .order_by(Contact.due_at, Contact.id)
        )
    )


def compliance_for(*, pair_id: int) -> list[Compliance]:
    return list(
        db.session.scalars(
            sa.select(Compliance)
            .where(Compliance.pair_id == pair_id)
            .order_by(Compliance.period_start.desc())
        )
    )
