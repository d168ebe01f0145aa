"""Outbound webhooks: endpoints other services registered, one delivery per (endpoint,
event), and every attempt to deliver it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from service.columns import created_at_column
from service.database import Model
from service.encryption import EncryptedText


class Endpoint(Model):
    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(sa.String(2000))
    description: Mapped[str] = mapped_column(sa.String(500), default="")
    # The event types wanted; ["*"] for all of them.
    event_types: Mapped[list[str]] = mapped_column(default=lambda: ["*"])
    enabled: Mapped[bool] = mapped_column(default=True)
    disabled_reason: Mapped[str | None] = mapped_column(sa.String(200))
    # Standard Webhooks secret, "whsec_" + base64. After a rotation the previous one signs
    # too until `previous_secret_expires_at`. Both are stored encrypted.
    secret: Mapped[str] = mapped_column(EncryptedText)
    previous_secret: Mapped[str | None] = mapped_column(EncryptedText)
    previous_secret_expires_at: Mapped[datetime | None]
    # Set at the first failure after a success; an endpoint failing for days is disabled.
    failing_since: Mapped[datetime | None]
    # Who registered it: an API token's name or a staff member; told when it is disabled.
    owner_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_by_label: Mapped[str] = mapped_column(sa.String(200), default="")
    created_at: Mapped[datetime] = created_at_column()

    def wants(self, event_type: str) -> bool:
        return wants(self.event_types, event_type)


def wants(event_types: Iterable[str], event_type: str) -> bool:
    """Do an endpoint's event types (`*` for all) take this event?"""
    return "*" in event_types or event_type in event_types


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # waiting for its next attempt
    SENDING = "sending"  # claimed by a worker
    DELIVERED = "delivered"
    FAILED = "failed"  # gave up, or the endpoint is gone (410)


_OPEN = sa.text("status IN ('pending', 'sending')")


class Delivery(Model):
    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        sa.UniqueConstraint("endpoint_id", "event_id", name="uq_webhook_deliveries_endpoint_event"),
        # What is due: one indexed range scan.
        sa.Index(
            "ix_webhook_deliveries_due",
            "next_attempt_at",
            sqlite_where=_OPEN,
            postgresql_where=_OPEN,
        ),
        # Per-pair order: an earlier open delivery to the same endpoint holds back later ones.
        sa.Index(
            "ix_webhook_deliveries_endpoint_pair_open",
            "endpoint_id",
            "pair_id",
            "pair_sequence",
            sqlite_where=_OPEN,
            postgresql_where=_OPEN,
        ),
        sa.Index("ix_webhook_deliveries_endpoint_created", "endpoint_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(sa.ForeignKey("webhook_endpoints.id"))
    # The event's id is the `webhook-id` header: the same on every attempt.
    event_id: Mapped[str] = mapped_column(sa.String(40))
    event_type: Mapped[str] = mapped_column(sa.String(60))
    pair_id: Mapped[int | None]
    pair_sequence: Mapped[int | None]
    status: Mapped[str] = mapped_column(sa.String(10), default=DeliveryStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = created_at_column()
    enqueued_at: Mapped[datetime | None]
    claimed_at: Mapped[datetime | None]
    last_status_code: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
    delivered_at: Mapped[datetime | None]
    # The request that caused the event: the delivery job logs under it.
    request_id: Mapped[str | None] = mapped_column(sa.String(64))
    # Sent again by hand: the next attempt is recorded as manual.
    manual: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = created_at_column()


class Attempt(Model):
    __tablename__ = "webhook_attempts"
    __table_args__ = (sa.Index("ix_webhook_attempts_delivery", "delivery_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(sa.ForeignKey("webhook_deliveries.id"))
    at: Mapped[datetime] = created_at_column()
    status_code: Mapped[int | None]
    latency_ms: Mapped[int]
    # The first KiB of the answer, or why there was none (refused address, timeout…).
    response_excerpt: Mapped[str] = mapped_column(sa.Text, default="")
    error: Mapped[str | None] = mapped_column(sa.String(500))
    manual: Mapped[bool] = mapped_column(default=False)
