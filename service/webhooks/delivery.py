"""One attempt to deliver a webhook, per the Standard Webhooks specification.

Headers `webhook-id` (the event's id: the same on every attempt), `webhook-timestamp` and
`webhook-signature` (one `v1,…` per secret in use: two during a rotation), signed with the
`standardwebhooks` library. At most `WEBHOOK_TIMEOUT` seconds, redirects not followed, the
connection made to the address that passed the SSRF check. A failure is retried on the
schedule, or after `Retry-After` if the receiver asks for longer; 410 Gone disables the
endpoint; an endpoint failing for days is disabled and its owner and the admins are told.
"""

from __future__ import annotations

import json
import logging
import ssl
import time
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from functools import cache

import httpx
import sqlalchemy as sa
from flask import current_app
from standardwebhooks.webhooks import Webhook

from service.accounts import service as accounts
from service.accounts.models import User
from service.clock import now
from service.database import db, rowcount
from service.events.models import OutboxEvent
from service.inbox import service as inbox
from service.jobs import job_context
from service.observability.logs import request_id_context
from service.webhooks import addresses
from service.webhooks.models import Attempt, Delivery, DeliveryStatus, Endpoint
from service.webhooks.service import CLAIM_TIMEOUT, allow_list, held_back, signing_secrets

log = logging.getLogger(__name__)

EXCERPT_LIMIT = 1024
# Retry-After beyond this is not waited for; the schedule takes over.
RETRY_AFTER_CAP = timedelta(hours=24)
USER_AGENT = "Pairwise-Webhooks/1"


# One job follows a pair's deliveries to one endpoint this far, in order, without waiting
# for the clock between them.
CHAIN_LIMIT = 50


def deliver(delivery_id: int) -> str:
    """The RQ job: claim the delivery, make one attempt, record it, plan the next; once
    delivered, go on with the same pair's next delivery to the same endpoint."""
    summary = "not due"
    with job_context():
        next_id: int | None = delivery_id
        for _ in range(CHAIN_LIMIT):
            if next_id is None:
                break
            delivery = _claim(next_id)
            if delivery is None:
                break
            endpoint = db.session.get_one(Endpoint, delivery.endpoint_id)
            event = db.session.scalar(
                sa.select(OutboxEvent).where(OutboxEvent.event_id == delivery.event_id)
            )
            manual, request_id = delivery.manual, delivery.request_id
            db.session.commit()  # no transaction held open across the HTTP request
            with request_id_context(request_id):
                outcome = attempt(endpoint, delivery, event)
                _record(next_id, outcome, manual)
            summary = outcome.summary
            next_id = _next_in_line(delivery) if outcome.delivered else None
    return summary


def _next_in_line(delivery: Delivery) -> int | None:
    if delivery.pair_id is None:
        return None
    return db.session.scalar(
        sa.select(Delivery.id)
        .where(
            Delivery.endpoint_id == delivery.endpoint_id,
            Delivery.pair_id == delivery.pair_id,
            Delivery.status == DeliveryStatus.PENDING,
            Delivery.next_attempt_at <= now(),
            Delivery.pair_sequence > delivery.pair_sequence,
            ~held_back(),
        )
        .order_by(Delivery.pair_sequence)
        .limit(1)
    )


def _claim(delivery_id: int) -> Delivery | None:
    moment = now()
    claimed = db.session.execute(
        sa.update(Delivery)
        .where(
            Delivery.id == delivery_id,
            sa.or_(
                Delivery.status == DeliveryStatus.PENDING,
                sa.and_(
                    Delivery.status == DeliveryStatus.SENDING,
                    Delivery.claimed_at < moment - CLAIM_TIMEOUT,
                ),
            ),
            Delivery.next_attempt_at <= moment,
        )
        .values(status=DeliveryStatus.SENDING, claimed_at=moment)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if rowcount(claimed) != 1:
        return None
    return db.session.get(Delivery, delivery_id)


class Outcome:
    def __init__(
        self,
        *,
        status_code: int | None = None,
        latency_ms: int = 0,
        excerpt: str = "",
        error: str | None = None,
        retry_after: timedelta | None = None,
    ) -> None:
        self.status_code = status_code
        self.latency_ms = latency_ms
        self.excerpt = excerpt
        self.error = error
        self.retry_after = retry_after

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def gone(self) -> bool:
        return self.status_code == 410

    @property
    def summary(self) -> str:
        return "delivered" if self.delivered else (self.error or f"HTTP {self.status_code}")


def body_of(event: OutboxEvent) -> str:
    """The Standard Webhooks payload: type, timestamp and data (the event's own payload,
    with its id and per-pair sequence)."""
    data = {
        "event_id": event.event_id,
        "pair_id": event.pair_id,
        "pair_sequence": event.pair_sequence,
        **event.payload,
    }
    return json.dumps(
        {"type": event.type, "timestamp": event.occurred_at.isoformat(), "data": data},
        separators=(",", ":"),
        default=str,
    )


def headers_for(endpoint: Endpoint, message_id: str, body: str, moment: datetime) -> dict:
    signatures = [
        Webhook(secret).sign(message_id, moment, body)
        for secret in signing_secrets(endpoint, moment)
    ]
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": " ".join(signatures),
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }


def _retry_after(response: httpx.Response) -> timedelta | None:
    value = response.headers.get("retry-after")
    if not value:
        return None
    if value.strip().isdigit():
        return timedelta(seconds=int(value.strip()))
    try:
        return parsedate_to_datetime(value) - now()
    except (TypeError, ValueError):
        return None


@cache
def _tls_context() -> ssl.SSLContext:
    """httpx's default verification (certifi's bundle), built once per process: loading the
    bundle takes about 20 ms, more than the rest of a delivery, and every new client did."""
    return httpx.create_ssl_context(trust_env=False)


def attempt(endpoint: Endpoint, delivery: Delivery, event: OutboxEvent | None) -> Outcome:
    if event is None:
        return Outcome(error="the event is no longer stored")
    try:
        target = addresses.check(endpoint.url, allow_list())
    except addresses.AddressRefused as refusal:
        return Outcome(error=f"refused: {refusal}"[:500])
    body = body_of(event)
    headers = headers_for(endpoint, delivery.event_id, body, now())
    # Connect to the checked address; the Host header and TLS name stay the URL's.
    host_header = target.host if target.port in (80, 443) else f"{target.host}:{target.port}"
    url = httpx.URL(target.url).copy_with(host=str(target.address))
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    timeout = current_app.config["WEBHOOK_TIMEOUT_SECONDS"]
    started = time.perf_counter()
    try:
        with httpx.Client(
            timeout=timeout, follow_redirects=False, trust_env=False, verify=_tls_context()
        ) as client:
            response = client.post(
                url,
                content=body.encode(),
                headers={**headers, "host": host_header},
                extensions=extensions,
            )
            excerpt = response.text[:EXCERPT_LIMIT]
    except httpx.TimeoutException:
        return Outcome(latency_ms=_since(started), error=f"timed out after {timeout} s")
    except httpx.HTTPError as error:
        return Outcome(latency_ms=_since(started), error=f"{type(error).__name__}: {error}"[:500])
    return Outcome(
        status_code=response.status_code,
        latency_ms=_since(started),
        excerpt=excerpt,
        retry_after=_retry_after(response),
        error=None if 200 <= response.status_code < 300 else _why(response),
    )


def _why(response: httpx.Response) -> str:
    if response.is_redirect:
        return f"HTTP {response.status_code}: redirects are not followed"
    return f"HTTP {response.status_code}"


def _since(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)


def retry_delay(attempts: int, retry_after: timedelta | None) -> timedelta | None:
    """When to try again after `attempts` failed attempts; None once the schedule is spent."""
    schedule = current_app.config["WEBHOOK_RETRY_SCHEDULE"]
    if attempts > len(schedule):
        return None
    delay = timedelta(seconds=schedule[attempts - 1])
    if retry_after is not None and delay < retry_after <= RETRY_AFTER_CAP:
        delay = retry_after
    return delay


def _record(delivery_id: int, outcome: Outcome, manual: bool) -> None:
    moment = now()
    delivery = db.session.get_one(Delivery, delivery_id)
    endpoint = db.session.get_one(Endpoint, delivery.endpoint_id)
    db.session.add(
        Attempt(
            delivery_id=delivery.id,
            at=moment,
            status_code=outcome.status_code,
            latency_ms=outcome.latency_ms,
            response_excerpt=outcome.excerpt,
            error=outcome.error,
            manual=manual,
        )
    )
    delivery.attempts += 1
    delivery.manual = False
    delivery.last_status_code = outcome.status_code
    delivery.last_error = outcome.error
    delivery.claimed_at = None
    if outcome.delivered:
        delivery.status = DeliveryStatus.DELIVERED
        delivery.delivered_at = moment
        delivery.next_attempt_at = None
        endpoint.failing_since = None
    elif outcome.gone:
        delivery.status = DeliveryStatus.FAILED
        delivery.next_attempt_at = None
        _disable(endpoint, "the receiver answered 410 Gone")
    else:
        endpoint.failing_since = endpoint.failing_since or moment
        delay = retry_delay(delivery.attempts, outcome.retry_after)
        if delay is None:
            delivery.status = DeliveryStatus.FAILED
            delivery.next_attempt_at = None
        else:
            delivery.status = DeliveryStatus.PENDING
            delivery.next_attempt_at = moment + delay
            delivery.enqueued_at = None
        failing_for = moment - endpoint.failing_since
        if failing_for >= timedelta(days=current_app.config["WEBHOOK_DISABLE_AFTER_DAYS"]):
            _disable(endpoint, f"failing since {endpoint.failing_since:%Y-%m-%d %H:%M} UTC")
    db.session.commit()
    log.info("webhook delivery %s to endpoint %s: %s", delivery.id, endpoint.id, outcome.summary)


def _disable(endpoint: Endpoint, reason: str) -> None:
    """Stop sending, and tell the endpoint's owner and the admins, in this transaction."""
    if not endpoint.enabled:
        return
    endpoint.enabled = False
    endpoint.disabled_reason = reason[:200]
    people = {user.id: user for user in accounts.admins()}
    if endpoint.owner_user_id and (owner := db.session.get(User, endpoint.owner_user_id)):
        people[owner.id] = owner
    inbox.notify(
        users=people.values(),
        kind="webhook_disabled",
        title=f"Webhook endpoint {endpoint.id} is disabled",
        body=f"{endpoint.url} stopped receiving events: {reason}. Fix the receiver, enable "
        "it again and redeliver what failed.",
        event_id=f"webhook-disabled-{endpoint.id}-{int(now().timestamp())}",
    )
