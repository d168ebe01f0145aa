from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from service.actors import ActorRef
from service.columns import actor_composite, created_at_column
from service.database import Model


class MeetingStatus(StrEnum):
    HELD = "held"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"


class Meeting(Model):
    """A mentoring session, held or not: the minimum record monitoring asks of a meeting."""

    __tablename__ = "meetings"
    # By pair and moment, with the status: the insights' count of held meetings per month
    # reads the index alone (migration 0029).
    __table_args__ = (
        sa.Index("ix_meetings_pair_id_occurred_at_status", "pair_id", "occurred_at", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pair_id: Mapped[int] = mapped_column(sa.ForeignKey("pairs.id"))
    occurred_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(sa.String(10))
    duration_minutes: Mapped[int | None]
    attendees: Mapped[list[str]] = mapped_column(default=list)
    location: Mapped[str] = mapped_column(sa.String(200), default="")
    activities: Mapped[str] = mapped_column(sa.Text, default="")
    # Who cancelled or did not turn up, for meetings that were not held.
    missed_by: Mapped[str | None] = mapped_column(sa.String(10))
    is_final_session: Mapped[bool] = mapped_column(default=False)
    # For a cancelled or moved meeting: how many hours before it was due it was called off.
    notice_hours: Mapped[int | None]
    recorded_by: Mapped[ActorRef] = actor_composite("recorded_by")
    created_at: Mapped[datetime] = created_at_column()
