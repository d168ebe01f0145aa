from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from service.columns import created_at_column
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
