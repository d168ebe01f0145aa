"""Pairs: creating them, reading them, and what is recorded about them between transitions."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from types import EllipsisType
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value

from service import bus
from service.actors import Actor
from service.clock import now, today_in
from service.database import db, rowcount, table_of, transaction, write
from service.errors import ConcurrentUpdate, Conflict, Invalid, NotFound
from service.events import payloads
from service.events import service as events
from service.pairs import staffing
from service.pairs.domain_events import InterventionRecorded, PairPaused, PlannedEndChanged
from service.pairs.models import Intervention, Pair, Pause, TransitionRecord
from service.participants import service as participants
from service.participants.models import Role
from service.programs import service as programs
from service.programs.models import Program
from workflows import cadence
from workflows.pairing import TERMINAL_STATES, State


def get(*, pair_id: int) -> Pair:
    pair = db.session.get(Pair, pair_id)
    if pair is None:
        raise NotFound.of("pair", pair_id)
    return pair


def list_query(
    *,
    program_id: int | None = None,
    states: list[str] | None = None,
    mentor_id: int | None = None,
    mentee_id: int | None = None,
) -> sa.Select:
    query = sa.select(Pair).order_by(Pair.id)
    if program_id is not None:
        query = query.where(Pair.program_id == program_id)
    if states:
        query = query.where(Pair.state.in_(states))
    if mentor_id is not None:
        query = query.where(Pair.mentor_id == mentor_id)
    if mentee_id is not None:
        query = query.where(Pair.mentee_id == mentee_id)
    return query


def open_pair_of(mentee_id: int, *, except_pair_id: int | None = None) -> Pair | None:
    query = sa.select(Pair).where(Pair.mentee_id == mentee_id, Pair.state.not_in(TERMINAL_STATES))
    if except_pair_id is not None:
        query = query.where(Pair.id != except_pair_id)
    return db.session.scalar(query)


def ensure_mentee_free(mentee_id: int, *, except_pair_id: int | None = None) -> None:
    existing = open_pair_of(mentee_id, except_pair_id=except_pair_id)
    if existing is not None:
        raise Conflict(
            f"Mentee {mentee_id} is already in open pair {existing.id} ({existing.state}).",
            pair_id=existing.id,
        )


def create(*, program_id: int, mentee_id: int, actor: Actor) -> Pair:
    """A new pair starts `recruited`: the mentee is in, the mentor is chosen by `match`."""
    with transaction():
        program = programs.get(program_id=program_id)
        participants.get_in_program(
            participant_id=mentee_id, program_id=program.id, role=Role.MENTEE, field="mentee_id"
        )
        ensure_mentee_free(mentee_id)
        pair = Pair(program_id=program.id, mentee_id=mentee_id, state=State.RECRUITED)
        db.session.add(pair)
        db.session.flush()
        events.emit("pair.created", {"pair": payloads.pair(pair)}, pair=pair)
    return pair


def lock(pair_id: int) -> Pair:
    """Take the pair's row lock (PostgreSQL) before touching anything else of the pair.

    Every path that writes a pair and its proposals locks the pair first, so two such
    transactions queue up instead of deadlocking. SQLite serialises all writers anyway.
    """
    return lock_with_program(pair_id)[0]


def lock_with_program(
    pair_id: int, *, asking: sa.ColumnElement[bool] | None = None
) -> tuple[Pair, Program, bool | None]:
    """`lock`, and the pair's program read in the same query (only the pair's row is
    locked): a transition needs both, and this saves it a round trip. `asking`: a question
    about the pair answered by the same query (a correlated EXISTS on `Pair.id`), read
    under the lock; its answer is the third item (None without one)."""
    statement = _LOCKING
    if asking is not None:
        if asking not in _LOCKING_ASKING:
            _LOCKING_ASKING[asking] = _locking(asking)
        statement = _LOCKING_ASKING[asking]
    found = db.session.execute(statement, {"pair_id": pair_id}).first()
    if found is None:
        raise NotFound.of("pair", pair_id)
    return found[0], found[1], (bool(found[2]) if asking is not None else None)


def _locking(asking: sa.ColumnElement[bool] | None = None) -> sa.Select[Any]:
    columns: list[Any] = [Pair, Program]
    if asking is not None:
        columns.append(asking.label("asked"))
    return (
        sa.select(*columns)
        .join(Program, Program.id == Pair.program_id)
        .where(Pair.id == sa.bindparam("pair_id"))
        .with_for_update(of=Pair)
        .execution_options(populate_existing=True)
    )


# The hot paths' statements, built once (a statement built anew costs its construction and
# its cache key on every request before its compiled form is found).
_LOCKING = _locking()
# ... and per question asked with it (the caller builds its question once too).
_LOCKING_ASKING: dict[sa.ColumnElement[bool], sa.Select[Any]] = {}


def _moving(events: bool) -> sa.Update:
    """The compare-and-set of `compare_and_set_state`, with its values as parameters."""
    pairs = table_of(Pair)
    statement = (
        sa.update(pairs)
        .where(pairs.c.id == sa.bindparam("pair_id"), pairs.c.version == sa.bindparam("version"))
        .values(
            state=sa.bindparam("target"),
            version=sa.bindparam("version", type_=sa.Integer) + 1,
            state_changed_at=sa.bindparam("moment"),
            calendar_stale=True,
        )
    )
    if events:
        statement = statement.values(
            event_sequence=pairs.c.event_sequence + sa.bindparam("events")
        ).returning(pairs.c.event_sequence)
    return statement


_MOVING = {False: _moving(events=False), True: _moving(events=True)}


def compare_and_set_state(
    pair: Pair, target: State, moment: datetime, *, events: int = 0
) -> tuple[int, list[int]]:
    """Move the pair to `target` only if nobody moved it since it was read, and reserve the
    pair sequence numbers of the `events` the move emits, in the same statement.

    Returns the new version, which numbers the transition record, and the reserved event
    sequence numbers (for `events.emit(..., sequence=)`). The sequence is incremented in the
    database, not from the value read: another writer (a survey answer) may have emitted an
    event for the pair since, without moving it.

    The same statement marks the pair's calendar stale: it is redrawn for the new state after
    the transition, by the sweep or the first read of it (`calendar.schedule`), and no
    contact is made from it until then.
    """
    version = pair.version
    changed = write(
        _MOVING[events > 0],
        {
            "pair_id": pair.id,
            "version": version,
            "target": str(target),
            "moment": moment,
            "events": events,
        },
    )
    if events:
        last = changed.scalar_one_or_none()
        moved = last is not None
    else:
        last, moved = None, rowcount(changed) == 1
    if not moved:
        raise ConcurrentUpdate(
            f"Pair {pair.id} changed while this request was applied; read it again and retry.",
        )
    committed = {
        "state": target,
        "version": version + 1,
        "state_changed_at": moment,
        "calendar_stale": True,
    }
    if last is not None:
        committed["event_sequence"] = last
    for field, value in committed.items():
        set_committed_value(pair, field, value)
    reserved = list(range(last - events + 1, last + 1)) if last is not None else []
    return version + 1, reserved


def update(
    *,
    pair_id: int,
    actor: Actor,
    coordinator_id: int | EllipsisType | None = ...,
    support_ids: Iterable[int] | EllipsisType = ...,
    planned_end_on: date | EllipsisType | None = ...,
) -> Pair:
    """Change who looks after the pair (by the rule of `staffing`), or its planned end
    (which redraws the calendar), in one transaction."""
    with transaction():
        pair = lock(pair_id)
        if coordinator_id is not ... or support_ids is not ...:
            staffing.change(
                pair=pair, actor=actor, coordinator_id=coordinator_id, support_ids=support_ids
            )
        if planned_end_on is not ...:
            pair.planned_end_on = planned_end_on
            program = pair.program
            bus.announce(PlannedEndChanged(pair, program))
    return pair


def accept_introduction(*, pair_id: int, role: str, actor: Actor) -> Pair:
    """Mentor or mentee accepted the introduction; both are needed to start training."""
    with transaction():
        pair = get(pair_id=pair_id)
        if pair.state != State.MATCHED:
            raise Conflict(
                f"Introductions are accepted while a pair is matched; pair {pair.id} is "
                f"{pair.state}.",
            )
        column = "mentor_accepted_at" if role == Role.MENTOR else "mentee_accepted_at"
        if getattr(pair, column) is None:
            setattr(pair, column, now())
    return pair


def record_intervention(
    *,
    pair_id: int,
    description: str,
    actor: Actor,
    approach: str | None = None,
    signal: str | None = None,
    follow_up_on: date | None = None,
) -> Intervention:
    with transaction():
        pair = get(pair_id=pair_id)
        if not pair.is_open:
            raise Conflict(f"Pair {pair.id} is {pair.state}; its lifecycle has ended.")
        intervention = Intervention(
            pair_id=pair.id,
            description=description,
            approach=approach,
            signal=signal,
            follow_up_on=follow_up_on,
            recorded_by=actor.ref,
        )
        db.session.add(intervention)
        db.session.flush()
        bus.announce(InterventionRecorded(pair, pair.program, intervention))
    return intervention


def record_pause(
    *, pair_id: int, reason: str, ends_on: date, actor: Actor, note: str = ""
) -> Pause:
    """A pause (school holidays, illness, travel, a step back): from today until `ends_on`,
    the participants' check-ins and the meeting requirement are suspended; the coordinator's
    own contact is not; the pair resumes on `ends_on` with a check-in (workflows/cadence.py).
    A pause recorded while another runs replaces it, from today."""
    with transaction():
        pair = get(pair_id=pair_id)
        if State(pair.state) not in cadence.PAUSABLE_STATES:
            raise Conflict(
                f"Pair {pair.id} is {pair.state}; only active or at-risk pairs can be paused."
            )
        program = pair.program
        today = today_in(program.timezone)
        if ends_on <= today:
            raise Invalid("ends_on", "the pause must end after today")
        if ends_on > today + timedelta(days=cadence.LONGEST_PAUSE_DAYS):
            raise Invalid("ends_on", f"a pause lasts at most {cadence.LONGEST_PAUSE_DAYS} days")
        pause = Pause(
            pair_id=pair.id,
            reason=cadence.PauseReason(reason),
            note=note,
            starts_on=today,
            ends_on=ends_on,
            recorded_by=actor.ref,
        )
        db.session.add(pause)
        pair.paused_from, pair.paused_until = today, ends_on
        db.session.flush()
        bus.announce(PairPaused(pair, program, pause))
    return pause


def pauses(*, pair_id: int) -> list[Pause]:
    get(pair_id=pair_id)
    return list(
        db.session.scalars(
            sa.select(Pause).where(Pause.pair_id == pair_id).order_by(Pause.starts_on, Pause.id)
        )
    )


def interventions(*, pair_id: int) -> list[Intervention]:
    get(pair_id=pair_id)
    return list(
        db.session.scalars(
            sa.select(Intervention)
            .where(Intervention.pair_id == pair_id)
            .order_by(Intervention.created_at, Intervention.id)
        )
    )


def history(*, pair_id: int) -> list[TransitionRecord]:
    get(pair_id=pair_id)
    return list(
        db.session.scalars(
            sa.select(TransitionRecord)
            .where(TransitionRecord.pair_id == pair_id)
            .order_by(TransitionRecord.sequence)
        )
    )
