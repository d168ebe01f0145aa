"""The daily digest: for each coordinator, what changed on their pairs and what is due."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from service.accounts import service as accounts
from service.accounts.models import StaffRole, User
from service.approvals.models import Proposal, ProposalStatus
from service.calendar.models import Contact, ContactStatus, DigestRun
from service.clock import now
from service.database import db, transaction
from service.inbox import service as inbox
from service.pairs.models import Pair, TransitionRecord
from service.signals.models import Signal
from workflows.signals import SIGNALS, is_safety


def _pairs_of(user: User) -> sa.Select:
    """A coordinator's own pairs; an admin also sees the pairs nobody looks after."""
    if user.role == StaffRole.ADMIN:
        return sa.select(Pair.id).where(
            sa.or_(Pair.coordinator_id == user.id, Pair.coordinator_id.is_(None))
        )
    return sa.select(Pair.id).where(Pair.coordinator_id == user.id)


def compose(user: User, *, since, until) -> list[str]:
    pair_ids = _pairs_of(user)
    lines: list[str] = []
    for record in db.session.scalars(
        sa.select(TransitionRecord)
        .where(
            TransitionRecord.pair_id.in_(pair_ids),
            TransitionRecord.created_at >= since,
            TransitionRecord.created_at < until,
        )
        .order_by(TransitionRecord.created_at)
    ):
        lines.append(f"Pair #{record.pair_id}: {record.from_state} → {record.to_state}")
    for signal in db.session.scalars(
        sa.select(Signal)
        .where(Signal.pair_id.in_(pair_ids), Signal.raised_at >= since, Signal.raised_at < until)
        .order_by(Signal.raised_at)
    ):
        # An e-mail leaves the service: a safety report shows only as such.
        code = "safety_concern" if is_safety(signal.code) else signal.code
        lines.append(f"Pair #{signal.pair_id}: signal: {SIGNALS[code].label}")
    waiting = db.session.scalar(
        sa.select(sa.func.count(Proposal.id)).where(
            Proposal.pair_id.in_(pair_ids), Proposal.status == ProposalStatus.PENDING
        )
    )
    if waiting:
        lines.append(f"{waiting} proposal(s) wait for your decision")
    overdue = db.session.scalars(
        sa.select(Contact).where(
            Contact.pair_id.in_(pair_ids), Contact.status == ContactStatus.OVERDUE
        )
    ).all()
    for contact in overdue:
        who = "your check-in" if contact.recipient == "staff" else contact.recipient.split(":")[0]
        lines.append(f"Pair #{contact.pair_id}: overdue since {contact.due_on} ({who})")
    due = db.session.scalar(
        sa.select(sa.func.count(Contact.id)).where(
            Contact.pair_id.in_(pair_ids), Contact.status == ContactStatus.DUE
        )
    )
    if due:
        lines.append(f"{due} check-in(s) of yours are due")
    return lines


def send_daily_digests(*, day: date | None = None) -> int:
    """One digest per member of staff per day, however often or wherever this runs."""
    moment = now()
    day = day or moment.date()
    sent = 0
    for user in accounts.coordinators():
        with transaction():
            try:
                with db.session.begin_nested():
                    db.session.add(DigestRun(user_id=user.id, day=day))
            except IntegrityError:
                continue
            lines = compose(user, since=moment - timedelta(days=1), until=moment)
            body = "\n".join(f"• {line}" for line in lines) or "Nothing new, nothing due."
            inbox.notify(
                users=[user],
                kind="digest",
                title=f"Your Pairwise digest for {day:%d %B %Y}",
                body=body,
            )
            sent += 1
    return sent
