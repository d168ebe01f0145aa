"""The outbox relay: publishes committed events to RQ, oldest first, at least once.

Only the holder of the `outbox-relay` lease publishes, so events leave in order even
with several workers running. Each job is enqueued in one MULTI/EXEC with a marker
keyed by the event id; a relay that crashed after EXEC but before stamping the row
finds the marker and does not enqueue the event again.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import timedelta

import sqlalchemy as sa
from flask import Flask, current_app
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Retry
from sqlalchemy.exc import SQLAlchemyError

from service.clock import now
from service.database import db
from service.events import leases
from service.events.models import OutboxEvent
from service.queue import event_queue, redis_connection

log = logging.getLogger(__name__)

LEASE_NAME = "outbox-relay"
LEASE_TTL = timedelta(seconds=30)
MARKER_TTL = timedelta(days=7)
HANDLER = "service.events.jobs.handle_event"


def marker_key(event_id: str) -> str:
    return f"pairwise:outbox:enqueued:{event_id}"


def default_holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def enqueue_once(connection: Redis, queue: Queue, event: OutboxEvent) -> bool:
    """Enqueue the event's job unless an earlier relay already did. True if enqueued now."""
    key = marker_key(event.event_id)
    if connection.exists(key):
        return False
    with connection.pipeline() as pipe:
        queue.enqueue_call(
            HANDLER,
            args=(event.event_id,),
            job_id=event.event_id,
            description=f"{event.type} {event.event_id}",
            retry=Retry(max=5, interval=[5, 30, 120, 600, 1800]),
            pipeline=pipe,
        )
        pipe.set(key, event.id, ex=MARKER_TTL)
        pipe.execute()
    return True


def relay_once(
    *, connection: Redis | None = None, holder: str | None = None, batch_size: int | None = None
) -> int:
    """Publish one batch of unpublished events. Returns how many rows were stamped."""
    connection = connection or redis_connection()
    holder = holder or default_holder()
    batch_size = batch_size or current_app.config["RELAY_BATCH_SIZE"]
    if not leases.acquire(LEASE_NAME, holder, LEASE_TTL):
        return 0
    events = db.session.scalars(
        sa.select(OutboxEvent)
        .where(OutboxEvent.published_at.is_(None))
        .order_by(OutboxEvent.id)
        .limit(batch_size)
    ).all()
    queue = event_queue(connection)
    published: list[int] = []
    try:
        for event in events:
            enqueue_once(connection, queue, event)
            published.append(event.id)
    finally:
        # Stamp what reached Redis even when Redis fails halfway through the batch.
        if published:
            db.session.execute(
                sa.update(OutboxEvent)
                .where(OutboxEvent.id.in_(published))
                .values(published_at=now())
                .execution_options(synchronize_session=False)
            )
        db.session.commit()
    return len(published)


def run_relay(app: Flask, stop: threading.Event) -> None:
    """Relay until `stop` is set; Redis or database outages are waited out, not fatal."""
    holder = default_holder()
    interval = app.config["RELAY_INTERVAL_SECONDS"]
    outage_logged = False
    while not stop.is_set():
        count = 0
        with app.app_context():
            try:
                count = relay_once(holder=holder)
                if outage_logged:
                    log.info("outbox relay reconnected; publishing again")
                    outage_logged = False
            except (RedisError, SQLAlchemyError) as error:
                db.session.rollback()
                if not outage_logged:
                    log.warning("outbox relay waiting: %s; events stay in the outbox", error)
                    outage_logged = True
        # A full batch means more are waiting: go again at once.
        if count < app.config["RELAY_BATCH_SIZE"]:
            stop.wait(interval)
