from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from service.actors import ActorRef
from service.columns import actor_composite, created_at_column
from service.database import Model


class ContactPolicy(StrEnum):
    """What mentor and mentee agreed about contact after the program."""

    THROUGH_PROGRAM = "through_program"
    DIRECTLY = "directly"
    NONE = "none"


class ClosureRecord(Model):
    """The closure procedure of one pair, step by step; the `close` transition keeps a copy."""

    __tablename__ = "closure_records"

    pair_id: Mapped[int] = mapped_column(sa.ForeignKey("pairs.id"), primary_key=True)
    # anticipated (end of cycle) or unanticipated (a move, someone unreachable, behaviour)
    kind: Mapped[str] = mapped_column(sa.String(15), default="anticipated")
    celebration_plan: Mapped[str | None] = mapped_column(sa.Text)
    celebration_on: Mapped[date | None]
    contact_policy: Mapped[str | None] = mapped_column(sa.String(20))
    contact_policy_notes: Mapped[str | None] = mapped_column(sa.Text)
    updated_at: Mapped[datetime] = created_at_column()


class EndingReasons(Model):
    """Why a match ended, from one point of view (mentor, mentee or coordinator): a primary
    reason and any others (`workflows.endings`). One row per point of view; a later account
    replaces an earlier one."""

    __tablename__ = "ending_reasons"
    __table_args__ = (sa.UniqueConstraint("pair_id", "viewpoint"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pair_id: Mapped[int] = mapped_column(sa.ForeignKey("pairs.id"))
    viewpoint: Mapped[str] = mapped_column(sa.String(12))
    primary_reason: Mapped[str] = mapped_column(sa.String(30))
    other_reasons: Mapped[list[str]] = mapped_column(default=list)
    recorded_by: Mapped[ActorRef] = actor_composite("recorded_by")
    recorded_at: Mapped[datetime] = created_at_column()
