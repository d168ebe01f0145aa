"""Meeting events other services send in: stored once per sender and event id, attached to a
pair, recorded as meetings, and judged by the warning signs (workflows/meeting_rules.py).

Each request is one transaction: the stored event, the meeting, the signals and the pair's
flag commit together or not at all. An event whose pair cannot be told from its addresses is
kept as `unmatched` for a coordinator to attach, never dropped.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from service.actors import Actor
from service.clock import now
from service.database import db, insert_unless_exists, transaction
from service.errors import Conflict, DomainError, Invalid, NotFound
from service.inbound.models import InboundEvent, InboundSource, InboundStatus, SourceKind
from service.meetings import service as meetings
from service.meetings.models import Meeting, MeetingStatus
from service.pairs import service as pairs
from service.pairs.models import Pair
from service.participants.models import Participant
from service.signals import service as signals
from service.signals.models import Signal
from workflows import meeting_rules as rules
from workflows.meeting_rules import MeetingEventType
from workflows.pairing import TERMINAL_STATES
from workflows.rules import RaisedSignal

# Signals raised here carry this source, and the stored event's id.
SIGNAL_SOURCE = "meeting_event"

_MEETING_STATUS = {
    MeetingEventType.HELD: MeetingStatus.HELD,
    MeetingEventType.CANCELLED: MeetingStatus.CANCELLED,
    MeetingEventType.NO_SHOW: MeetingStatus.NO_SHOW,
}
_RECORDED = (InboundStatus.APPLIED, InboundStatus.RESOLVED)


class Duplicate(DomainError):
    """This sender sent an event with this id before; nothing was changed now."""

    problem_type = "inbound-duplicate"


@dataclass(frozen=True)
class MeetingChange:
    """What an event says happened, in our terms; stored as the event's `details`.

    Never free text: a Calendly cancellation's reason stays with Calendly."""

    type: str
    starts_at: datetime | None = None
    previous_starts_at: datetime | None = None
    cancelled_by: str | None = None
    # Calendly says who cancelled by address; the pair tells whose address that is.
    canceller_emails: list[str] = field(default_factory=list)
    # When the meeting was called off or moved; the receipt when the sender does not say.
    cancelled_at: datetime | None = None
    duration_minutes: int | None = None
    missed_by: str | None = None
    format: str = SourceKind.STANDARD

    def to_details(self) -> dict[str, Any]:
        return {
            key: value.isoformat() if isinstance(value, datetime) else value
            for key, value in asdict(self).items()
        }

    @classmethod
    def from_details(cls, details: dict[str, Any]) -> MeetingChange:
        names = cls.__dataclass_fields__
        values = {key: value for key, value in details.items() if key in names}
        for key in ("starts_at", "previous_starts_at", "cancelled_at"):
            if values.get(key):
                values[key] = datetime.fromisoformat(values[key])
        return cls(**values)

    @property
    def due_at(self) -> datetime | None:
        """When the meeting concerned was due: a reschedule moves away from its old time."""
        if self.type == MeetingEventType.RESCHEDULED:
            return self.previous_starts_at
        return self.starts_at


def receive(
    *,
    sender: str,
    external_id: str,
    change: MeetingChange,
    emails: list[str],
    actor: Actor,
    pair_id: int | None = None,
    program_id: int | None = None,
) -> InboundEvent:
    """Store the event once, and apply it to its pair if the pair can be told."""
    emails = _normalise(emails)
    with transaction():
        event = _store_once(
            sender=sender,
            external_id=external_id,
            kind=change.type,
            status=InboundStatus.UNMATCHED,
            emails=emails,
            details=change.to_details(),
        )
        pair, unmatched_because = _find_pair(pair_id=pair_id, emails=emails, program_id=program_id)
        if pair is None:
            event.details = {**event.details, "unmatched_because": unmatched_because}
        else:
            _apply(event, pair_id=pair.id, actor=actor, status=InboundStatus.APPLIED)
    return event


def record_ignored(*, sender: str, external_id: str, kind: str, reason: str) -> InboundEvent:
    """An event understood but of a kind that records nothing: kept, once, as ignored."""
    with transaction():
        event = _store_once(
            sender=sender,
            external_id=external_id[:200],
            kind=kind[:40],
            status=InboundStatus.IGNORED,
            emails=[],
            details={"ignored_because": reason},
        )
    return event


def _store_once(*, sender: str, external_id: str, **values: Any) -> InboundEvent:
    """Insert the event unless the sender sent this id before: one statement decides who was
    first, even between concurrent requests; the later one is refused and changes nothing."""
    event_id = insert_unless_exists(
        InboundEvent,
        {"sender": sender, "external_id": external_id, "received_at": now(), **values},
        ["sender", "external_id"],
    )
    if event_id is None:
        first = db.session.scalar(
            sa.select(InboundEvent.id).where(
                InboundEvent.sender == sender, InboundEvent.external_id == external_id
            )
        )
        raise Duplicate(
            f"Event {external_id!r} from {sender} was received before (inbound event {first}); "
            "nothing was changed.",
            inbound_event_id=first,
        )
    return db.session.get_one(InboundEvent, event_id)


def resolve(
    *, event_id: int, pair_id: int, actor: Actor, cancelled_by: str | None = None
) -> InboundEvent:
    """A coordinator attaches an unmatched event to its pair; it is then applied as if it
    had been matched on arrival (its meeting recorded, the rules run)."""
    with transaction():
        event = _unmatched(event_id)
        pair = pairs.get(pair_id=pair_id)
        source = _source_of(event)
        if source is not None and source.program_id not in (None, pair.program_id):
            raise Invalid("pair_id", f"source {source.slug!r} sends events for another program")
        if not meetings.accepts_meetings(pair):
            raise Conflict(f"Pair {pair.id} is {pair.state}: it has no meetings.")
        if cancelled_by is not None:
            event.details = {**event.details, "cancelled_by": cancelled_by}
        event.resolved_by_label = actor.label
        event.resolved_at = now()
        _apply(event, pair_id=pair.id, actor=actor, status=InboundStatus.RESOLVED)
    return event


def ignore(*, event_id: int, actor: Actor) -> InboundEvent:
    """A coordinator decides an unmatched event concerns no pair (kept, marked ignored)."""
    with transaction():
        event = _unmatched(event_id)
        event.status = InboundStatus.IGNORED
        event.resolved_by_label = actor.label
        event.resolved_at = now()
    return event


def get_event(*, event_id: int) -> InboundEvent:
    event = db.session.get(InboundEvent, event_id)
    if event is None:
        raise NotFound.of("inbound event", event_id)
    return event


def list_events(*, status: str | None = None, limit: int = 100) -> list[InboundEvent]:
    query = sa.select(InboundEvent)
    if status:
        query = query.where(InboundEvent.status == status)
    query = query.order_by(InboundEvent.received_at.desc(), InboundEvent.id.desc()).limit(limit)
    return list(db.session.scalars(query))


def _unmatched(event_id: int) -> InboundEvent:
    event = db.session.scalar(
        sa.select(InboundEvent)
        .where(InboundEvent.id == event_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if event is None:
        raise NotFound.of("inbound event", event_id)
    if event.status != InboundStatus.UNMATCHED:
        raise Conflict(f"Inbound event {event.id} is {event.status}; only unmatched ones wait.")
    return event


def _source_of(event: InboundEvent) -> InboundSource | None:
    kind, _, slug = event.sender.partition(":")
    if kind != "source":
        return None
    return db.session.scalar(sa.select(InboundSource).where(InboundSource.slug == slug))


def _normalise(emails: list[str]) -> list[str]:
    seen: dict[str, None] = {}
    for email in emails:
        if email and email.strip():
            seen.setdefault(email.strip().lower(), None)
    return list(seen)


def _find_pair(
    *, pair_id: int | None, emails: list[str], program_id: int | None
) -> tuple[Pair | None, str]:
    """The pair an event concerns, or why it cannot be told.

    By id if the sender gave one. Otherwise among open pairs (in the source's program, if it
    has one): the one pair whose mentor and mentee are both named; failing that, the only pair
    with a side named, provided every address named is that pair's. A stranger's address
    beside a mentor's may be the mentor's other work, so a coordinator decides."""
    if pair_id is not None:
        pair = db.session.get(Pair, pair_id)
        if pair is None:
            return None, f"no pair {pair_id}"
        if program_id is not None and pair.program_id != program_id:
            return None, f"pair {pair_id} is not in this source's program"
        return pair, ""
    if not emails:
        return None, "neither a pair id nor an e-mail address"
    mentor, mentee = aliased(Participant), aliased(Participant)
    mentor_email, mentee_email = sa.func.lower(mentor.email), sa.func.lower(mentee.email)
    query = (
        sa.select(Pair, mentor_email, mentee_email)
        .join(mentee, mentee.id == Pair.mentee_id)
        .outerjoin(mentor, mentor.id == Pair.mentor_id)
        .where(
            Pair.state.not_in([s.value for s in TERMINAL_STATES]),
            sa.or_(mentor_email.in_(emails), mentee_email.in_(emails)),
        )
        .order_by(Pair.id)
    )
    if program_id is not None:
        query = query.where(Pair.program_id == program_id)
    rows = db.session.execute(query).all()
    both = [pair for pair, a, b in rows if a in emails and b in emails]
    if len(both) == 1:
        return both[0], ""
    if len(rows) == 1:
        pair, a, b = rows[0]
        if set(emails) <= {a, b}:
            return pair, ""
        return None, f"pair {pair.id} has one of the addresses, but not the others"
    if not rows:
        return None, "no open pair has these addresses"
    return None, "these addresses fit pairs " + ", ".join(str(row[0].id) for row in rows)


def _canceller(change: MeetingChange, pair: Pair) -> str | None:
    if change.cancelled_by or not change.canceller_emails:
        return change.cancelled_by
    for role, participant_id in (("mentor", pair.mentor_id), ("mentee", pair.mentee_id)):
        person = db.session.get(Participant, participant_id) if participant_id else None
        if person is not None and person.email.lower() in change.canceller_emails:
            return role
    return None


def _apply(event: InboundEvent, *, pair_id: int, actor: Actor, status: str) -> None:
    pair = pairs.lock(pair_id)
    event.pair_id = pair.id
    if not meetings.accepts_meetings(pair):
        event.status = InboundStatus.IGNORED
        event.details = {**event.details, "ignored_because": f"pair {pair.id} is {pair.state}"}
        return
    program = pair.program
    thresholds = rules.Thresholds(
        cancellations_to_flag=program.cancellations_to_flag,
        window_days=program.cancellation_window_days,
        late_notice_hours=program.late_notice_hours,
    )
    change = MeetingChange.from_details(event.details)
    cancelled_by = _canceller(change, pair)
    notice = None
    if change.type in (MeetingEventType.CANCELLED, MeetingEventType.RESCHEDULED) and change.due_at:
        notice = rules.notice_hours(
            due_at=change.due_at, told_at=change.cancelled_at or event.received_at
        )
    observation = rules.Observation(
        type=change.type,
        due_at=change.due_at or event.received_at,
        notice_hours=notice,
        cancelled_by=cancelled_by,
    )
    # Judge against what came before, then record this one.
    raised = rules.signals_for(observation, _streaks(pair, exclude=event.id), thresholds)
    meeting_status = _MEETING_STATUS.get(MeetingEventType(change.type))
    if meeting_status is not None:
        missed_by = change.missed_by
        if meeting_status == MeetingStatus.CANCELLED:
            # The coordinator is no side of the pair: their cancellation is nobody's miss.
            missed_by = cancelled_by if cancelled_by in ("mentor", "mentee") else None
        meeting = Meeting(
            pair_id=pair.id,
            occurred_at=change.starts_at,
            status=meeting_status,
            duration_minutes=change.duration_minutes,
            missed_by=missed_by,
            notice_hours=notice,
            recorded_by=actor.ref,
        )
        meetings.log_within(meeting, pair=pair)
        event.meeting_id = meeting.id
    event.status = status
    event.details = {
        **event.details,
        "cancelled_by": cancelled_by,
        "notice_hours": notice,
        "late": rules.is_late(observation, thresholds),
        "counts_as_missed": rules.is_missed(observation),
        "due_at": observation.due_at.isoformat(),
        "signals": [signal.code for signal in raised],
    }
    db.session.flush()
    signals.raise_signals(
        pair=pair,
        raised=raised,
        source=SIGNAL_SOURCE,
        source_id=str(event.id),
        actor=actor,
        reason=_reason(raised, thresholds, event),
    )


def _reason(raised: list[RaisedSignal], thresholds: rules.Thresholds, event) -> str:
    said = {
        "missed_meetings": f"{thresholds.cancellations_to_flag} meetings cancelled or missed "
        f"within {thresholds.window_days} days",
        "last_minute_rescheduling": f"{thresholds.late_changes_to_flag} meetings called off or "
        f"moved with less than {thresholds.late_notice_hours} hours' notice within "
        f"{thresholds.window_days} days",
    }
    return "; ".join(said[s.code] for s in raised) + f" (meeting event {event.id})."


def _last_raised(pair: Pair, code: str) -> datetime | None:
    return db.session.scalar(
        sa.select(sa.func.max(Signal.raised_at)).where(
            Signal.pair_id == pair.id, Signal.code == code, Signal.source == SIGNAL_SOURCE
        )
    )


def _streaks(pair: Pair, *, exclude: int) -> rules.Streaks:
    """Each rule's occurrences on the pair since it last raised its signal here."""
    missed_since = _last_raised(pair, "missed_meetings")
    query = sa.select(Meeting.id, Meeting.occurred_at).where(
        Meeting.pair_id == pair.id,
        Meeting.status.in_([MeetingStatus.CANCELLED, MeetingStatus.NO_SHOW]),
    )
    if missed_since is not None:
        query = query.where(Meeting.created_at > missed_since)
    missed = dict(db.session.execute(query).all())

    late_since = _last_raised(pair, "last_minute_rescheduling")
    late: list[datetime] = []
    events = db.session.scalars(
        sa.select(InboundEvent).where(
            InboundEvent.pair_id == pair.id,
            InboundEvent.status.in_(_RECORDED),
            InboundEvent.id != exclude,
        )
    )
    for other in events:
        details = other.details or {}
        if other.meeting_id in missed and not details.get("counts_as_missed", True):
            del missed[other.meeting_id]  # a coordinator's cancellation
        recorded_at = other.resolved_at or other.received_at
        if details.get("late") and (late_since is None or recorded_at > late_since):
            late.append(datetime.fromisoformat(details["due_at"]))
    return rules.Streaks(missed=tuple(missed.values()), late=tuple(late))
