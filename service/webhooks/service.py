"""Registering endpoints, and turning events into deliveries.

An event handled by the consumer becomes one delivery per enabled endpoint that wants it
(unique per endpoint and event, so a re-handled event is not delivered twice). The clock
enqueues delivery jobs while deliveries are due; each claims batches of them
(`delivery.deliver_due`). Deliveries to one endpoint about one pair go in the pair's order:
an earlier open one holds back the later ones.
"""

from __future__ import annotations

import base64
import math
import secrets
from collections.abc import Sequence
from contextlib import suppress
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app, g
from redis import Redis
from rq import Queue
from rq.exceptions import DuplicateJobError
from sqlalchemy.orm import aliased

from service.actors import Actor
from service.clock import now
from service.database import db, insert_rows, rowcount, table_of, transaction
from service.errors import Conflict, DomainError, Invalid, NotFound
from service.events.catalog import is_known, public_event_types
from service.events.models import OutboxEvent
from service.queue import DEFAULT_QUEUE
from service.webhooks import addresses
from service.webhooks.models import Attempt, Delivery, DeliveryStatus, Endpoint, wants

# A rotated secret keeps signing for this long, so receivers can switch without a gap.
ROTATION_OVERLAP = timedelta(hours=24)
# A delivery claimed by a worker that died is retried after this.
CLAIM_TIMEOUT = timedelta(seconds=60)
# Deliveries one claim takes; a delivery job claims batch after batch while work is due.
BATCH_SIZE = 100
# Delivery jobs in the queue at once, at most: about as many as workers deliver side by side.
DELIVERY_JOBS = 4


class UrlRefused(DomainError):
    """A receiver address webhooks may not reach (not public, or not resolving)."""

    problem_type = "webhook-url-refused"


def new_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and 24 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def allow_list() -> list[addresses.Network]:
    return addresses.parse_allow_list(current_app.config.get("WEBHOOK_ALLOW"))


def check_url(url: str) -> addresses.Target:
    try:
        return addresses.check(url, allow_list())
    except addresses.AddressRefused as refusal:
        raise UrlRefused(f"{url}: {refusal}") from None


def _event_types(event_types: list[str] | None) -> list[str]:
    if not event_types or "*" in event_types:
        return ["*"]
    unknown = [t for t in event_types if not is_known(t) or t not in public_event_types()]
    if unknown:
        raise Invalid(
            "event_types",
            f"unknown event type(s) {', '.join(unknown)}; known: {', '.join(public_event_types())}",
        )
    return sorted(set(event_types))


def get(*, endpoint_id: int) -> Endpoint:
    endpoint = db.session.get(Endpoint, endpoint_id)
    if endpoint is None:
        raise NotFound.of("webhook endpoint", endpoint_id)
    return endpoint


def register(
    *,
    url: str,
    actor: Actor,
    event_types: list[str] | None = None,
    description: str = "",
    enabled: bool = True,
    owner_user_id: int | None = None,
) -> Endpoint:
    check_url(url)
    with transaction():
        endpoint = Endpoint(
            url=url,
            event_types=_event_types(event_types),
            description=description,
            enabled=enabled,
            secret=new_secret(),
            owner_user_id=owner_user_id,
            created_by_label=actor.label,
        )
        db.session.add(endpoint)
    return endpoint


def update(
    *,
    endpoint_id: int,
    url: str | None = None,
    event_types: list[str] | None = None,
    description: str | None = None,
    enabled: bool | None = None,
) -> Endpoint:
    if url is not None:
        check_url(url)
    with transaction():
        endpoint = get(endpoint_id=endpoint_id)
        if url is not None:
            endpoint.url = url
        if event_types is not None:
            endpoint.event_types = _event_types(event_types)
        if description is not None:
            endpoint.description = description
        if enabled is not None:
            if enabled and not endpoint.enabled:
                endpoint.failing_since = None
                endpoint.disabled_reason = None
            endpoint.enabled = enabled
            if not enabled and not endpoint.disabled_reason:
                endpoint.disabled_reason = "disabled by hand"
    return endpoint


def rotate_secret(*, endpoint_id: int) -> Endpoint:
    """A new secret; the old one still signs for 24 hours, so deliveries carry both."""
    with transaction():
        endpoint = get(endpoint_id=endpoint_id)
        endpoint.previous_secret = endpoint.secret
        endpoint.previous_secret_expires_at = now() + ROTATION_OVERLAP
        endpoint.secret = new_secret()
    return endpoint


def signing_secrets(endpoint: Endpoint, moment: datetime) -> list[str]:
    found = [endpoint.secret]
    if (
        endpoint.previous_secret
        and endpoint.previous_secret_expires_at
        and endpoint.previous_secret_expires_at > moment
    ):
        found.append(endpoint.previous_secret)
    return found


def delete(*, endpoint_id: int) -> None:
    with transaction():
        endpoint = get(endpoint_id=endpoint_id)
        deliveries = sa.select(Delivery.id).where(Delivery.endpoint_id == endpoint.id)
        db.session.execute(sa.delete(Attempt).where(Attempt.delivery_id.in_(deliveries)))
        db.session.execute(sa.delete(Delivery).where(Delivery.endpoint_id == endpoint.id))
        db.session.delete(endpoint)


# -- from events to deliveries ------------------------------------------------------------


def fan_out(events: Sequence[OutboxEvent]) -> None:
    """Subscriber to every event, a consumer's batch at a time: a delivery per event and
    endpoint that wants it, in one INSERT, in the consumer's transaction (committed with the
    events' `handled_at`). Unique per endpoint and event: an event handled again adds none."""
    public = public_event_types()
    endpoints = _enabled_endpoints()
    moment = now()
    rows = [
        {
            "endpoint_id": endpoint_id,
            "event_id": event.event_id,
            "event_type": event.type,
            "pair_id": event.pair_id,
            "pair_sequence": event.pair_sequence,
            "request_id": event.request_id,
            "status": DeliveryStatus.PENDING.value,
            "attempts": 0,
            "next_attempt_at": moment,
            "created_at": moment,
            "manual": False,
        }
        for event in events
        if event.type in public
        for endpoint_id, event_types in endpoints
        if wants(event_types, event.type)
    ]
    insert_rows(table_of(Delivery), rows, unique=["endpoint_id", "event_id"])


def _enabled_endpoints() -> list[tuple[int, frozenset[str]]]:
    """The enabled endpoints and the event types each wants, read once per job (app
    context): a consumer's batch of events asks for them once, not once per event."""
    if "webhook_endpoints" not in g:
        rows = db.session.execute(
            sa.select(Endpoint.id, Endpoint.event_types).where(Endpoint.enabled.is_(True))
        ).all()
        g.webhook_endpoints = [(row.id, frozenset(row.event_types)) for row in rows]
    return g.webhook_endpoints


def is_open(status: sa.orm.InstrumentedAttribute[str]) -> sa.ColumnElement[bool]:
    """Pending or being sent, with the two values written into the statement: the partial
    indexes on open deliveries say `status IN ('pending', 'sending')`, and a planner uses
    them only for a query that says the same in literals (SQLite, with bound values, read
    every delivery of the endpoint for each candidate of a claim)."""
    return status.in_(
        sa.bindparam(
            "open_statuses",
            [DeliveryStatus.PENDING.value, DeliveryStatus.SENDING.value],
            expanding=True,
            literal_execute=True,
        )
    )


def held_back() -> sa.ColumnElement[bool]:
    """A delivery waits while an earlier event of its pair may still reach the endpoint: an
    earlier delivery to it is open, or an earlier event is not handled yet (its delivery
    may not exist yet: consumers handle batches side by side)."""
    earlier = aliased(Delivery)
    open_delivery = (
        sa.select(earlier.id)
        .where(
            earlier.endpoint_id == Delivery.endpoint_id,
            earlier.pair_id == Delivery.pair_id,
            earlier.pair_sequence < Delivery.pair_sequence,
            is_open(earlier.status),
        )
        .exists()
    )
    unhandled_event = (
        sa.select(OutboxEvent.id)
        .where(
            OutboxEvent.pair_id == Delivery.pair_id,
            OutboxEvent.pair_sequence < Delivery.pair_sequence,
            OutboxEvent.handled_at.is_(None),
        )
        .exists()
    )
    return sa.or_(open_delivery, unhandled_event)


def claimable(moment: datetime) -> sa.ColumnElement[bool]:
    """Pending and due, or claimed by a worker that vanished since."""
    return sa.and_(
        Delivery.next_attempt_at <= moment,
        sa.or_(
            Delivery.status == DeliveryStatus.PENDING,
            sa.and_(
                Delivery.status == DeliveryStatus.SENDING,
                Delivery.claimed_at < moment - CLAIM_TIMEOUT,
            ),
        ),
    )


def due(moment: datetime, limit: int = BATCH_SIZE) -> sa.Select:
    """The ids of deliveries to attempt now: claimable, to an enabled endpoint, and not held
    back by an earlier event of the same pair. Oldest due first."""
    return (
        sa.select(Delivery.id)
        .join(Endpoint, Endpoint.id == Delivery.endpoint_id)
        .where(
            is_open(Delivery.status),
            claimable(moment),
            Endpoint.enabled.is_(True),
            ~held_back(),
        )
        .order_by(Delivery.next_attempt_at, Delivery.id)
        .limit(limit)
    )


def due_ids(moment: datetime, limit: int = BATCH_SIZE) -> list[int]:
    return list(db.session.scalars(due(moment, limit)))


def enqueue_due(connection: Redis) -> int:
    """The clock's part: enough delivery jobs for what is due, at most DELIVERY_JOBS in the
    queue at once (each job claims its own batches, so a job more would only wait).
    Returns how many deliveries are due."""
    waiting = len(due_ids(now(), DELIVERY_JOBS * BATCH_SIZE))
    db.session.commit()
    queue = Queue(DEFAULT_QUEUE, connection=connection)
    for slot in range(min(DELIVERY_JOBS, math.ceil(waiting / BATCH_SIZE))):
        # A slot's job id is taken while its job waits or runs: no pile-up behind a slow
        # receiver. A failed job keeps its id only briefly.
        with suppress(DuplicateJobError):
            queue.enqueue_call(
                "service.webhooks.delivery.deliver_due",
                job_id=f"webhooks-due-{slot}",
                unique=True,
                result_ttl=0,
                failure_ttl=60,
                timeout=120,
            )
    return waiting


def deliveries(
    *,
    endpoint_id: int,
    status: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 100,
) -> list[Delivery]:
    """The endpoint's delivery log, newest first."""
    get(endpoint_id=endpoint_id)
    query = sa.select(Delivery).where(Delivery.endpoint_id == endpoint_id)
    if status:
        query = query.where(Delivery.status == status)
    if since:
        query = query.where(Delivery.created_at >= since)
    if until:
        query = query.where(Delivery.created_at < until)
    return list(db.session.scalars(query.order_by(Delivery.id.desc()).limit(limit)))


# -- manual redelivery --------------------------------------------------------------------


def redeliver(*, delivery_id: int) -> Delivery:
    """Send a delivery again now, with the same `webhook-id`."""
    with transaction():
        delivery = db.session.get(Delivery, delivery_id)
        if delivery is None:
            raise NotFound.of("webhook delivery", delivery_id)
        if delivery.status == DeliveryStatus.SENDING:
            raise Conflict(f"Delivery {delivery.id} is being sent right now.")
        delivery.status = DeliveryStatus.PENDING
        delivery.next_attempt_at = now()
        delivery.enqueued_at = None
        delivery.manual = True
    return delivery


def redeliver_failed(*, endpoint_id: int, since: datetime, until: datetime) -> int:
    """Every failed delivery to the endpoint created in [since, until), sent again now."""
    if until <= since:
        raise Invalid("until", "must be after since")
    with transaction():
        get(endpoint_id=endpoint_id)
        result = db.session.execute(
            sa.update(Delivery)
            .where(
                Delivery.endpoint_id == endpoint_id,
                Delivery.status == DeliveryStatus.FAILED,
                Delivery.created_at >= since,
                Delivery.created_at < until,
            )
            .values(
                status=DeliveryStatus.PENDING,
                next_attempt_at=now(),
                enqueued_at=None,
                manual=True,
            )
            .execution_options(synchronize_session=False)
        )
    return rowcount(result)
