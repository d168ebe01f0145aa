from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from service.columns import created_at_column
from service.database import Model

_UNPUBLISHED = sa.text("published_at IS NULL")
_UNSEQUENCED = sa.text("position IS NULL")
_SEQUENCED = sa.text("position IS NOT NULL")
_UNHANDLED = sa.text("handled_at IS NULL")


class OutboxEvent(Model):
    """An event written in the same transaction as the change it describes.

    The relay numbers committed rows (`position`, in the order it finds them committed),
    publishes them in that order and stamps `published_at`; the consumer stamps
    `handled_at`. The row is the event's durable copy, whatever Redis loses.
    """

    __tablename__ = "outbox_events"
    __table_args__ = (
        sa.Index(
            "ix_outbox_events_unsequenced",
            "id",
            sqlite_where=_UNSEQUENCED,
            postgresql_where=_UNSEQUENCED,
        ),
        sa.Index(
            "uq_outbox_events_position",
            "position",
            unique=True,
            sqlite_where=_SEQUENCED,
            postgresql_where=_SEQUENCED,
        ),
        sa.Index(
            "ix_outbox_events_unpublished",
            "position",
            sqlite_where=_UNPUBLISHED,
            postgresql_where=_UNPUBLISHED,
        ),
        sa.Index(
            "ix_outbox_events_unhandled",
            "published_at",
            sqlite_where=_UNHANDLED,
            postgresql_where=_UNHANDLED,
        ),
        sa.Index("ix_outbox_events_pair_id_pair_sequence", "pair_id", "pair_sequence"),
    )

    id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True
    )
    event_id: Mapped[str] = mapped_column(sa.String(40), unique=True)
    type: Mapped[str] = mapped_column(sa.String(60))
    pair_id: Mapped[int | None] = mapped_column(sa.ForeignKey("pairs.id"))
    pair_sequence: Mapped[int | None]
    # Commit order, given by the one relay that holds the lease: what feed readers page on.
    position: Mapped[int | None] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    )
    payload: Mapped[dict[str, Any]]
    occurred_at: Mapped[datetime] = created_at_column()
    published_at: Mapped[datetime | None]
    handled_at: Mapped[datetime | None]
    # The request that caused it, so the jobs it causes log under the same id.
    request_id: Mapped[str | None] = mapped_column(sa.String(64))


class Lease(Model):
    """A named, expiring lock held in the database, for jobs only one process may run."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(sa.String(60), primary_key=True)
    holder: Mapped[str] = mapped_column(sa.String(120))
    expires_at: Mapped[datetime]
