from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from service.columns import created_at_column
from service.database import Model


class InboxItem(Model):
    """A notice in a member of staff's in-app inbox. Never answer text."""

    __tablename__ = "inbox_items"
    __table_args__ = (
        sa.Index("ix_inbox_items_user_id_read_at", "user_id", "read_at"),
        # The inbox's order (unread first, then urgent first, then newest first): each of
        # its four groups is one range of one of these.
        *(
            sa.Index(
                f"ix_inbox_items_{name}",
                "user_id",
                "urgent",
                "created_at",
                "id",
                sqlite_where=sa.text(where),
                postgresql_where=sa.text(where),
            )
            for name, where in (("unread", "read_at IS NULL"), ("read", "read_at IS NOT NULL"))
        ),
        # An event delivered twice tells each person once.
        sa.Index(
            "uq_inbox_items_user_id_event_id",
            "user_id",
            "event_id",
            unique=True,
            sqlite_where=sa.text("event_id IS NOT NULL"),
            postgresql_where=sa.text("event_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(sa.String(30))
    urgent: Mapped[bool] = mapped_column(default=False)
    pair_id: Mapped[int | None] = mapped_column(sa.ForeignKey("pairs.id"))
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text, default="")
    link: Mapped[str | None] = mapped_column(sa.String(300))
    created_at: Mapped[datetime] = created_at_column()
    read_at: Mapped[datetime | None]
    # The event this notice answers, if any.
    event_id: Mapped[str | None] = mapped_column(sa.String(40))
