"""Participants: mentors, mentees and, in youth programs, their parents or guardians."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from service.clock import now
from service.database import db, transaction
from service.errors import Conflict, Invalid, NotFound
from service.pairs.models import Pair
from service.participants.models import Participant, Role
from service.programs import service as programs
from workflows.intake import IntakeState
from workflows.pairing import TERMINAL_STATES


def get(*, participant_id: int) -> Participant:
    participant = db.session.get(Participant, participant_id)
    if participant is None:
        raise NotFound.of("participant", participant_id)
    return participant


def get_in_program(
    *, participant_id: int, program_id: int, role: Role, field: str, approved: bool = True
) -> Participant:
    """A participant named in a request body: a clear 422 when it is the wrong one. With
    `approved` (pairs, matches), an applicant not yet approved is the wrong one too."""
    participant = db.session.get(Participant, participant_id)
    problem = None
    if participant is None:
        problem = f"no participant with id {participant_id}"
    elif participant.program_id != program_id:
        problem = f"participant {participant_id} belongs to another program"
    elif participant.role != role:
        problem = f"participant {participant_id} is a {participant.role}, not a {role}"
    elif not participant.active:
        problem = f"participant {participant_id} is inactive"
    elif approved and participant.intake_state != IntakeState.APPROVED:
        problem = (
            f"participant {participant_id} has not been approved yet "
            f"(intake: {participant.intake_state})"
        )
    if problem:
        raise Invalid(field, problem)
    return participant  # type: ignore[return-value]


# A mentee waits for a match while active and in no open pair that has a mentor (no pair
# at all, or one still `recruited`): since they were added, or since their last pair ended.
_ENDED = sa.func.coalesce(Pair.closed_at, Pair.state_changed_at)
_TERMINAL = [s.value for s in TERMINAL_STATES]


def _last_pair_ended() -> sa.ScalarSelect:
    return (
        sa.select(sa.func.max(_ENDED))
        .where(Pair.mentee_id == Participant.id, Pair.state.in_(_TERMINAL))
        .correlate(Participant)
        .scalar_subquery()
    )


def _matched() -> sa.ColumnElement[bool]:
    # A scalar subquery, not EXISTS: PostgreSQL may answer an EXISTS for a page of rows by
    # hashing every open pair once; this one it probes by the mentee's index, per row.
    return (
        sa.select(Pair.id)
        .where(
            Pair.mentee_id == Participant.id,
            Pair.mentor_id.is_not(None),
            Pair.state.not_in(_TERMINAL),
        )
        .correlate(Participant)
        .limit(1)
        .scalar_subquery()
        .is_not(None)
    )


def _is_waiting() -> sa.ColumnElement[bool]:
    # An applicant waits for screening, not yet for a match.
    return sa.and_(
        Participant.role == Role.MENTEE,
        Participant.active.is_(True),
        Participant.intake_state == IntakeState.APPROVED,
        ~_matched(),
    )


def _waiting_since() -> sa.ColumnElement[datetime]:
    """When the wait began, for a mentee who waits; NULL for everyone else."""
    ended = _last_pair_ended()
    began = sa.case((ended > Participant.created_at, ended), else_=Participant.created_at)
    return sa.case((_is_waiting(), began), else_=sa.null()).label("waiting_since")


# Those who do not wait sort after every waiting mentee.
_NEVER = sa.literal(datetime(9999, 12, 31, tzinfo=UTC), Participant.created_at.type)


def _sort_key(sort: str) -> sa.ColumnElement[Any]:
    if sort == "waiting":
        return sa.func.coalesce(_waiting_since(), _NEVER)
    return sa.func.lower(Participant.full_name)


def list_query(
    *,
    program_id: int | None = None,
    role: str | None = None,
    active: bool | None = None,
    q: str | None = None,
    waiting: bool | None = None,
    waited_days: int | None = None,
    intake_state: str | None = None,
) -> sa.Select:
    """Participants matching the filters, in id order (the API's keyset goes by id).
    `q` is found in names and e-mail addresses, whatever the case; `waiting` keeps the
    mentees waiting for a match (or, false, everyone else); `waited_days` the mentees who
    have waited at least that many days."""
    query = sa.select(Participant).order_by(Participant.id)
    if program_id is not None:
        query = query.where(Participant.program_id == program_id)
    if role:
        query = query.where(Participant.role == role)
    if active is not None:
        query = query.where(Participant.active == active)
    if q and q.strip():
        pattern = "%" + _escape_like(q.strip().lower()) + "%"
        query = query.where(
            sa.or_(
                sa.func.lower(Participant.full_name).like(pattern, escape="\\"),
                sa.func.lower(Participant.email).like(pattern, escape="\\"),
            )
        )
    if intake_state:
        query = query.where(Participant.intake_state == intake_state)
    if waiting is not None:
        query = query.where(_is_waiting() if waiting else ~_is_waiting())
    if waited_days is not None:
        query = query.where(_waiting_since() <= now() - timedelta(days=waited_days))
    return query


def waiting_count(*, program_id: int | None = None) -> int:
    """How many mentees wait for a match (in one program, or in all)."""
    waiting = list_query(program_id=program_id, waiting=True).with_only_columns(Participant.id)
    return db.session.scalar(sa.select(sa.func.count()).select_from(waiting.subquery())) or 0


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass(frozen=True)
class Page:
    items: list[Participant]
    next_after: int | None


def page(
    *, sort: str = "name", after: int | None = None, per_page: int = 50, **filters: Any
) -> Page:
    """One page of the list ordered by name or by waiting time (longest first), each then by
    id; the page after the participant `after`, whose own sort key says where it stood."""
    key = _sort_key(sort)
    query = list_query(**filters).order_by(None).order_by(key, Participant.id)
    if after:
        mark = db.session.scalar(sa.select(key).where(Participant.id == after))
        if mark is not None:
            query = query.where(sa.or_(key > mark, sa.and_(key == mark, Participant.id > after)))
    # Each row comes with when its wait began, in the same statement.
    rows = db.session.execute(query.add_columns(_waiting_since()).limit(per_page + 1)).all()
    items = []
    for participant, since in rows[:per_page]:
        participant.waiting_since = since
        items.append(participant)
    return Page(items, items[-1].id if len(rows) > per_page else None)


def annotate_waiting(participants: Sequence[Participant]) -> None:
    """Set `waiting_since` on each participant (None unless a mentee waits), in one query."""
    ids = [p.id for p in participants]
    if not ids:
        return
    since = dict(
        db.session.execute(
            sa.select(Participant.id, _waiting_since()).where(Participant.id.in_(ids))
        ).all()
    )
    for participant in participants:
        participant.waiting_since = since.get(participant.id)  # type: ignore[attr-defined]


def waiting_since(participant: Participant) -> datetime | None:
    """When the participant's wait for a match began; None when they do not wait."""
    if not hasattr(participant, "waiting_since"):
        annotate_waiting([participant])
    return participant.waiting_since  # type: ignore[attr-defined]


def waiting_days(participant: Participant) -> int | None:
    since = waiting_since(participant)
    return None if since is None else max((now() - since).days, 0)


def pairs_of(
    participant_ids: Iterable[int], visible: sa.Select, *, open_only: bool = False
) -> list[Pair]:
    """The pairs these participants are in, as mentee or mentor, among the `visible` ones
    (the ids a member of staff may open), newest first; `open_only`: those not ended."""
    ids = list(participant_ids)
    if not ids:
        return []
    query = sa.select(Pair).where(
        sa.or_(Pair.mentee_id.in_(ids), Pair.mentor_id.in_(ids)), Pair.id.in_(visible)
    )
    if open_only:
        query = query.where(Pair.state.not_in(_TERMINAL))
    return list(db.session.scalars(query.order_by(Pair.created_at.desc(), Pair.id.desc())))


def current_pairs(participant_ids: Sequence[int], visible: sa.Select) -> dict[int, list[Pair]]:
    """Each participant's open pairs among the `visible` ones (a mentor may have several),
    in one query."""
    found: dict[int, list[Pair]] = {pid: [] for pid in participant_ids}
    for pair in pairs_of(participant_ids, visible, open_only=True):
        for person in (pair.mentee_id, pair.mentor_id):
            if person in found:
                found[person].append(pair)
    return found


def guardians_of(mentee_id: int) -> list[Participant]:
    return list(
        db.session.scalars(
            sa.select(Participant)
            .where(Participant.guardian_of_id == mentee_id)
            .order_by(Participant.full_name)
        )
    )


def names(participant_ids: Iterable[int]) -> dict[int, str]:
    ids = set(participant_ids)
    if not ids:
        return {}
    return dict(
        db.session.execute(
            sa.select(Participant.id, Participant.full_name).where(Participant.id.in_(ids))
        ).all()
    )


def _check_unique_email(program_id: int, role: str, email: str, except_id: int | None) -> None:
    clash = db.session.scalar(
        sa.select(Participant.id).where(
            Participant.program_id == program_id,
            Participant.role == role,
            sa.func.lower(Participant.email) == email.lower(),
        )
    )
    if clash is not None and clash != except_id:
        raise Conflict(
            f"A {role} with e-mail {email} is already in this program (participant {clash}).",
        )


def _check_guardian_link(role: str, program_id: int, guardian_of_id: int | None) -> None:
    if guardian_of_id is None:
        return
    if role != Role.GUARDIAN:
        raise Invalid("guardian_of_id", "only a guardian can be the guardian of a mentee")
    get_in_program(
        participant_id=guardian_of_id,
        program_id=program_id,
        role=Role.MENTEE,
        field="guardian_of_id",
        approved=False,
    )


def create(*, program_id: int, role: str, email: str, **fields: Any) -> Participant:
    with transaction():
        program = programs.get(program_id=program_id)
        _check_guardian_link(role, program.id, fields.get("guardian_of_id"))
        _check_unique_email(program.id, role, email, None)
        participant = Participant(program_id=program.id, role=role, email=email, **fields)
        db.session.add(participant)
    return participant


def update(*, participant_id: int, **changes: Any) -> Participant:
    with transaction():
        participant = get(participant_id=participant_id)
        if "guardian_of_id" in changes:
            _check_guardian_link(
                participant.role, participant.program_id, changes["guardian_of_id"]
            )
        if "email" in changes:
            _check_unique_email(
                participant.program_id, participant.role, changes["email"], participant.id
            )
        for field, value in changes.items():
            setattr(participant, field, value)
    return participant


def lock_for_placement(mentor: Participant) -> None:
    """Serialise concurrent placements with this mentor until the transaction ends."""
    db.session.execute(
        sa.update(Participant)
        .where(Participant.id == mentor.id)
        .values(placement_version=Participant.placement_version + 1)
        .execution_options(synchronize_session=False)
    )
