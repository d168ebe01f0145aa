from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from service.actors import ActorRef
from service.columns import actor_composite, created_at_column
from service.database import Model


class Confidentiality(StrEnum):
    # Everyone on staff who may open the pair, support staff included.
    TEAM = "team"
    # Coordinators and admins, not support staff.
    COORDINATORS = "coordinators"
    # A safety note: admins and the pair's own coordinator only; every read is logged.
    SAFETY = "safety"


class Note(Model):
    __tablename__ = "notes"
    __table_args__ = (sa.Index("ix_notes_pair_id_created_at", "pair_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pair_id: Mapped[int] = mapped_column(sa.ForeignKey("pairs.id"))
    body: Mapped[str] = mapped_column(sa.Text)
    confidentiality: Mapped[str] = mapped_column(sa.String(15))
    author: Mapped[ActorRef] = actor_composite("author")
    created_at: Mapped[datetime] = created_at_column()


class AccessRecord(Model):
    """Who read a safety note or a safety answer, and when."""

    __tablename__ = "access_log"
    __table_args__ = (sa.Index("ix_access_log_pair_id_at", "pair_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    pair_id: Mapped[int] = mapped_column(sa.ForeignKey("pairs.id"))
    # "note:12" or "response:7"
    subject: Mapped[str] = mapped_column(sa.String(40))
    at: Mapped[datetime] = created_at_column()
    address: Mapped[str | None] = mapped_column(sa.String(64))
