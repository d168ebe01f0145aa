"""Meetings: what happened between mentor and mentee, held or not."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa

from service import bus
from service.actors import Actor
from service.clock import now
from service.database import db, transaction
from service.errors import Conflict, Invalid
from service.events import payloads
from service.events import service as events
from service.meetings.domain_events import MeetingLogged
from service.meetings.models import Meeting, MeetingStatus
from service.pairs import service as pairs
from service.pairs.models import Pair
from workflows.pairing import State

# A pair without a mentor has nobody to meet; a finished pair meets no more.
MEETING_STATES = frozenset(
    {State.MATCHED, State.TRAINING, State.ACTIVE, State.AT_RISK, State.CLOSING}
)


# A meeting known only by its date is placed at noon UTC, which is still ahead in the
# morning of the same day for the Americas; allow that much, not more.
HELD_AHEAD_TOLERANCE = timedelta(hours=14)


def accepts_meetings(pair: Pair) -> bool:
    return pair.state in MEETING_STATES


def log(
    *,
    pair_id: int,
    occurred_at: datetime,
    status: str,
    actor: Actor,
    duration_minutes: int | None = None,
    attendees: list[str] | None = None,
    location: str = "",
    activities: str = "",
    missed_by: str | None = None,
    is_final_session: bool = False,
) -> Meeting:
    with transaction():
        pair = pairs.get(pair_id=pair_id)
        if not accepts_meetings(pair):
            raise Conflict(
                f"Pair {pair.id} is {pair.state}; meetings are logged from matched until closed.",
            )
        if status == MeetingStatus.HELD and occurred_at > now() + HELD_AHEAD_TOLERANCE:
            raise Invalid("occurred_at", "a held meeting cannot be in the future")
        if status == MeetingStatus.HELD and missed_by is not None:
            raise Invalid(
                "missed_by", "only a cancelled or missed meeting has someone who missed it"
            )
        if is_final_session:
            if status != MeetingStatus.HELD:
                raise Invalid("is_final_session", "the final session must be a held meeting")
            if pair.state != State.CLOSING:
                raise Conflict(
                    f"The final session is logged once closure has begun; pair {pair.id} is "
                    f"{pair.state}. Request 'begin_closure' with the final-session date first.",
                )
        meeting = Meeting(
            pair_id=pair.id,
            occurred_at=occurred_at,
            status=status,
            duration_minutes=duration_minutes,
            attendees=attendees or [],
            location=location,
            activities=activities,
            missed_by=missed_by,
            is_final_session=is_final_session,
            recorded_by=actor.ref,
        )
        log_within(meeting, pair=pair)
    return meeting


def log_within(meeting: Meeting, *, pair: Pair) -> None:
    """`log` a meeting already checked, inside the caller's transaction: store, publish,
    announce."""
    db.session.add(meeting)
    db.session.flush()
    events.emit("meeting.logged", {"meeting": payloads.meeting(meeting)}, pair=pair)
    bus.announce(MeetingLogged(pair, meeting))


def noon_utc(day: date) -> datetime:
    """A meeting known only by its date, placed at noon UTC so it stays on that date."""
    return datetime.combine(day, time(12), tzinfo=UTC)


def list_for(*, pair_id: int) -> list[Meeting]:
    pairs.get(pair_id=pair_id)
    return list(
        db.session.scalars(
            sa.select(Meeting)
            .where(Meeting.pair_id == pair_id)
            .order_by(Meeting.occurred_at, Meeting.id)
        )
    )
