"""Column helpers shared by the domain models."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, composite, mapped_column

from service.actors import ActorRef
from service.clock import now


def created_at_column() -> Mapped[datetime]:
    return mapped_column(default=now)


def actor_composite(prefix: str, *, nullable: bool = False) -> Mapped[ActorRef]:
    """Three columns, `<prefix>_kind`, `<prefix>_id`, `<prefix>_label`, read as one ActorRef."""
    return composite(
        ActorRef,
        mapped_column(f"{prefix}_kind", sa.String(10), nullable=nullable),
        mapped_column(f"{prefix}_id", sa.String(64), nullable=True),
        mapped_column(f"{prefix}_label", sa.String(200), nullable=nullable),
    )
