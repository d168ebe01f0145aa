"""Driving the program calendar through simulated months."""

from __future__ import annotations

from datetime import datetime
from email.utils import parsedate_to_datetime

import sqlalchemy as sa

from service.calendar.models import Contact, ContactStatus, Schedule
from service.calendar.sweep import sweep
from service.database import db
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
    """When the calendar next has something to do."""
    with app.app_context():
        due = db.session.scalar(sa.select(sa.func.min(Schedule.next_due_at)))
        remind = db.session.scalar(sa.select(sa.func.min(Contact.next_reminder_at)))
    moments = [m for m in (due, remind) if m is not None]
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


def sent_on(message) -> datetime:
    return parsedate_to_datetime(message["Date"])
