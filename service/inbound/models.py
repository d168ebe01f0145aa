"""What other services send in: their sources, and every event received from them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from service.columns import created_at_column
from service.database import Model
from service.encryption import EncryptedText


class SourceKind(StrEnum):
    # Our own meeting-event format, signed per Standard Webhooks.
    STANDARD = "standard"
    # Calendly's webhook payloads, signed with its Calendly-Webhook-Signature header.
    CALENDLY = "calendly"


class InboundSource(Model):
    """A sending service, with the secret its requests are signed with."""

    __tablename__ = "inbound_sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(60), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[str] = mapped_column(sa.String(20))
    # Stored encrypted: the requests' signatures are checked with it, so it is read back.
    secret: Mapped[str] = mapped_column(EncryptedText)
    # Where unknown e-mail addresses are looked for; None: every program.
    program_id: Mapped[int | None] = mapped_column(sa.ForeignKey("programs.id"))
    enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = created_at_column()


class InboundStatus(StrEnum):
    APPLIED = "applied"  # became a meeting record (or a change to one) on a pair
    UNMATCHED = "unmatched"  # no pair found for its addresses: a coordinator resolves it
    RESOLVED = "resolved"  # was unmatched; a coordinator attached it to a pair
    IGNORED = "ignored"  # understood, but nothing to record (e.g. a pair already closed)


class InboundEvent(Model):
    """One event received, once: the sender's event id is unique per sender."""

    __tablename__ = "inbound_events"
    __table_args__ = (
        sa.UniqueConstraint("sender", "external_id", name="uq_inbound_events_sender_external"),
        sa.Index("ix_inbound_events_status", "status", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # "source:<slug>" or "token:<name>"
    sender: Mapped[str] = mapped_column(sa.String(120))
    external_id: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[str] = mapped_column(sa.String(40))
    status: Mapped[str] = mapped_column(sa.String(10))
    pair_id: Mapped[int | None] = mapped_column(sa.ForeignKey("pairs.id"))
    meeting_id: Mapped[int | None] = mapped_column(sa.ForeignKey("meetings.id"))
    # The addresses it names, kept to resolve an unmatched event.
    emails: Mapped[list[str]] = mapped_column(default=list)
    # What was understood of it (times, who cancelled, notice); never free text.
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    received_at: Mapped[datetime] = created_at_column()
    resolved_by_label: Mapped[str | None] = mapped_column(sa.String(200))
    resolved_at: Mapped[datetime | None]
