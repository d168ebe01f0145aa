"""The waiting list: mentees who have waited longer than their program's target
(`waiting_target_days`), counted for the dashboard, and a kind e-mail to each of them once
per threshold (the target, twice the target, and so on) of each wait."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from service.clock import now
from service.database import db, insert_unless_exists, transaction
from service.notifications import service as notifications
from service.participants import service as participants
from service.participants.models import Participant, WaitingNotice
from service.programs.models import Program

TEMPLATE = "waiting_kindly"


@dataclass(frozen=True)
class LongWait:
    """A program's mentees who have waited longer than its target."""

    program: Program
    target_days: int
    count: int


def _with_target() -> list[Program]:
    return list(
        db.session.scalars(
            sa.select(Program)
            .where(Program.waiting_target_days.is_not(None))
            .order_by(Program.name)
        )
    )


def long_waits() -> list[LongWait]:
    """Each program with a target and mentees waiting past it, with how many."""
    found = []
    for program in _with_target():
        target = program.waiting_target_days
        assert target is not None
        query = participants.list_query(program_id=program.id, waiting=True, waited_days=target)
        count = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
        if count:
            found.append(LongWait(program, target, count))
    return found


def threshold(days_waited: int, target: int) -> int | None:
    """The threshold a wait of `days_waited` has reached: the target, or a multiple of it."""
    return None if days_waited < target else days_waited // target * target


def send_kind_words() -> int:
    """E-mail each mentee who has waited past their program's target, once per threshold of
    the same wait (a new wait, after a pair ends, starts again). Returns how many."""
    sent = 0
    with transaction():
        moment = now()
        for program in _with_target():
            target = program.waiting_target_days
            assert target is not None
            query = participants.list_query(program_id=program.id, waiting=True, waited_days=target)
            mentees: list[Participant] = list(db.session.scalars(query))
            participants.annotate_waiting(mentees)
            for mentee in mentees:
                since = participants.waiting_since(mentee)
                if since is None:
                    continue
                days = (moment - since).days
                reached = threshold(days, target)
                if reached is None:
                    continue
                made = insert_unless_exists(
                    WaitingNotice,
                    {
                        "participant_id": mentee.id,
                        "waiting_since": since,
                        "threshold_days": reached,
                        "sent_at": moment,
                    },
                    ["participant_id", "waiting_since", "threshold_days"],
                )
                if made is None:
                    continue
                notifications.email_participant(
                    mentee, program, template=TEMPLATE, pair_id=None, days=days
                )
                sent += 1
    return sent
