"""The sweep: finds what is due with one indexed query and acts on each item exactly once.

It first redraws the calendars of the pairs that moved since theirs was drawn (a transition
only marks them stale, `Pair.calendar_stale`): what it then acts on was drawn for each pair's
current state. A pair that moves meanwhile is caught under its lock: its due schedules run
one at a time, which redraws it first, and its reminders wait for the next sweep.

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
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import InstrumentedAttribute

from service.calendar import actions, schedule
from service.calendar.models import Contact, Schedule
from service.clock import now
from service.database import db, is_postgresql, rowcount, table_of, transaction, update_rows
from service.errors import ConcurrentUpdate
from service.notifications import service as notifications
from service.pairs.models import Pair
from service.programs.models import Program
from workflows import cadence

log = logging.getLogger(__name__)

# The rows the sweep takes one at a time.
_Row = TypeVar("_Row", Schedule, Contact)


@dataclass
class SweepResult:
    schedules: int = 0
    contacts: int = 0
    reminders: int = 0
    overdue: int = 0
    redrawn: int = 0
    failures: list[str] = field(default_factory=list)


def sweep(*, batch: int = 500) -> SweepResult:
    """Act on everything due now, in batches; each batch commits on its own. Its cost
    follows what is due, not how many pairs exist: finding what is due is one indexed query."""
    result = SweepResult()
    moment = now()
    redraw_stale(batch=batch, result=result)
    _in_batches(Schedule, Schedule.next_due_at, moment, batch, result, _run_batch, _run_one)
    # Only a check the sweep ran can have moved a pair meanwhile (a transition's stale mark
    # waits for the next sweep): with nothing due, the sweep does not look twice.
    if result.schedules and redraw_stale(batch=batch, result=result):
        # A check above moved a pair (a signal flagged it): what its new calendar has due
        # now (the coordinator's first call at risk) goes out in this sweep too.
        _in_batches(Schedule, Schedule.next_due_at, moment, batch, result, _run_batch, _run_one)
    _in_batches(
        Contact, Contact.next_reminder_at, moment, batch, result, _follow_up_batch, _follow_up_one
    )
    notifications.recover_stalled()
    return result


def redraw_stale(*, batch: int = 500, result: SweepResult | None = None) -> int:
    """Redraw the calendars of the pairs that moved since theirs was drawn (one indexed query
    finds them), a batch per transaction; returns how many. A pair a concurrent sweeper or
    transition holds is left for it (PostgreSQL); a pair whose redraw fails is reported and
    left stale, so the sweep makes no contact from its calendar."""
    result = result if result is not None else SweepResult()
    redrawn = 0
    skip: set[int] = set()
    while claimed := _claim_stale(batch, skip):
        try:
            for pair, program in claimed:
                schedule.reschedule(pair, program)
            db.session.commit()
            redrawn += len(claimed)
            continue
        except Exception:  # the batch is undone; its pairs are tried one at a time
            db.session.rollback()
            log.exception("calendar: redrawing %s calendars failed; one by one", len(claimed))
        for pair_id in [pair.id for pair, _ in claimed]:
            try:
                with transaction():
                    found = _claim_stale(1, set(), pair_id=pair_id)
                    for pair, program in found:
                        schedule.reschedule(pair, program)
                redrawn += len(found)
            except Exception as error:
                db.session.rollback()
                log.exception("calendar: redrawing pair %s failed", pair_id)
                result.failures.append(f"pair {pair_id}: {error}")
            skip.add(pair_id)
    result.redrawn += redrawn
    return redrawn


def _claim_stale(
    limit: int, skip: set[int], *, pair_id: int | None = None
) -> list[tuple[Pair, Program]]:
    """Stale pairs with their programs, locked like `_claim`'s rows, in a transaction left
    open."""
    query = (
        sa.select(Pair, Program)
        .join(Program, Program.id == Pair.program_id)
        .where(Pair.calendar_stale)
        .order_by(Pair.id)
        .limit(limit)
        .execution_options(populate_existing=True)
    )
    if pair_id is not None:
        query = query.where(Pair.id == pair_id)
    if skip:
        query = query.where(Pair.id.not_in(skip))
    if is_postgresql():
        query = query.with_for_update(of=Pair, skip_locked=True)
    elif pair_id is None:
        probe = sa.select(Pair.id).where(Pair.calendar_stale)
        if skip:
            probe = probe.where(Pair.id.not_in(skip))
        if db.session.scalar(probe.limit(1)) is None:
            db.session.commit()
            return []
        _take_sqlite_write_lock()
    claimed = [(pair, program) for pair, program in db.session.execute(query)]
    if not claimed and pair_id is None:
        db.session.commit()
    return claimed


def _in_batches(
    model: type[_Row],
    column: InstrumentedAttribute[Any],
    moment: datetime,
    limit: int,
    result: SweepResult,
    run_batch: Callable[[list[tuple[_Row, Pair]], datetime, SweepResult], list[int]],
    run_one: Callable[[int, datetime, SweepResult], bool],
) -> None:
    """Claim due rows a batch at a time; `run_batch` acts on a batch in one transaction and
    hands back the rows to run one at a time, each in its own (`run_one`, which says whether
    it took the row); a batch that fails is run one row at a time. A row that fails, or
    that another sweeper has, is left out of the following batches, so every batch makes
    progress."""
    skip: set[int] = set()
    name = model.__tablename__.removesuffix("s")
    while claimed := _claim(model, column, moment, limit, skip):
        try:
            one_by_one = run_batch(claimed, moment, result)
        except Exception:  # the batch is undone; its rows are tried one at a time
            db.session.rollback()
            log.exception("calendar: a batch of %s %ss failed; one by one", len(claimed), name)
            one_by_one = [row.id for row, _ in claimed]
        for row_id in one_by_one:
            try:
                took = run_one(row_id, moment, result)
            except Exception as error:  # one broken pair must not stop the others
                db.session.rollback()
                skip.add(row_id)
                log.exception("calendar: %s %s failed", name, row_id)
                result.failures.append(f"{name} {row_id}: {error}")
                continue
            if not took:
                skip.add(row_id)  # gone, or another sweeper has it


def _claim(
    model: type[_Row],
    column: InstrumentedAttribute[Any],
    moment: datetime,
    limit: int,
    skip: set[int],
) -> list[tuple[_Row, Pair]]:
    """Due rows (schedules, or contacts to follow up), oldest first, with their pairs, in a
    transaction left open for the batch. On PostgreSQL the rows and their pairs are locked
    with SKIP LOCKED: concurrent sweepers take different pairs, and nothing waits here, so a
    sweeper and a transition never deadlock. SQLite has no row locks: once something is due,
    the batch takes the database's write lock first and reads again, so concurrent sweepers
    take their batches one after another. Rows in `skip` are left out."""
    query = (
        sa.select(model, Pair)
        .join(Pair, Pair.id == model.pair_id)
        .where(column <= moment)
        .order_by(column, model.id)
        .limit(limit)
        .execution_options(populate_existing=True)
    )
    if skip:
        query = query.where(model.id.not_in(skip))
    if is_postgresql():
        query = query.with_for_update(of=(model, Pair), skip_locked=True)
    else:
        probe = sa.select(model.id).where(column <= moment)
        if skip:
            probe = probe.where(model.id.not_in(skip))
        if db.session.scalar(probe.limit(1)) is None:
            db.session.commit()
            return []  # a sweep with nothing due reads once, and writes nothing
        _take_sqlite_write_lock()
    claimed = [(row, pair) for row, pair in db.session.execute(query)]
    if not claimed:
        db.session.commit()  # nothing to hold
    return claimed


def _take_sqlite_write_lock() -> None:
    """BEGIN IMMEDIATE: pysqlite would begin only at the first write, after the batch has read
    what it decides from, and a concurrent sweeper could have acted on it meanwhile."""
    db.session.commit()
    connection = db.session.connection().connection.dbapi_connection
    if connection is None:
        raise RuntimeError("the session's connection is closed")
    if not connection.in_transaction:
        connection.execute("BEGIN IMMEDIATE")


def _run_one(schedule_id: int, moment: datetime, result: SweepResult) -> bool:
    made = run_schedule(schedule_id, moment)
    if made is None:
        return False
    result.contacts += made
    result.schedules += 1
    return True


def _run_batch(
    claimed: list[tuple[Schedule, Pair]], moment: datetime, result: SweepResult
) -> list[int]:
    """Act on a claimed batch in one transaction; returns the schedules left to run one by
    one: the checks that raise signals or move a pair, a kind the pair's state no longer
    wants (the per-item run redraws its calendar)."""
    programs = _programs_of(pair for _, pair in claimed)
    one_by_one: list[int] = []
    taken: list[tuple[int, date | None, actions.Due]] = []
    wanted: dict[int, list[str]] = {}
    for row, pair in claimed:
        program = programs[pair.program_id]
        if pair.calendar_stale:  # it moved meanwhile: redrawn first, one at a time
            one_by_one.append(row.id)
            continue
        kinds = wanted.setdefault(pair.id, schedule.wanted_kinds(pair, program))
        if (
            row.kind not in kinds
            or row.kind in cadence.DRAWN_BY_INTERVENTIONS
            or actions.contact_plan(program, row.kind) is None
        ):
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
    result.schedules += len(taken)
    result.contacts += made
    return one_by_one


def _advance(taken: Sequence[tuple[int, date | None, actions.Due]]) -> None:
    """Move each schedule past the occurrence taken, by compare-and-set on the moment it was
    due: one UPDATE for those that go on, one DELETE for those that end, each compiled once
    and sent with all its rows. The batch holds the schedules and their pairs (on SQLite, the
    database), so each should win; one that does not fails the batch, and its schedules run
    one at a time."""
    table = table_of(Schedule)
    going = [
        {
            "key_id": schedule_id,
            "key_next_due_at": item.due,
            "last_done_on": item.day,
            "next_due_on": following,
            "next_due_at": cadence.due_at(following, item.program.timezone),
        }
        for schedule_id, following, item in taken
        if following is not None
    ]
    ending = [
        {"schedule": schedule_id, "taken": item.due}
        for schedule_id, following, item in taken
        if following is None
    ]
    moved = update_rows(
        table, ["id", "next_due_at"], ["last_done_on", "next_due_on", "next_due_at"], going
    )
    if ending:
        same = (table.c.id == sa.bindparam("schedule")) & (
            table.c.next_due_at == sa.bindparam("taken", type_=table.c.next_due_at.type)
        )
        moved += rowcount(db.session.execute(sa.delete(table).where(same), ending))
    if moved != len(taken):
        raise ConcurrentUpdate(f"{len(taken) - moved} schedule(s) of the batch moved on meanwhile")


def _lock(model: type[_Row], row_id: int) -> _Row | None:
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
        pair = db.session.get_one(Pair, row.pair_id, populate_existing=True)
        program = pair.program
        if pair.calendar_stale or row.kind not in schedule.wanted_kinds(pair, program):
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
        if rowcount(advanced) != 1:
            raise ConcurrentUpdate("another sweeper ran this schedule")
        db.session.expire(row)
        if following is None:
            db.session.delete(row)
            db.session.flush()
        return actions.act(kind, pair, program, day, due)


def _follow_up_batch(
    claimed: list[tuple[Contact, Pair]], moment: datetime, result: SweepResult
) -> list[int]:
    """The reminders of a claimed batch, and its participants' contacts gone overdue, in one
    transaction; returns the contacts left to follow up one at a time (a staff contact gone
    overdue raises a signal)."""
    programs = _programs_of(pair for _, pair in claimed)
    reminded: list[tuple[Contact, Program]] = []
    overdue: list[tuple[Contact, Pair]] = []
    one_by_one: list[int] = []
    for contact, pair in claimed:
        program = programs[pair.program_id]
        if pair.calendar_stale:
            one_by_one.append(contact.id)  # left for the redraw, which may stop it
        elif actions.reminds(contact, program):
            reminded.append((contact, program))
        elif actions.goes_overdue_in_bulk(contact, program):
            overdue.append((contact, pair))
        else:
            one_by_one.append(contact.id)
    actions.remind_many(reminded, moment)
    actions.overdue_many(overdue, moment)
    db.session.commit()
    result.reminders += len(reminded)
    result.overdue += len(overdue)
    return one_by_one


def _follow_up_one(contact_id: int, moment: datetime, result: SweepResult) -> bool:
    outcome = _follow_up(contact_id, moment)
    result.reminders += outcome == "reminded"
    result.overdue += outcome == "overdue"
    return outcome != "nothing"


def _programs_of(pairs: Iterable[Pair]) -> dict[int, Program]:
    ids = {pair.program_id for pair in pairs}
    return {
        program.id: program
        for program in db.session.scalars(sa.select(Program).where(Program.id.in_(ids)))
    }


def _follow_up(contact_id: int, moment: datetime) -> str:
    """A reminder for an unanswered invitation, or, after the last, an overdue item."""
    with transaction():
        contact = _lock(Contact, contact_id)
        if contact is None or contact.next_reminder_at is None or contact.next_reminder_at > moment:
            return "nothing"
        pair = db.session.get_one(Pair, contact.pair_id, populate_existing=True)
        if pair.calendar_stale:
            # The pair moved since its calendar was drawn: the next sweep redraws it first
            # (which may stop this contact's reminders) and follows it up then.
            return "nothing"
        program = pair.program
        return actions.follow_up(contact, pair, program, moment)
