"""Training records, and what each participant still has to attend."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa

from service.database import db, transaction
from service.errors import Invalid
from service.pairs.models import Pair
from service.participants import service as participants
from service.participants.models import Participant, Role
from service.training.models import TrainingRecord, TrainingSession

SESSIONS_FOR_ROLE: dict[str, frozenset[TrainingSession]] = {
    Role.MENTOR: frozenset(
        {
            TrainingSession.MENTOR_ORIENTATION,
            TrainingSession.JOINT_WORKSHOP,
            TrainingSession.REMATCH_BRIEFING,
        }
    ),
    Role.MENTEE: frozenset({TrainingSession.MENTEE_ORIENTATION, TrainingSession.JOINT_WORKSHOP}),
    # Parents and guardians of young mentees, when the program asks it of them.
    Role.GUARDIAN: frozenset(
        {TrainingSession.GUARDIAN_ORIENTATION, TrainingSession.JOINT_WORKSHOP}
    ),
}


def record(
    *,
    participant_id: int,
    session: str,
    completed_on: date,
    pair_id: int | None = None,
    topics: Sequence[str] = (),
) -> TrainingRecord:
    """Record an attended session and what it covered; recording the same session twice
    keeps the first (with the topics of both)."""
    with transaction():
        participant = participants.get(participant_id=participant_id)
        if session not in SESSIONS_FOR_ROLE[participant.role]:
            raise Invalid("session", f"a {participant.role} does not attend {session}")
        if session == TrainingSession.REMATCH_BRIEFING:
            if pair_id is None:
                raise Invalid("pair_id", "the re-match briefing belongs to one pair; give its id")
            pair = db.session.get(Pair, pair_id)
            if pair is None or pair.mentor_id != participant.id:
                raise Invalid("pair_id", f"participant {participant.id} is not this pair's mentor")
        elif pair_id is not None:
            raise Invalid("pair_id", f"{session} is not tied to one pair")
        return record_within(
            participant=participant,
            session=session,
            completed_on=completed_on,
            pair_id=pair_id,
            topics=topics,
        )


def record_within(
    *,
    participant: Participant,
    session: str,
    completed_on: date,
    pair_id: int | None = None,
    topics: Sequence[str] = (),
) -> TrainingRecord:
    """`record`, inside the caller's transaction (the session is not checked against the
    role): stores an attended session unless it is recorded already."""
    existing = db.session.scalar(
        sa.select(TrainingRecord).where(
            TrainingRecord.participant_id == participant.id,
            TrainingRecord.session == session,
            TrainingRecord.pair_id.is_(None)
            if pair_id is None
            else TrainingRecord.pair_id == pair_id,
        )
    )
    covered = list(dict.fromkeys(t.strip() for t in topics if t.strip()))
    if existing is not None:
        if covered:
            existing.topics = list(dict.fromkeys([*existing.topics, *covered]))
        return existing
    record = TrainingRecord(
        participant_id=participant.id,
        session=session,
        completed_on=completed_on,
        pair_id=pair_id,
        topics=covered,
    )
    db.session.add(record)
    return record


def list_for(*, participant_id: int) -> list[TrainingRecord]:
    participants.get(participant_id=participant_id)
    return list(
        db.session.scalars(
            sa.select(TrainingRecord)
            .where(TrainingRecord.participant_id == participant_id)
            .order_by(TrainingRecord.completed_on, TrainingRecord.id)
        )
    )


def records_for(participant_ids: Sequence[int]) -> dict[int, list[TrainingRecord]]:
    """The sessions each participant attended, oldest first, in one query."""
    found: dict[int, list[TrainingRecord]] = {pid: [] for pid in participant_ids}
    for row in db.session.scalars(
        sa.select(TrainingRecord)
        .where(TrainingRecord.participant_id.in_(participant_ids))
        .order_by(TrainingRecord.completed_on, TrainingRecord.id)
    ):
        found[row.participant_id].append(row)
    return found


def missing_sessions(participant: Participant, required: list[str]) -> tuple[str, ...]:
    attended = set(
        db.session.scalars(
            sa.select(TrainingRecord.session).where(
                TrainingRecord.participant_id == participant.id,
                TrainingRecord.pair_id.is_(None),
            )
        )
    )
    return tuple(session for session in required if session not in attended)


def completed_rematch_briefing(*, mentor_id: int, pair_id: int) -> bool:
    return (
        db.session.scalar(
            sa.select(TrainingRecord.id).where(
                TrainingRecord.participant_id == mentor_id,
                TrainingRecord.session == TrainingSession.REMATCH_BRIEFING,
                TrainingRecord.pair_id == pair_id,
            )
        )
        is not None
    )
