from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.clock import now
from service.columns import created_at_column
from service.database import Model

if TYPE_CHECKING:
    from service.programs.models import Program


class Role(StrEnum):
    MENTOR = "mentor"
    MENTEE = "mentee"
    GUARDIAN = "guardian"


class Participant(Model):
    __tablename__ = "participants"
    __table_args__ = (
        sa.UniqueConstraint("program_id", "role", "email"),
        # A program's participants by id: keyset pages are an index range.
        sa.Index("ix_participants_program_id_id", "program_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(sa.ForeignKey("programs.id"))
    role: Mapped[str] = mapped_column(sa.String(10))
    full_name: Mapped[str] = mapped_column(sa.String(200))
    email: Mapped[str] = mapped_column(sa.String(254))
    phone: Mapped[str | None] = mapped_column(sa.String(40))
    language: Mapped[str] = mapped_column(sa.String(16), default="en")
    # How many mentees a mentor takes on at once.
    capacity: Mapped[int] = mapped_column(default=1)
    guardian_of_id: Mapped[int | None] = mapped_column(sa.ForeignKey("participants.id"))
    goals: Mapped[list[str]] = mapped_column(default=list)
    skills: Mapped[list[str]] = mapped_column(default=list)
    availability: Mapped[str] = mapped_column(sa.Text, default="")
    active: Mapped[bool] = mapped_column(default=True)
    # Bumped when a pair takes one of this mentor's places, so that two concurrent
    # matches to one mentor are serialised by the row lock and cannot exceed capacity.
    placement_version: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = mapped_column(default=now, onupdate=now)

    program: Mapped[Program] = relationship()
