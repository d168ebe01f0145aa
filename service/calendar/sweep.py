"""The sweep: finds what is due with one indexed query and acts on each item exactly once.

It works in batches. A batch of due schedules is claimed with their pairs locked, each
schedule is moved past the occurrence taken by one compare-and-set UPDATE (and one DELETE for
those that end), and the contacts they call for are made in bulk (`actions.act_many`): a
fixed number of statements per batch, however many items are due, all in one transaction
with the contacts' events and e-mails.

Exactly once comes from the database: a contact is unique per pair, kind, recipient and due
date (and made with ON CONFLICT DO NOTHING), a schedule only advances by compare-and-set, and
pairs a concurrent sweeper holds are skipped (PostgreSQL; on SQLite a batch takes the
database's write lock before it reads). The checks that raise signals or move a pair, and a
batch that failed, run one item at a time, each its own transaction, so one broken pair never
stops the others. What an item does is in `calendar.actions`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from service.calendar import actions, schedule
from service.calendar.models import Contact, Schedule
from service.clock import now
from service.database import db, is_postgresql, transaction
from service.errors import ConcurrentUpdate
from service.notifications import service as notifications
from service.pairs.models import Pair
from service.programs.models import Program
from workflows import cadence

log = logging.getLogger(__name__)


@dataclass
class SweepResult:
    schedules: int = 0
    contacts: int = 0
    reminders: int = 0
    overdue: int = 0
    failures: list[str] = field(default_factory=list)


def sweep(*, batch: int = 500) -> SweepResult:
    """Act on everything due now, in batches; each batch commits on its own. Its cost
    follows what is due, not how many pairs exist: finding what is due is one indexed query."""
    result = SweepResult()
    moment = now()
    skip: set[int] = set()
    while claimed := _claim(moment, batch, skip):
        one_by_one = _run_batch(claimed, result)
        for schedule_id in one_by_one:
            try:
                made = run_schedule(schedule_id, moment)
            except Exception as error:  # one broken pair must not stop the others
                db.session.rollback()
                skip.add(schedule_id)
                log.exception("calendar: schedule %s failed", schedule_id)
                result.failures.append(f"schedule {schedule_id}: {error}")
                continue
            if made is None:
                skip.add(schedule_id)  # gone, or another sweeper has it
            else:
                result.contacts += made
                result.schedules += 1
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


def _claim(moment: datetime, limit: int, skip: set[int]) -> list[tuple[Schedule, Pair]]:
    """Due schedules, oldest first, with their pairs, in a transaction left open for the
    batch. On PostgreSQL the pairs are locked (FOR UPDATE OF pairs SKIP LOCKED): the pair
    first, as a transition takes it, so a sweeper and a transition queue up instead of
    deadlocking, and concurrent sweepers take different pairs. SQLite has no row locks: once
    something is due, the batch takes the database's write lock first and reads again, so
    concurrent sweepers take their batches one after another. Schedules that failed or were
    lost in this sweep are left out, so every batch makes progress."""
    query = (
        sa.select(Schedule, Pair)
        .join(Pair, Pair.id == Schedule.pair_id)
        .where(Schedule.next_due_at <= moment)
        .order_by(Schedule.next_due_at, Schedule.id)
        .limit(limit)
        .execution_options(populate_existing=True)
    )
    if skip:
        query = query.where(Schedule.id.not_in(skip))
    if is_postgresql():
        return list(db.session.execute(query.with_for_update(of=Pair, skip_locked=True)))
    probe = sa.select(Schedule.id).where(Schedule.next_due_at <= moment)
    if skip:
        probe = probe.where(Schedule.id.not_in(skip))
    if db.session.scalar(probe.limit(1)) is None:
        db.session.commit()
        return []
    _take_sqlite_write_lock()
    return list(db.session.execute(query))


def _take_sqlite_write_lock() -> None:
    """BEGIN IMMEDIATE: pysqlite would begin only at the first write, after the batch has read
    what it decides from, and a concurrent sweeper could have acted on it meanwhile."""
    db.session.commit()
    connection = db.session.connection().connection.dbapi_connection
    if not connection.in_transaction:
        connection.execute("BEGIN IMMEDIATE")


def _run_batch(claimed: list[tuple[Schedule, Pair]], result: SweepResult) -> list[int]:
    """Act on a claimed batch in one transaction; returns the schedules left to run one by
    one: the checks that raise signals or move a pair, a kind the pair's state no longer
    wants (the per-item run redraws its calendar), or all of them if the batch failed."""
    ids = [row.id for row, _ in claimed]
    try:
        programs = {
            program.id: program
            for program in db.session.scalars(
                sa.select(Program).where(Program.id.in_({pair.program_id for _, pair in claimed}))
            )
        }
        one_by_one: list[int] = []
        taken: list[tuple[int, date | None, actions.Due]] = []
        wanted: dict[int, list[str]] = {}
        for row, pair in claimed:
            program = programs[pair.program_id]
            kinds = wanted.setdefault(pair.id, schedule.wanted_kinds(pair, program))
            if row.kind not in kinds or actions.contact_plan(program, row.kind) is None:
                one_by_one.append(row.id)
                continue
            day = row.next_due_on
            following = schedule.next_day(row.kind, pair, program, day, day + timedelta(days=1))
            taken.append(
                (row.id, following, actions.Due(row.kind, day, row.next_due_at, pair, program))
            )
        _advance(taken)
        made = actions.act_many([item for _, _, item in taken])
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("calendar: a batch of %s schedules failed; running them one by one", len(ids))
        return ids
    result.schedules += len(taken)
    result.contacts += made
    return one_by_one


def _advance(taken: Sequence[tuple[int, date | None, actions.Due]]) -> None:
    """Move each schedule past the occurrence taken, by compare-and-set on the moment it was
    due: one UPDATE for those that go on, one DELETE for those that end, each compiled once
    and sent with all its rows. The batch holds the pairs (or, on SQLite, the database), so
    each should win; one that does not (moved on by something that does not take the pair
    first) fails the batch, and its schedules run one at a time."""
    table = Schedule.__table__
    going = [
        {
            "schedule": schedule_id,
            "taken": item.due,
            "day": item.day,
            "following": following,
            "following_at": cadence.due_at(following, item.program.timezone),
        }
        for schedule_id, following, item in taken
        if following is not None
    ]
    ending = [
        {"schedule": schedule_id, "taken": item.due}
        for schedule_id, following, item in taken
        if following is None
    ]
    same = (table.c.id == sa.bindparam("schedule")) & (
        table.c.next_due_at == sa.bindparam("taken", type_=table.c.next_due_at.type)
    )
    moved = 0
    if going:
        moved += db.session.execute(
            sa.update(table)
            .where(same)
            .values(
                last_done_on=sa.bindparam("day", type_=table.c.last_done_on.type),
                next_due_on=sa.bindparam("following", type_=table.c.next_due_on.type),
                next_due_at=sa.bindparam("following_at", type_=table.c.next_due_at.type),
            ),
            going,
        ).rowcount
    if ending:
        moved += db.session.execute(sa.delete(table).where(same), ending).rowcount
    if moved != len(taken):
        raise ConcurrentUpdate(f"{len(taken) - moved} schedule(s) of the batch moved on meanwhile")


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


def run_schedule(schedule_id: int, moment: datetime) -> int | None:
    """Claim one due occurrence, move the schedule on, then act on it: one transaction, and
    the contacts made (None if there was nothing to claim). The sweep runs the checks that
    raise signals or move a pair this way, and a batch that failed.

    The schedule is moved on first, by compare-and-set: a concurrent sweeper loses before
    it has done anything, and an act that changes the pair's state (a signal flagging it,
    a closure applied at once) redraws the calendar from the schedule already moved on.
    """
    with transaction():
        pair_id = db.session.scalar(sa.select(Schedule.pair_id).where(Schedule.id == schedule_id))
        if pair_id is None:
            return None  # gone: the pair's calendar was redrawn
        # The pair first, then its schedule: the order a transition takes them in, so two
        # sweepers on two schedules of one pair, or a sweeper and a transition, queue up
        # instead of deadlocking.
        db.session.execute(sa.select(Pair.id).where(Pair.id == pair_id).with_for_update())
        row = _lock(Schedule, schedule_id)
        if row is None or row.next_due_at > moment:
            return None  # another sweeper has it, or already moved it on
        pair = db.session.get(Pair, row.pair_id)
        program = db.session.get(Program, pair.program_id)
        if row.kind not in schedule.wanted_kinds(pair, program):
            # The pair has moved on since its calendar was drawn: nothing its state does not
            # want goes out; its calendar is drawn again instead.
            schedule.reschedule(pair, program)
            return 0
        kind, day, due = row.kind, row.next_due_on, row.next_due_at
        following = schedule.next_day(kind, pair, program, day, day + timedelta(days=1))
        values = {"last_done_on": day}
        if following is not None:
            values.update(
                next_due_on=following, next_due_at=cadence.due_at(following, program.timezone)
            )
        advanced = db.session.execute(
            sa.update(Schedule)
            .where(Schedule.id == row.id, Schedule.next_due_at == due)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if advanced.rowcount != 1:
            raise ConcurrentUpdate("another sweeper ran this schedule")
        db.session.expire(row)
        if following is None:
            db.session.delete(row)
            db.session.flush()
        return actions.act(kind, pair, program, day, due)


def _follow_up(contact_id: int, moment: datetime) -> str:
    """A reminder for an unanswered invitation, or, after the last, an overdue item."""
    with transaction():
        contact = _lock(Contact, contact_id)
        if contact is None or contact.next_reminder_at is None or contact.next_reminder_at > moment:
            return "nothing"
        pair = db.session.get(Pair, contact.pair_id)
        program = db.session.get(Program, pair.program_id)
        return actions.follow_up(contact, pair, program, moment)
