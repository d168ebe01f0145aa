from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from service.columns import created_at_column
from service.database import Model


class NotificationStatus(StrEnum):
    PENDING = "pending"
    # Claimed by one sender; a send that died halfway is handed back after a while.
    SENDING = "sending"
    SENT = "sent"
    # Every retry failed; shown to staff, never silently dropped.
    FAILED = "failed"


class Notification(Model):
    """An e-mail to send, written in the transaction that calls for it."""

    __tablename__ = "notifications"
    __table_args__ = (
        sa.Index("ix_notifications_status_created_at", "status", "created_at"),
        # The table is its own outbox: what to send next is one indexed query.
        sa.Index(
            "ix_notifications_waiting",
            "next_attempt_at",
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    template: Mapped[str] = mapped_column(sa.String(60))
    to_address: Mapped[str] = mapped_column(sa.String(254))
    language: Mapped[str] = mapped_column(sa.String(16), default="en")
    context: Mapped[dict[str, Any]]
    participant_id: Mapped[int | None] = mapped_column(sa.ForeignKey("participants.id"))
    pair_id: Mapped[int | None] = mapped_column(sa.ForeignKey("pairs.id"), index=True)
    status: Mapped[str] = mapped_column(sa.String(10), default=NotificationStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = created_at_column()
    sent_at: Mapped[datetime | None]
    claimed_at: Mapped[datetime | None]
    # When to try (again); retries back off.
    next_attempt_at: Mapped[datetime | None] = created_at_column()
