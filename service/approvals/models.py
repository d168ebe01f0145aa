from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from service.actors import ActorRef
from service.columns import actor_composite, created_at_column
from service.database import Model


class ProposalStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    # The pair moved on and the trigger no longer applies.
    SUPERSEDED = "superseded"


_PENDING = sa.text("status = 'pending'")


class Proposal(Model):
    """A transition waiting for a coordinator's decision."""

    __tablename__ = "proposals"
    __table_args__ = (
        # Automation may propose the same thing many times; it is filed once.
        sa.Index(
            "uq_proposals_pending_pair_trigger",
            "pair_id",
            "trigger",
            unique=True,
            sqlite_where=_PENDING,
            postgresql_where=_PENDING,
        ),
        sa.Index("ix_proposals_status_created_at", "status", "created_at"),
        sa.Index("ix_proposals_status_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pair_id: Mapped[int] = mapped_column(sa.ForeignKey("pairs.id"), index=True)
    trigger: Mapped[str] = mapped_column(sa.String(20))
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    reason: Mapped[str | None] = mapped_column(sa.Text)
    signals: Mapped[list[str]] = mapped_column(default=list)
    status: Mapped[str] = mapped_column(sa.String(12), default=ProposalStatus.PENDING)
    proposed_by: Mapped[ActorRef] = actor_composite("proposed_by")
    created_at: Mapped[datetime] = created_at_column()
    decided_by: Mapped[ActorRef | None] = actor_composite("decided_by", nullable=True)
    decided_at: Mapped[datetime | None]
    decision_reason: Mapped[str | None] = mapped_column(sa.Text)
    # Not a foreign key: transition_records.proposal_id already points back here, and a
    # cycle of foreign keys would need ALTER TABLE, which SQLite cannot do in place.
    transition_id: Mapped[int | None]
