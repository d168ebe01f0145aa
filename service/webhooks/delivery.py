"""Delivering webhooks, per the Standard Webhooks specification, in batches.

A delivery job claims a batch of due deliveries in one statement, sends them side by side
(each endpoint through its own kept-alive client and bounded pool: service.webhooks.senders),
writes the attempts and the deliveries' new states in bulk, and claims again while work is
due. Per-pair order holds as before: a delivery is not claimable while an earlier one of its
pair to the same endpoint is open, so one batch never holds two of them.

Headers `webhook-id` (the event's id: the same on every attempt), `webhook-timestamp` and
`webhook-signature` (one `v1,…` per secret in use: two during a rotation), signed with the
`standardwebhooks` library. At most `WEBHOOK_TIMEOUT` seconds to connect and between bytes of
the answer, redirects not followed, the connection made to the address that passed the SSRF
check. A failure is retried on the
schedule, or after `Retry-After` if the receiver asks for longer; 410 Gone disables the
endpoint; an endpoint failing for days is disabled and its owner and the admins are told.
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import sqlalchemy as sa
import urllib3
from flask import current_app
from standardwebhooks.webhooks import Webhook

from service.accounts import service as accounts
from service.accounts.models import User
from service.clock import now
from service.database import db
from service.events.models import OutboxEvent
from service.inbox import service as inbox
from service.jobs import job_context
from service.observability.logs import request_id_context
from service.webhooks import addresses, senders
from service.webhooks.models import Attempt, Delivery, DeliveryStatus, Endpoint
from service.webhooks.service import BATCH_SIZE, allow_list, claimable, due, signing_secrets

log = logging.getLogger(__name__)

EXCERPT_LIMIT = 1024
# Retry-After beyond this is not waited for; the schedule takes over.
RETRY_AFTER_CAP = timedelta(hours=24)
USER_AGENT = "Pairwise-Webhooks/1"
# A job goes on claiming batches while deliveries are due, this long at most, then leaves
# the rest to the next job (so RQ's heartbeat and other queues get their turn).
JOB_BUDGET_SECONDS = 5.0


def deliver_due(batch_size: int = BATCH_SIZE) -> dict[str, int]:
    """The RQ job: deliver batches of due deliveries until none is due (or the budget is
    spent). Returns how many attempts ended how.

    Batches overlap: while one batch's requests are out, the next is claimed and its bodies
    made, and it is sent before the first one's outcomes are written, so the endpoints'
    threads are not idle while this one talks to the database. A pair's next delivery is
    not claimable while its last one is being sent, so per-pair order holds as before."""
    outcomes: Counter[str] = Counter()
    began = time.monotonic()
    with job_context():
        current = _claim_and_send(batch_size)
        while current is not None:
            following = None
            if time.monotonic() - began < JOB_BUDGET_SECONDS:
                try:
                    following = _claim_and_send(batch_size)
                except Exception:
                    current.finish()  # what is out is recorded before the job fails
                    raise
            outcomes.update(current.finish())
            if following is None and time.monotonic() - began < JOB_BUDGET_SECONDS:
                # What was held back behind the batch just recorded may be due now.
                following = _claim_and_send(batch_size)
            current = following
    return dict(outcomes)


def deliver(delivery_id: int) -> dict[str, int]:
    """A job of the one-delivery-per-job design, still queued after an upgrade: it delivers
    whatever is due, that delivery included."""
    return deliver_due()


@dataclass(frozen=True)
class Claimed:
    id: int
    endpoint_id: int
    event_id: str
    attempts: int
    manual: bool
    request_id: str | None
    claimed_at: datetime


def deliver_batch(batch_size: int = BATCH_SIZE) -> Counter[str]:
    """Claim up to `batch_size` due deliveries, attempt each once, record the attempts.
    Opens its own transactions; none is held open across the HTTP requests."""
    sending = _claim_and_send(batch_size)
    return sending.finish() if sending is not None else Counter()


class Sending:
    """A claimed batch whose requests are out: `finish` waits for them and records them."""

    def __init__(self, claimed: list[Claimed], outcomes: dict[int, Outcome | Future[Outcome]]):
        self.claimed = claimed
        self.outcomes = outcomes

    def finish(self) -> Counter[str]:
        ended = {
            delivery_id: outcome.result() if isinstance(outcome, Future) else outcome
            for delivery_id, outcome in self.outcomes.items()
        }
        # The endpoints' failing streaks follow the order the attempts ended in.
        ordered = dict(sorted(ended.items(), key=lambda item: item[1].ended))
        record(self.claimed, ordered)
        return Counter(outcome.summary for outcome in ordered.values())


def _claim_and_send(batch_size: int) -> Sending | None:
    """Claim a batch, read what its requests need, and hand them to the endpoints' pools."""
    claimed = claim_batch(batch_size)
    if not claimed:
        return None
    plans = _plans({c.endpoint_id for c in claimed})
    events = {
        event.event_id: event
        for event in db.session.scalars(
            sa.select(OutboxEvent).where(OutboxEvent.event_id.in_({c.event_id for c in claimed}))
        )
    }
    requests = {c.id: _request(plans.get(c.endpoint_id), events.get(c.event_id)) for c in claimed}
    db.session.commit()
    return Sending(claimed, _send(claimed, plans, requests))


def claim_batch(batch_size: int = BATCH_SIZE) -> list[Claimed]:
    """Mark up to `batch_size` due deliveries as being sent by this worker; commits.

    One statement: on PostgreSQL the candidates are locked with SKIP LOCKED, so concurrent
    workers take different rows without waiting for each other, and the outer WHERE checks
    again that each row is still claimable. SQLite has no row locks: the statement, the
    first of its transaction, takes the database's write lock before it reads, so two
    workers' claims run one after the other.
    """
    db.session.commit()  # so the claim starts its own transaction
    moment = now()
    # A CTE, evaluated once: as an IN (subquery) PostgreSQL may run the subquery again for
    # the UPDATE, each run skipping the rows the last one claimed, and take many batches.
    candidates = (
        due(moment, batch_size)
        .with_for_update(skip_locked=True, of=Delivery)
        .cte("candidates")
        .prefix_with("MATERIALIZED")
    )
    rows = db.session.execute(
        sa.update(Delivery)
        .where(Delivery.id.in_(sa.select(candidates.c.id)), claimable(moment))
        .values(status=DeliveryStatus.SENDING, claimed_at=moment)
        .returning(
            Delivery.id,
            Delivery.endpoint_id,
            Delivery.event_id,
            Delivery.attempts,
            Delivery.manual,
            Delivery.request_id,
        )
        .execution_options(synchronize_session=False)
    ).all()
    db.session.commit()
    return sorted(
        (Claimed(*row, claimed_at=moment) for row in rows), key=lambda claimed: claimed.id
    )


@dataclass(frozen=True)
class Plan:
    """What sending to one endpoint needs, read before the claim's transaction ends."""

    endpoint_id: int
    sender: senders.Sender | None
    target: addresses.Target | None
    refused: str | None
    signers: tuple[Webhook, ...]


def _plans(endpoint_ids: set[int]) -> dict[int, Plan]:
    """Per endpoint: the SSRF check (once per batch: the name is resolved once and every
    request goes to the address it passed), the signing keys and the kept connection."""
    allowed = allow_list()
    timeout = current_app.config["WEBHOOK_TIMEOUT_SECONDS"]
    moment = now()
    plans = {}
    for endpoint in db.session.scalars(sa.select(Endpoint).where(Endpoint.id.in_(endpoint_ids))):
        signers = tuple(Webhook(secret) for secret in signing_secrets(endpoint, moment))
        try:
            target = addresses.check(endpoint.url, allowed)
        except addresses.AddressRefused as refusal:
            plans[endpoint.id] = Plan(endpoint.id, None, None, f"refused: {refusal}", signers)
            continue
        sender = senders.sender_for(endpoint.id, endpoint.url, timeout)
        plans[endpoint.id] = Plan(endpoint.id, sender, target, None, signers)
    return plans


@dataclass(frozen=True)
class Request:
    body: bytes | None
    failure: str | None = None


def _request(plan: Plan | None, event: OutboxEvent | None) -> Request:
    if plan is None:
        return Request(None, "the endpoint is no longer stored")
    if event is None:
        return Request(None, "the event is no longer stored")
    if plan.refused:
        return Request(None, plan.refused[:500])
    return Request(body_of(event).encode())


def _send(
    claimed: Sequence[Claimed], plans: dict[int, Plan], requests: dict[int, Request]
) -> dict[int, Outcome | Future[Outcome]]:
    """Every claimed delivery handed to its endpoint's pool, to be attempted once, side by
    side; those that cannot be sent get their outcome at once."""
    outcomes: dict[int, Outcome | Future[Outcome]] = {}
    for delivery in claimed:
        request = requests[delivery.id]
        plan = plans.get(delivery.endpoint_id)
        if request.failure or request.body is None or plan is None or plan.sender is None:
            outcomes[delivery.id] = Outcome(error=request.failure or "not sent")
            continue
        outcomes[delivery.id] = plan.sender.pool.submit(post, plan, delivery.event_id, request.body)
    return outcomes


class Outcome:
    """How one attempt ended, and when."""

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
        self.at = now()
        self.ended = time.monotonic()

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


def headers_for(
    signers: Sequence[Webhook], message_id: str, body: str, moment: datetime
) -> dict[str, str]:
    signatures = [signer.sign(message_id, moment, body) for signer in signers]
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": " ".join(signatures),
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }


def _retry_after(value: str | None) -> timedelta | None:
    if not value:
        return None
    if value.strip().isdigit():
        return timedelta(seconds=int(value.strip()))
    try:
        return parsedate_to_datetime(value) - now()
    except (TypeError, ValueError):
        return None


REDIRECTS = frozenset({301, 302, 303, 307, 308})


def post(plan: Plan, message_id: str, body: bytes) -> Outcome:
    """One HTTP attempt, in a thread of the endpoint's pool: no database, no app context."""
    target, sender = plan.target, plan.sender
    assert target is not None and sender is not None
    text = body.decode()
    headers = headers_for(plan.signers, message_id, text, now())
    # Connect to the checked address; the Host header and TLS name stay the URL's.
    headers["host"] = target.host if target.port in (80, 443) else f"{target.host}:{target.port}"
    parts = urlsplit(target.url)
    path = f"{parts.path or '/'}?{parts.query}" if parts.query else parts.path or "/"
    started = time.perf_counter()
    try:
        connections = sender.connections(
            target.scheme, str(target.address), target.port, target.host
        )
        response = connections.urlopen(
            "POST",
            path,
            body=body,
            headers=headers,
            redirect=False,
            assert_same_host=False,
            preload_content=True,
        )
        excerpt = response.data[: EXCERPT_LIMIT * 4].decode("utf-8", "replace")[:EXCERPT_LIMIT]
    except urllib3.exceptions.NewConnectionError as error:  # refused, unreachable: no timeout
        return Outcome(latency_ms=_since(started), error=f"{type(error).__name__}: {error}"[:500])
    except urllib3.exceptions.TimeoutError:
        return Outcome(latency_ms=_since(started), error=f"timed out after {sender.key[1]:g} s")
    except (urllib3.exceptions.HTTPError, OSError) as error:
        return Outcome(latency_ms=_since(started), error=f"{type(error).__name__}: {error}"[:500])
    status = response.status
    return Outcome(
        status_code=status,
        latency_ms=_since(started),
        excerpt=excerpt,
        retry_after=_retry_after(response.headers.get("retry-after")),
        error=None if 200 <= status < 300 else _why(status, response.headers.get("location")),
    )


def _why(status: int, location: str | None) -> str:
    if status in REDIRECTS and location:
        return f"HTTP {status}: redirects are not followed"
    return f"HTTP {status}"


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


def record(claimed: Sequence[Claimed], outcomes: dict[int, Outcome]) -> None:
    """The attempts and the deliveries' new states, in bulk; the endpoints' failing streaks
    in the order the attempts ended. Commits.

    The deliveries are locked first: one deleted meanwhile (with its endpoint) gets no
    attempt, and one whose claim timed out and was taken by another worker keeps that
    worker's state (the update checks the claim), though its attempt is logged.
    """
    still = set(
        db.session.scalars(
            sa.select(Delivery.id)
            .where(Delivery.id.in_([delivery.id for delivery in claimed]))
            .with_for_update()
        )
    )
    by_id = {delivery.id: delivery for delivery in claimed}
    attempts = []
    changes = []
    for delivery_id, outcome in outcomes.items():
        if delivery_id not in still:
            continue
        delivery = by_id[delivery_id]
        attempts.append(
            {
                "delivery_id": delivery_id,
                "at": outcome.at,
                "status_code": outcome.status_code,
                "latency_ms": outcome.latency_ms,
                "response_excerpt": outcome.excerpt,
                "error": outcome.error,
                "manual": delivery.manual,
            }
        )
        changes.append(_change(delivery, outcome))
    if not changes:
        db.session.commit()
        return
    table = Delivery.__table__
    assert isinstance(table, sa.Table)  # a mapped class's table, typed as any FromClause
    db.session.execute(sa.insert(Attempt), attempts)
    db.session.execute(
        sa.update(table)
        .where(
            table.c.id == sa.bindparam("b_id"),
            table.c.status == DeliveryStatus.SENDING,
            table.c.claimed_at == sa.bindparam("b_claimed_at"),
        )
        .values(
            status=sa.bindparam("b_status"),
            attempts=sa.bindparam("b_attempts"),
            next_attempt_at=sa.bindparam("b_next_attempt_at"),
            delivered_at=sa.bindparam("b_delivered_at"),
            last_status_code=sa.bindparam("b_last_status_code"),
            last_error=sa.bindparam("b_last_error"),
            claimed_at=None,
            enqueued_at=None,
            manual=False,
        ),
        changes,
    )
    _follow_endpoints(claimed, outcomes)
    db.session.commit()
    _log(claimed, outcomes)


def _change(delivery: Claimed, outcome: Outcome) -> dict:
    attempts = delivery.attempts + 1
    change = {
        "b_id": delivery.id,
        "b_claimed_at": delivery.claimed_at,
        "b_attempts": attempts,
        "b_last_status_code": outcome.status_code,
        "b_last_error": outcome.error,
        "b_delivered_at": None,
        "b_next_attempt_at": None,
    }
    if outcome.delivered:
        return {**change, "b_status": DeliveryStatus.DELIVERED, "b_delivered_at": outcome.at}
    delay = None if outcome.gone else retry_delay(attempts, outcome.retry_after)
    if delay is None:
        return {**change, "b_status": DeliveryStatus.FAILED}
    return {**change, "b_status": DeliveryStatus.PENDING, "b_next_attempt_at": outcome.at + delay}


def _follow_endpoints(claimed: Sequence[Claimed], outcomes: dict[int, Outcome]) -> None:
    """A success ends an endpoint's failing streak, a failure starts one; 410 Gone, or a
    streak of days, disables it. Only endpoints whose state changes are read again."""
    endpoint_of = {delivery.id: delivery.endpoint_id for delivery in claimed}
    touched: dict[int, list[Outcome]] = {}
    for delivery_id, outcome in outcomes.items():
        touched.setdefault(endpoint_of[delivery_id], []).append(outcome)
    quiet = set(
        db.session.scalars(
            sa.select(Endpoint.id).where(
                Endpoint.id.in_(
                    [e for e, found in touched.items() if all(o.delivered for o in found)]
                ),
                Endpoint.failing_since.is_(None),
            )
        )
    )
    days = timedelta(days=current_app.config["WEBHOOK_DISABLE_AFTER_DAYS"])
    for endpoint_id, found in touched.items():
        if endpoint_id in quiet:
            continue
        endpoint = db.session.get(Endpoint, endpoint_id)
        if endpoint is None:
            continue
        for outcome in found:
            if outcome.delivered:
                endpoint.failing_since = None
            elif outcome.gone:
                _disable(endpoint, "the receiver answered 410 Gone")
            else:
                endpoint.failing_since = endpoint.failing_since or outcome.at
                if outcome.at - endpoint.failing_since >= days:
                    _disable(endpoint, f"failing since {endpoint.failing_since:%Y-%m-%d %H:%M} UTC")


def _log(claimed: Sequence[Claimed], outcomes: dict[int, Outcome]) -> None:
    """A line per failed attempt, under the request that caused its event; one for the
    batch's successes."""
    delivered = 0
    for delivery in claimed:
        outcome = outcomes[delivery.id]
        if outcome.delivered:
            delivered += 1
            continue
        with request_id_context(delivery.request_id):
            log.info(
                "webhook delivery %s to endpoint %s: %s",
                delivery.id,
                delivery.endpoint_id,
                outcome.summary,
            )
    if delivered:
        log.info("webhook deliveries: %d of %d delivered", delivered, len(claimed))


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
