"""The sweep: finds what is due with one indexed query and acts on each item exactly once.

Exactly once comes from the database: a contact is unique per pair, kind, recipient and due
date, a schedule only advances by compare-and-set, and rows a concurrent sweeper holds are
skipped (PostgreSQL). Each item is its own transaction, so one broken pair never stops the
others. What an item does is in `calendar.actions`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import InstrumentedAttribute

from service.calendar import actions, schedule
from service.calendar.models import Contact, Schedule
from service.clock import now
from service.database import db, is_postgresql, rowcount, transaction
from service.errors import ConcurrentUpdate
from service.notifications import service as notifications
from service.pairs.models import Pair
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
    failures: list[str] = field(default_factory=list)


def sweep(*, batch: int = 500) -> SweepResult:
    """Act on everything due now, in batches. Its cost follows what is due, not how many
    pairs exist: finding what is due is one indexed query."""
    result = SweepResult()
    moment = now()
    skip: set[int] = set()
    while ids := _due(Schedule, Schedule.next_due_at, moment, batch, skip):
        for schedule_id in ids:
            try:
                result.contacts += _run_schedule(schedule_id, moment)
                result.schedules += 1
            except Exception as error:  # one broken pair must not stop the others
                db.session.rollback()
                skip.add(schedule_id)
                log.exception("calendar: schedule %s failed", schedule_id)
                result.failures.append(f"schedule {schedule_id}: {error}")
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


def _due(
    model: type[Schedule | Contact],
    column: InstrumentedAttribute[Any],
    moment: datetime,
    limit: int,
    skip: set[int],
) -> list[int]:
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


def _lock(model: type[_Row], row_id: int) -> _Row | None:
    """The row, locked for this transaction; None if another sweeper holds it (PostgreSQL)."""
    query = sa.select(model).where(model.id == row_id).execution_options(populate_existing=True)
    if is_postgresql():
        query = query.with_for_update(skip_locked=True)
    return db.session.scalar(query)


def _run_schedule(schedule_id: int, moment: datetime) -> int:
    """Claim one due occurrence, move the schedule on, then act on it.

    The schedule is moved on first, by compare-and-set: a concurrent sweeper loses before
    it has done anything, and an act that changes the pair's state (a signal flagging it,
    a closure applied at once) redraws the calendar from the schedule already moved on.
    """
    with transaction():
        pair_id = db.session.scalar(sa.select(Schedule.pair_id).where(Schedule.id == schedule_id))
        if pair_id is None:
            return 0  # gone: the pair's calendar was redrawn
        # The pair first, then its schedule: the order a transition takes them in, so two
        # sweepers on two schedules of one pair, or a sweeper and a transition, queue up
        # instead of deadlocking.
        db.session.execute(sa.select(Pair.id).where(Pair.id == pair_id).with_for_update())
        row = _lock(Schedule, schedule_id)
        if row is None or row.next_due_at > moment:
            return 0  # another sweeper has it, or already moved it on
        pair = db.session.get_one(Pair, row.pair_id)
        program = pair.program
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


def _follow_up(contact_id: int, moment: datetime) -> str:
    """A reminder for an unanswered invitation, or, after the last, an overdue item."""
    with transaction():
        contact = _lock(Contact, contact_id)
        if contact is None or contact.next_reminder_at is None or contact.next_reminder_at > moment:
            return "nothing"
        pair = db.session.get_one(Pair, contact.pair_id)
        program = pair.program
        return actions.follow_up(contact, pair, program, moment)
