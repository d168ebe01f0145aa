"""Calendly's webhooks: its signature scheme, and its invitee payloads in our terms.

Calendly signs each request with `Calendly-Webhook-Signature: t=<unix time>,v1=<hex>`, the
HMAC-SHA256 of "<t>.<raw body>" under the subscription's signing key. `invitee.created` is a
booking; `invitee.canceled` a cancellation, or the first half of a reschedule when
`payload.rescheduled` is true (the new booking follows as another `invitee.created`).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from typing import Any

from service.clock import now
from service.inbound.events import MeetingChange
from service.inbound.models import SourceKind
from service.problems import Problem
from workflows.meeting_rules import MeetingEventType

HEADER = "Calendly-Webhook-Signature"
TOLERANCE = timedelta(minutes=5)
EVENTS = ("invitee.created", "invitee.canceled")


def sign(key: str, body: bytes, at: datetime) -> str:
    """The header Calendly would send (for tests and for trying a source out)."""
    timestamp = str(int(at.timestamp()))
    digest = hmac.new(key.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def verify(key: str, body: bytes, header: str | None) -> None:
    """Refuse a request that Calendly did not sign with `key`, or signed too long ago."""
    parts: dict[str, list[str]] = {}
    for item in (header or "").split(","):
        name, _, value = item.strip().partition("=")
        parts.setdefault(name, []).append(value)
    timestamps, signatures = parts.get("t", []), parts.get("v1", [])
    if len(timestamps) != 1 or not timestamps[0].isdigit() or not signatures:
        raise Problem(
            "inbound-signature-invalid",
            f"Missing or malformed {HEADER} header: expected 't=<unix time>,v1=<hex digest>'.",
        )
    timestamp = timestamps[0]
    expected = hmac.new(key.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    wanted = expected.hexdigest().encode()
    if not any(hmac.compare_digest(wanted, given.encode()) for given in signatures):
        raise Problem("inbound-signature-invalid", f"The {HEADER} does not match the body.")
    try:
        signed_at = datetime.fromtimestamp(int(timestamp), UTC)
    except (OverflowError, OSError, ValueError):
        signed_at = None
    if signed_at is None or abs(now() - signed_at) > TOLERANCE:
        raise Problem(
            "inbound-replayed",
            f"The {HEADER} was made at t={timestamp}, more than 5 minutes from now.",
        )


def external_id(data: dict[str, Any]) -> str:
    """Calendly's invitee URI names a booking; with the event name, one delivery of it."""
    return f"{data['event']}:{data['payload']['uri']}"


def to_change(data: dict[str, Any]) -> tuple[MeetingChange, list[str]]:
    """A validated payload (CalendlyWebhookSchema) as a meeting change, and the addresses
    named: the invitee's and the hosts'."""
    invitee = data["payload"]
    scheduled = invitee["scheduled_event"]
    invitee_email = invitee["email"].strip().lower()
    hosts = [
        m["user_email"].strip().lower()
        for m in scheduled.get("event_memberships", [])
        if m.get("user_email")
    ]
    starts, ends = scheduled["start_time"], scheduled.get("end_time")
    minutes = int((ends - starts) / timedelta(minutes=1)) if ends else None
    duration = minutes if minutes and 0 < minutes <= 1440 else None
    emails = [invitee_email, *hosts]
    if data["event"] == "invitee.created":
        change = MeetingChange(
            type=MeetingEventType.SCHEDULED,
            starts_at=starts,
            duration_minutes=duration,
            format=SourceKind.CALENDLY,
        )
        return change, emails
    cancellation = invitee.get("cancellation") or {}
    canceller = cancellation.get("canceler_type")
    cancelled_at = cancellation.get("created_at") or data.get("created_at")
    common: dict[str, Any] = {
        "canceller_emails": hosts if canceller == "host" else [invitee_email] if canceller else [],
        "cancelled_at": cancelled_at,
        "format": SourceKind.CALENDLY,
    }
    if invitee.get("rescheduled"):
        # The new time comes with the `invitee.created` that follows.
        change = MeetingChange(
            type=MeetingEventType.RESCHEDULED, previous_starts_at=starts, **common
        )
    else:
        change = MeetingChange(
            type=MeetingEventType.CANCELLED, starts_at=starts, duration_minutes=duration, **common
        )
    return change, emails
