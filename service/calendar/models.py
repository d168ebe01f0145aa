from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from service.clock import now
from service.columns import created_at_column
from service.database import Model


class Schedule(Model):
    """One kind of contact or check on one pair, and when it is next due.

    `next_due_at` is indexed: what is due is one query, however many pairs there are.
    """

    __tablename__ = "schedules"
    __table_args__ = (
        sa.UniqueConstraint("pair_id", "kind"),
        sa.Index("ix_schedules_next_due_at", "next_due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pair_id: Mapped[int] = mapped_column(sa.ForeignKey("pairs.id"))
    kind: Mapped[str] = mapped_column(sa.String(30))
    next_due_at: Mapped[datetime]
    # The calendar date (program time) of the occurrence next_due_at stands for.
    next_due_on: Mapped[date]
    last_done_on: Mapped[date | None]


class ContactStatus(StrEnum):
    INVITED = "invited"  # a participant has a survey link
    ANSWERED = "answered"
    DUE = "due"  # a coordinator's own check-in is due
    DONE = "done"
    OVERDUE = "overdue"
    CANCELLED = "cancelled"


class Contact(Model):
    """One contact the calendar made: a survey invitation to one participant, or a check-in
    a coordinator owes. Unique per pair, kind, recipient and due date: running the sweep
    twice, or on three workers at once, makes each contact once."""

    __tablename__ = "contacts"
    __table_args__ = (
        sa.UniqueConstraint("pair_id", "kind", "recipient", "due_on"),
        sa.Index("ix_contacts_next_reminder_at", "next_reminder_at"),
        # By pair and status, holding what the insights read of each contact (migration 0029):
        # the index alone answers their scans of a program's contacts.
        sa.Index(
            "ix_contacts_pair_id_status_read",
            "pair_id",
            "status",
            "recipient",
            "kind",
            "due_at",
            "done_at",
            "participant_id",
            "reminders_sent",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pair_id: Mapped[int] = mapped_column(sa.ForeignKey("pairs.id"))
    kind: Mapped[str] = mapped_column(sa.String(30))
    # "mentee:12", "mentor:7", "guardian:31", or "staff".
    recipient: Mapped[str] = mapped_column(sa.String(30))
    participant_id: Mapped[int | None] = mapped_column(sa.ForeignKey("participants.id"))
    due_on: Mapped[date]
    due_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(sa.String(10))
    invitation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("invitations.id"), index=True)
    reminders_sent: Mapped[int] = mapped_column(default=0)
    # When to remind, or to call it overdue; None once nothing more is to be done.
    next_reminder_at: Mapped[datetime | None]
    done_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = created_at_column()
    # Any change (answered, reminded, overdue, cancelled), by the ORM or a Core UPDATE: what
    # the warehouse export reads to send only the contacts changed since last time.
    updated_at: Mapped[datetime] = mapped_column(default=now, onupdate=now)


class Compliance(Model):
    """A pair's meetings against the program's requirement, one row per period."""

    __tablename__ = "meeting_compliance"
    __table_args__ = (sa.UniqueConstraint("pair_id", "period_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pair_id: Mapped[int] = mapped_column(sa.ForeignKey("pairs.id"))
    period_start: Mapped[date]
    period_end: Mapped[date]
    required_meetings: Mapped[int]
    required_minutes: Mapped[int]
    meetings: Mapped[int]
    minutes: Mapped[int]
    compliant: Mapped[bool]
    # Set once the period is over and judged; the current period is provisional.
    closed: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = created_at_column()


class DigestRun(Model):
    """One daily digest per member of staff and day, whoever runs the job."""

    __tablename__ = "digest_runs"
    __table_args__ = (sa.UniqueConstraint("user_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    day: Mapped[date]
    created_at: Mapped[datetime] = created_at_column()
