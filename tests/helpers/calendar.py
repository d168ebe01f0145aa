"""Driving the program calendar through simulated months."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from email.utils import parsedate_to_datetime

import sqlalchemy as sa

from service.calendar.models import Contact, ContactStatus, Schedule
from service.calendar.sweep import sweep
from service.clock import now
from service.database import db
from service.pairs.models import Pair
from service.surveys import invitations, responses, versions

ANSWERS = {
    "checkin_mentee": {
        "meetings_held": 3,
        "meetings_missed": 0,
        "relationship_rating": 8,
        "progress_on_actions": "yes",
        "talking_balance": "even",
        "feels_unsafe": "no",
    },
    "checkin_mentor": {
        "meetings_held": 3,
        "meetings_missed": 0,
        "relationship_rating": 8,
        "mentee_progress": "yes",
        "concern": "no",
    },
    "checkin_guardian": {"meetings_happening": "yes", "child_enjoys": 4, "concern": "no"},
    "first_meeting": {"first_meeting_held": "no"},
    "event_followup": {"useful": 4, "in_touch": "yes"},
    "six_month_update": {
        "update": "Started a new job",
        "still_in_touch": "yes",
        "impact": 5,
        "share_story": "no",
    },
}


def next_moment(app) -> datetime | None:
    """When the calendar next has something to do: now, when a pair moved since its calendar
    was drawn (the sweep redraws it)."""
    with app.app_context():
        due = db.session.scalar(sa.select(sa.func.min(Schedule.next_due_at)))
        remind = db.session.scalar(sa.select(sa.func.min(Contact.next_reminder_at)))
        stale = db.session.scalar(sa.select(Pair.id).where(Pair.calendar_stale).limit(1))
    moments = [m for m in (due, remind, now() if stale else None) if m is not None]
    return min(moments) if moments else None


def run_calendar(app, drain) -> None:
    with app.app_context():
        result = sweep()
        assert result.failures == []
    drain()


def answer_open_invitations(app, roles: tuple[str, ...]) -> int:
    """Participants in `roles` answer every survey they were sent and have not answered."""
    answered = 0
    with app.app_context():
        open_contacts = db.session.scalars(
            sa.select(Contact).where(Contact.status == ContactStatus.INVITED)
        ).all()
        for contact in open_contacts:
            role = contact.recipient.split(":")[0]
            if role not in roles:
                continue
            invitation = invitations.get_invitation(invitation_id=contact.invitation_id)
            version = versions.get_version(version_id=invitation.survey_version_id)
            responses.submit(invitation_id=invitation.id, answers=ANSWERS[version.survey_key])
            answered += 1
    return answered


def simulate(
    app,
    drain: Callable[[], None],
    clock,
    *,
    until: datetime,
    answering: tuple[str, ...] = ("mentee", "mentor"),
    actions: Sequence[tuple[datetime, Callable[[], None]]] = (),
) -> None:
    """Jump from one due moment to the next until `until`, sweeping and delivering mail at
    each; `answering` roles answer what they were sent; `actions` happen at their moment.
    The clock (a time-machine traveller, not ticking) ends at `until`."""
    pending = sorted(actions, key=lambda action: action[0])
    while True:
        moment = next_moment(app)
        if pending and (moment is None or pending[0][0] <= moment):
            when, action = pending.pop(0)
            clock.move_to(when)
            action()
            continue
        if moment is None or moment > until:
            clock.move_to(until)
            return
        clock.move_to(moment)
        run_calendar(app, drain)
        if answering:
            answer_open_invitations(app, roles=answering)


def sent_on(message) -> datetime:
    return parsedate_to_datetime(message["Date"])
