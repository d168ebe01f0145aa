"""What a due calendar item does: invite participants, tell staff a check-in is due or
overdue, remind, judge a period, raise a signal, or propose the closure; and the closure
reflection a logged final session sends at once.

Contacts are made in bulk (`act_many`), a few statements for a whole batch of due items in
the sweep's transaction for that batch; the checks that raise signals or move a pair run one
item at a time, each in a transaction of its own (`act`, `follow_up`; see `calendar.sweep`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value

from service.actors import Actor, ActorKind
from service.calendar import schedule
from service.calendar.compliance import judge_period, last_meeting_day
from service.calendar.models import Contact, ContactStatus
from service.clock import now
from service.database import (
    db,
    insert_many_unless_exist,
    table_of,
    update_rows,
)
from service.errors import ConcurrentUpdate, DomainError
from service.events import payloads
from service.events import service as events
from service.inbox import service as inbox
from service.inbox.models import InboxItem
from service.pairs import lifecycle
from service.pairs.domain_events import PairMoved
from service.pairs.facts import TransitionRequest
from service.pairs.models import Pair
from service.participants.models import Participant
from service.programs.models import Program
from service.signals import service as signals
from service.surveys import invitations, versions
from service.surveys.models import Invitation, SurveyResponse
from workflows import cadence
from workflows.cadence import STAFF, ContactPlan, MeetingRequirement, Monitor
from workflows.pairing import State, Trigger
from workflows.rules import RaisedSignal

log = logging.getLogger(__name__)

CALENDAR = Actor(ActorKind.SYSTEM, None, "program calendar")
CONTACT_KEY = ["pair_id", "kind", "recipient", "due_on"]
CLOSURE_REFLECTION = ContactPlan(
    "closure_reflection", ("mentee", "mentor", "guardian"), "closure_reflection"
)
# The coordinator's follow-up an intervention planned: due that day, like their check-ins.
INTERVENTION_FOLLOW_UP = ContactPlan(Monitor.INTERVENTION_FOLLOW_UP, (STAFF,), None)


def contact_plan(program: Program, kind: str) -> ContactPlan | None:
    """The contact a due `kind` makes (a survey invitation, a coordinator's check-in), or
    None for the checks that judge, signal or propose instead."""
    if kind == Monitor.CLOSURE_REFLECTION:
        return CLOSURE_REFLECTION
    if kind == Monitor.INTERVENTION_FOLLOW_UP:
        return INTERVENTION_FOLLOW_UP
    return schedule.plan_for(program, kind)


@dataclass(frozen=True)
class Due:
    """One occurrence the sweep has taken: `kind` due on `day` (at `due`) for the pair."""

    kind: str
    day: date
    due: datetime
    pair: Pair
    program: Program


def act_many(items: Sequence[Due]) -> int:
    """`act` for many due contacts at once, in the caller's transaction; returns how many
    contacts were made. Every item must have a `contact_plan`.

    A fixed number of statements however many items: the contacts in one INSERT … ON
    CONFLICT DO NOTHING (a contact made already, by an earlier or a concurrent sweep, is
    left out of everything that follows), then the invitations and their e-mails, the
    coordinators' inbox items and e-mails, and the events, each in bulk. Each pair's events
    keep the order of its items and, within one, of the people contacted.
    """
    plans: list[ContactPlan] = []
    for item in items:
        plan = contact_plan(item.program, item.kind)
        if plan is None:
            raise ValueError(f"{item.kind} makes no contact: act on it with `act`")
        plans.append(plan)
    people: dict[tuple[tuple[str, ...], int], list[Participant]] = {}
    for audience in {plan.audience for plan in plans if plan.audience != (STAFF,)}:
        found = schedule.people_by_pair(
            [
                (i.pair, i.program)
                for i, p in zip(items, plans, strict=True)
                if p.audience == audience
            ],
            audience,
        )
        people.update({(audience, pair_id): persons for pair_id, persons in found.items()})
    moment = now()
    rows: list[dict[str, Any]] = []
    about: list[tuple[Due, ContactPlan, Participant | None]] = []
    for item, plan in zip(items, plans, strict=True):
        if plan.audience == (STAFF,):
            grace = timedelta(days=item.program.staff_contact_grace_days)
            rows.append(
                _contact_row(item, STAFF, None, ContactStatus.DUE, item.due + grace, moment)
            )
            about.append((item, plan, None))
            continue
        reminder = (
            item.due + timedelta(days=item.program.reminder_after_days)
            if item.program.reminder_after_days
            else None
        )
        for person in people[(plan.audience, item.pair.id)]:
            recipient = f"{person.role}:{person.id}"
            rows.append(
                _contact_row(item, recipient, person.id, ContactStatus.INVITED, reminder, moment)
            )
            about.append((item, plan, person))
    made = {
        (row.pair_id, row.kind, row.recipient, row.due_on): row.id
        for row in insert_many_unless_exist(
            Contact, rows, CONTACT_KEY, ["id", "pair_id", "kind", "recipient", "due_on"]
        )
    }
    contacts: list[tuple[Due, dict[str, Any]]] = []
    invited: list[tuple[Due, ContactPlan, Participant, dict[str, Any]]] = []
    told: list[Due] = []
    for row, (item, plan, invitee) in zip(rows, about, strict=True):
        contact_id = made.get((row["pair_id"], row["kind"], row["recipient"], row["due_on"]))
        if contact_id is None:
            continue  # made already, by an earlier or a concurrent sweep
        contact = {**row, "id": contact_id}
        contacts.append((item, contact))
        if invitee is None:
            told.append(item)
        else:
            invited.append((item, plan, invitee, contact))
    _invite_many(invited)
    _tell_staff_many(told)
    pairs = {item.pair.id: item.pair for item, _ in contacts}
    pair_payloads = {pair_id: payloads.pair(pair) for pair_id, pair in pairs.items()}
    events.emit_many(
        [
            (
                "checkin.due",
                {"pair": pair_payloads[item.pair.id], "contact": _row_payload(row)},
                item.pair,
            )
            for item, row in contacts
        ]
    )
    return len(contacts)


def reflect_after_final_session(moved: PairMoved) -> None:
    """The final session is logged and the pair closes: the closure reflection goes out now,
    after the session, unless it went out already (the morning after the planned date, or
    sent by the coordinator from the closure procedure)."""
    if moved.to_state != State.CLOSED or moved.request.trigger != Trigger.CLOSE:
        return
    pair, program = moved.pair, moved.program
    drawn = db.session.scalar(
        sa.select(Contact.id)
        .where(Contact.pair_id == pair.id, Contact.kind == Monitor.CLOSURE_REFLECTION)
        .limit(1)
    )
    if drawn is not None or invitations.invited_to(
        pair_id=pair.id, survey_key=Monitor.CLOSURE_REFLECTION
    ):
        return
    act_many(
        [
            Due(
                Monitor.CLOSURE_REFLECTION,
                schedule.cadence_today(program),
                now(),
                pair,
                program,
            )
        ]
    )


def _contact_row(
    item: Due,
    recipient: str,
    participant_id: int | None,
    status: ContactStatus,
    next_reminder_at: datetime | None,
    moment: datetime,
) -> dict[str, Any]:
    return {
        "pair_id": item.pair.id,
        "kind": item.kind,
        "recipient": recipient,
        "participant_id": participant_id,
        "due_on": item.day,
        "due_at": item.due,
        "status": status,
        "reminders_sent": 0,
        "next_reminder_at": next_reminder_at,
        "created_at": moment,
    }


def _invite_many(contacts: list[tuple[Due, ContactPlan, Participant, dict[str, Any]]]) -> None:
    if not contacts:
        return
    invites: list[invitations.Invite] = []
    for item, plan, person, _ in contacts:
        survey = plan.survey_for(person.role)
        if survey is None:
            raise ValueError(f"{plan!r} names no survey to invite to")
        invites.append(
            invitations.Invite(
                survey_key=survey,
                participant=person,
                program=item.program,
                pair=item.pair,
                occasion=cadence.occasion_of(item.kind),
            )
        )
    invitation_ids = invitations.invite_many_within(invites, actor=CALENDAR)
    update_rows(
        table_of(Contact),
        ["id"],
        ["invitation_id"],
        [
            {"key_id": row["id"], "invitation_id": invitation}
            for (*_, row), invitation in zip(contacts, invitation_ids, strict=True)
        ],
    )


def _tell_staff_many(items: list[Due]) -> None:
    if not items:
        return
    staff = inbox.staff_for_pairs([item.pair for item in items])
    notices: list[inbox.Notice] = []
    for item in items:
        title, body = _staff_due_text(item.pair, item.program, item.kind, item.day)
        notices.append(
            inbox.Notice(
                users=staff[item.pair.id],
                kind="staff_contact_due",
                pair=item.pair,
                title=title,
                body=body,
            )
        )
    inbox.notify_many(notices)


def _staff_due_text(pair: Pair, program: Program, kind: str, day: date) -> tuple[str, str]:
    """The title and body of a staff contact's inbox item."""
    if kind == Monitor.INTERVENTION_FOLLOW_UP:
        return (
            f"The follow-up you planned with pair #{pair.id} is due",
            f"Due {day:%d %B %Y}, as planned when an intervention was recorded. Record a "
            f"check-in once you have followed up; overdue after "
            f"{program.staff_contact_grace_days} days.",
        )
    what = "An in-depth support meeting" if kind == "in_depth" else "A check-in"
    return (
        f"{what} with pair #{pair.id} is due",
        f"Due {day:%d %B %Y}; overdue after {program.staff_contact_grace_days} days.",
    )


def act(kind: str, pair: Pair, program: Program, day: date, due: datetime) -> int:
    """Do what the `kind` due on `day` asks; returns how many contacts were made."""
    if contact_plan(program, kind) is not None:
        return act_many([Due(kind, day, due, pair, program)])
    monitor = Monitor(kind)
    if monitor == Monitor.FINAL_SESSION_REMINDER:
        schedule.email_final_session(pair, program, "final_session_reminder", ("mentee", "mentor"))
    elif monitor == Monitor.REMATCH_BRIEFING and not schedule.briefed(pair):
        inbox.notify(
            users=inbox.staff_for(pair),
            kind="staff_contact_due",
            pair=pair,
            title=f"The re-match briefing of pair #{pair.id}'s new mentor is not recorded yet",
            body="A re-matched mentor needs an extra session before the pair "
            "can start. Record it on the mentor's training once held.",
        )
    elif monitor == Monitor.MEETING_REQUIREMENT:
        _judge_last_period(pair, program, day)
    elif monitor == Monitor.NO_MEETING:
        _no_meeting(pair, program, day)
    elif monitor == Monitor.END_OF_MATCH:
        _propose_closure(pair, program)
    elif monitor == Monitor.REMATCH_PROMPT:
        _suggest_rematch(pair)
    return 0


def _suggest_rematch(pair: Pair) -> None:
    """A month after the first intervention the pair is still at risk: unless its pulse
    ratings have risen since, the coordinator is asked to consider a re-match."""
    if pair.state != State.AT_RISK:
        return
    first = schedule.first_intervention_at_risk(pair)
    if first is None or _ratings_rose_since(pair, first):
        return
    asked = db.session.scalar(
        sa.select(InboxItem.id)
        .where(
            InboxItem.pair_id == pair.id,
            InboxItem.kind == "rematch_suggested",
            InboxItem.created_at >= pair.state_changed_at,
        )
        .limit(1)
    )
    if asked is not None:
        return  # asked once for this spell at risk
    inbox.notify(
        users=inbox.staff_for(pair),
        kind="rematch_suggested",
        pair=pair,
        title=f"Pair #{pair.id} is still at risk a month after the first intervention",
        body="Nothing has improved since: the pair is not resolved and its pulse ratings have "
        "not risen. Consider whether a new match would serve the mentee better.",
        path=f"/console/pairs/{pair.id}/rematch",
    )


def _ratings_rose_since(pair: Pair, since: datetime) -> bool:
    """Has anyone's pulse rating risen above their last one before `since`?"""
    ratings = db.session.execute(
        sa.select(
            SurveyResponse.participant_id,
            SurveyResponse.pulse_rating,
            SurveyResponse.submitted_at,
        )
        .where(SurveyResponse.pair_id == pair.id, SurveyResponse.pulse_rating.is_not(None))
        .order_by(SurveyResponse.submitted_at, SurveyResponse.id)
    ).all()
    last: dict[int | None, int] = {}
    for participant_id, rating, submitted_at in ratings:
        if rating is None:
            continue
        previous = last.get(participant_id)
        if submitted_at >= since and previous is not None and rating > previous:
            return True
        last[participant_id] = rating
    return False


def _contact_payload(contact: Contact) -> dict:
    return _row_payload(
        {name: getattr(contact, name) for name in ("id", "kind", "recipient", "due_on", "status")}
    )


def _row_payload(row: dict) -> dict:
    """A contact in an event, from its row (one made in bulk has no Contact object)."""
    return {
        "id": row["id"],
        "kind": row["kind"],
        "recipient_role": row["recipient"].split(":", 1)[0],
        "due_on": row["due_on"].isoformat(),
        "status": str(row["status"]),
    }


def follow_up(contact: Contact, pair: Pair, program: Program, moment: datetime) -> str:
    """A reminder for an unanswered invitation, or, after the last, an overdue item."""
    if reminds(contact, program):
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


def reminds(contact: Contact, program: Program) -> bool:
    """Is the contact's follow-up a reminder (rather than calling it overdue)?"""
    return (
        contact.status == ContactStatus.INVITED and contact.reminders_sent < program.reminders_max
    )


def remind_many(items: Sequence[tuple[Contact, Program]], moment: datetime) -> None:
    """`follow_up` for many contacts that `reminds`, in the caller's transaction: each moved
    on by compare-and-set on the reminder taken (one executemany UPDATE; one that moved
    meanwhile raises ConcurrentUpdate), the reminders e-mailed in bulk."""
    if not items:
        return
    links: list[tuple[int, Program]] = []
    for contact, program in items:
        if contact.invitation_id is None:
            raise ValueError(f"contact {contact.id} has no invitation to remind of")
        links.append((contact.invitation_id, program))
    moved = update_rows(
        table_of(Contact),
        ["id", "next_reminder_at"],
        ["reminders_sent", "next_reminder_at"],
        [
            {
                "key_id": contact.id,
                "key_next_reminder_at": contact.next_reminder_at,
                "reminders_sent": contact.reminders_sent + 1,
                "next_reminder_at": moment + timedelta(days=program.reminder_after_days),
            }
            for contact, program in items
        ],
    )
    if moved != len(items):
        raise ConcurrentUpdate(f"{len(items) - moved} contact(s) of the batch moved on meanwhile")
    invitations.email_links_many(links, "survey_reminder")


def goes_overdue_in_bulk(contact: Contact, program: Program) -> bool:
    """Is the contact's follow-up calling a participant's unanswered contact overdue? Those
    go in bulk (`overdue_many`); a staff contact's raises a signal, one at a time."""
    return (
        not reminds(contact, program)
        and contact.status in (ContactStatus.INVITED, ContactStatus.DUE)
        and contact.recipient != STAFF
    )


def overdue_many(items: Sequence[tuple[Contact, Pair]], moment: datetime) -> None:
    """`follow_up` for many participants' contacts that `goes_overdue_in_bulk`, in the
    caller's transaction: each moved on by compare-and-set on the follow-up taken (one
    executemany UPDATE; one that moved meanwhile raises ConcurrentUpdate), the staff told in
    one INSERT of inbox items (and one of e-mails), the events written in one more."""
    if not items:
        return
    moved = update_rows(
        table_of(Contact),
        ["id", "next_reminder_at"],
        ["status", "next_reminder_at"],
        [
            {
                "key_id": contact.id,
                "key_next_reminder_at": contact.next_reminder_at,
                "status": ContactStatus.OVERDUE,
                "next_reminder_at": None,
            }
            for contact, _ in items
        ],
    )
    if moved != len(items):
        raise ConcurrentUpdate(f"{len(items) - moved} contact(s) of the batch moved on meanwhile")
    staff = inbox.staff_for_pairs([pair for _, pair in items])
    notices: list[inbox.Notice] = []
    overdue: list[tuple[str, dict[str, Any], Pair]] = []
    for contact, pair in items:
        set_committed_value(contact, "status", ContactStatus.OVERDUE)
        set_committed_value(contact, "next_reminder_at", None)
        title, body = _unanswered_notice(contact, pair)
        notices.append(
            inbox.Notice(
                users=staff[pair.id], kind="checkin_overdue", title=title, body=body, pair=pair
            )
        )
        overdue.append(
            (
                "checkin.overdue",
                {"pair": payloads.pair(pair), "contact": _contact_payload(contact)},
                pair,
            )
        )
    inbox.notify_many(notices)
    events.emit_many(overdue)


def _unanswered_notice(contact: Contact, pair: Pair) -> tuple[str, str]:
    role = contact.recipient.split(":", 1)[0]
    return (
        f"No answer from the {role} of pair #{pair.id}",
        f"The {contact.kind.replace('_', ' ')} sent on {contact.due_on:%d %B %Y} is still "
        "unanswered after the reminder. A call may help.",
    )


def _send_reminder(contact: Contact, program: Program) -> None:
    if contact.participant_id is None or contact.invitation_id is None:
        raise ValueError(f"contact {contact.id} is a staff contact: no invitation to remind of")
    person = db.session.get_one(Participant, contact.participant_id)
    invitation = db.session.get_one(Invitation, contact.invitation_id)
    definition = versions.definition_of(
        versions.get_version(version_id=invitation.survey_version_id)
    )
    invitations.email_link(invitation, person, definition, program, "survey_reminder")


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
        title, body = _unanswered_notice(contact, pair)
    inbox.notify(
        users=inbox.staff_for(pair), kind="checkin_overdue", pair=pair, title=title, body=body
    )
    events.emit(
        "checkin.overdue",
        {"pair": payloads.pair(pair), "contact": _contact_payload(contact)},
        pair=pair,
    )


def _judge_last_period(pair: Pair, program: Program, day: date) -> None:
    if program.meeting_requirement is None:
        return  # the program dropped its requirement since the period began
    requirement = MeetingRequirement(**program.meeting_requirement)
    start, end = requirement.period_of(day - timedelta(days=1))
    if (
        pair.paused_from is not None
        and pair.paused_until is not None
        and start < pair.paused_until
        and pair.paused_from < end
    ):
        return  # a period with a pause in it is not held against the pair
    record = judge_period(pair, program, requirement, start, end, closed=True)
    db.session.flush()
    if not record.compliant:
        _meeting_signal(
            pair,
            f"compliance:{record.id}",
            f"Below the meeting requirement from {start} to {end}: "
            f"{record.meetings} meeting(s), {record.minutes} minutes.",
        )


def _no_meeting(pair: Pair, program: Program, day: date) -> None:
    if program.no_meeting_alert_days is None:
        return  # the program turned the alert off since it was scheduled
    last = last_meeting_day(pair, program)
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
    """Due diligence on meetings: goes through the same rules as survey signals."""
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


def _propose_closure(pair: Pair, program: Program) -> None:
    """The planned end approaches: propose the closure in time to tell the mentee."""
    if pair.state not in (State.ACTIVE, State.AT_RISK):
        return
    if pair.planned_end_on is None:
        return  # the planned end was removed since the proposal was scheduled
    final = max(pair.planned_end_on, schedule.cadence_today(program) + timedelta(days=7))
    request = TransitionRequest(
        Trigger.BEGIN_CLOSURE,
        final_session_on=final,
        reason=f"The match reaches its planned end on {pair.planned_end_on:%d %B %Y}.",
    )
    try:
        with db.session.begin_nested():
            lifecycle.request_transition_within(pair=pair, request=request, actor=CALENDAR)
    except DomainError as refusal:
        log.info("calendar: no closure proposal for pair %s: %s", pair.id, refusal.detail)
