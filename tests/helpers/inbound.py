"""Other services sending meeting events: senders that sign raw bodies the way Standard
Webhooks or Calendly would, and the bodies they send."""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from standardwebhooks.webhooks import Webhook
from werkzeug.test import TestResponse

from service.inbound import calendly

CALENDLY_KEY = "calendly-signing-key-" + "k" * 24


def ago(**delta: float) -> datetime:
    return datetime.now(UTC) - timedelta(**delta)


def iso(moment: datetime) -> str:
    return moment.isoformat()


def raw(body: dict | bytes | str) -> bytes:
    if isinstance(body, bytes):
        return body
    return body.encode() if isinstance(body, str) else json.dumps(body).encode()


class StandardSender:
    """A service posting our meeting events, signed with its source's secret."""

    def __init__(self, client, source: dict) -> None:
        self.client = client
        self.source = source
        self.path = f"/api/v1/inbound/{source['slug']}/meetings"

    def headers(
        self, body: bytes, *, at: datetime | None = None, secret: str | None = None
    ) -> dict[str, str]:
        at = at or datetime.now(UTC)
        msg_id = f"msg_{secrets.token_hex(8)}"
        signature = Webhook(secret or self.source["secret"]).sign(msg_id, at, body.decode())
        return {
            "webhook-id": msg_id,
            "webhook-timestamp": str(int(at.timestamp())),
            "webhook-signature": signature,
        }

    def post(self, body: dict | bytes | str, **signing: Any) -> TestResponse:
        data = raw(body)
        return self.send(data, self.headers(data, **signing))

    def send(self, data: bytes, headers: dict[str, str]) -> TestResponse:
        return self.client.post(
            self.path, data=data, headers=headers, content_type="application/json"
        )


class CalendlySender:
    def __init__(self, client, source: dict, key: str = CALENDLY_KEY) -> None:
        self.client = client
        self.path = f"/api/v1/inbound/{source['slug']}/calendly"
        self.key = key

    def post(
        self, body: dict | bytes, *, at: datetime | None = None, key: str | None = None
    ) -> TestResponse:
        data = raw(body)
        header = calendly.sign(key or self.key, data, at or datetime.now(UTC))
        return self.client.post(
            self.path,
            data=data,
            headers={calendly.HEADER: header},
            content_type="application/json",
        )


def meeting_event(type_: str, *, pair_id: int | None = None, **fields: Any) -> dict:
    """A meeting event in our format; by default due a day ago."""
    body: dict[str, Any] = {
        "id": f"evt_{secrets.token_hex(6)}",
        "type": f"meeting.{type_}",
        "starts_at": iso(ago(days=1)),
        **fields,
    }
    if pair_id is not None:
        body["pair_id"] = pair_id
    return body


def cancellation(
    pair_id: int, *, days_ago: float = 1, notice_hours: float = 48, cancelled_by: str = "mentee"
) -> dict:
    """A cancellation of a meeting due `days_ago`, with `notice_hours` of notice."""
    due = ago(days=days_ago)
    return meeting_event(
        "cancelled",
        pair_id=pair_id,
        starts_at=iso(due),
        cancelled_at=iso(due - timedelta(hours=notice_hours)),
        cancelled_by=cancelled_by,
    )


def invitee_event(
    event: str,
    *,
    invitee: str,
    host: str,
    starts_at: datetime | None = None,
    rescheduled: bool = False,
    canceler_type: str = "invitee",
) -> dict:
    """A Calendly webhook as Calendly shapes it, with the fields Pairwise does not read."""
    starts_at = starts_at or ago(days=1)
    token = secrets.token_hex(6)
    payload = {
        "uri": f"https://api.calendly.com/scheduled_events/EV{token}/invitees/IN{token}",
        "email": invitee,
        "name": "Sam Example",
        "status": "canceled" if event == "invitee.canceled" else "active",
        "rescheduled": rescheduled,
        "timezone": "Europe/London",
        "cancel_url": f"https://calendly.com/cancellations/IN{token}",
        "questions_and_answers": [],
        "scheduled_event": {
            "uri": f"https://api.calendly.com/scheduled_events/EV{token}",
            "name": "Mentoring session",
            "status": "canceled" if event == "invitee.canceled" else "active",
            "start_time": iso(starts_at),
            "end_time": iso(starts_at + timedelta(minutes=45)),
            "event_memberships": [
                {"user": "https://api.calendly.com/users/U1", "user_email": host}
            ],
        },
    }
    if event == "invitee.canceled":
        payload["cancellation"] = {
            "canceled_by": "Sam Example",
            "reason": "Something came up at school",
            "canceler_type": canceler_type,
            "created_at": iso(starts_at - timedelta(hours=2)),
        }
    return {
        "created_at": iso(datetime.now(UTC)),
        "created_by": "https://api.calendly.com/users/U1",
        "event": event,
        "payload": payload,
    }


def signal_codes(api, pair_id: int) -> list[str]:
    timeline = api.ok("get", f"/pairs/{pair_id}/timeline")["items"]
    return [entry["data"]["code"] for entry in timeline if entry["kind"] == "signal"]


def meetings_of(api, pair_id: int) -> list[dict]:
    return api.ok("get", f"/pairs/{pair_id}/meetings")["items"]
