"""The outbox relay: numbers committed events, publishes them to RQ in that order, at least
once, and publishes again any that Redis lost before they were handled.

Only the holder of the `outbox-relay` lease relays, so positions are given and events leave
in one order however many workers run; the lease is renewed while a batch is under way.
Each job is enqueued in one WATCH/MULTI/EXEC with a marker keyed by the event id, so two
relays (say one whose lease ran out mid-batch) can never both enqueue the same event, and a
relay that crashed between Redis and the database does not enqueue it again.
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
from redis.exceptions import RedisError, WatchError
from rq import Queue, Retry
from rq.job import Job
from sqlalchemy.exc import SQLAlchemyError

from service.clock import now
from service.database import db
from service.events import leases
from service.events.models import OutboxEvent
from service.queue import event_queue, redis_connection

log = logging.getLogger(__name__)

LEASE_NAME = "outbox-relay"
LEASE_TTL = timedelta(seconds=30)
RENEW_EVERY = 100
MARKER_TTL = timedelta(days=7)
# A published event still unhandled this long after is looked for in Redis, and
# published again if Redis no longer has it (a restart without persistence, say).
REPUBLISH_AFTER = timedelta(minutes=5)
HANDLER = "service.events.jobs.handle_event"


def marker_key(event_id: str) -> str:
    return f"pairwise:outbox:enqueued:{event_id}"


def default_holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def enqueue_once(
    connection: Redis, queue: Queue, event: OutboxEvent, *, again: bool = False
) -> bool:
    """Enqueue the event's job unless it was enqueued already. True if enqueued now.

    `again` publishes an event whose earlier job Redis lost.
    """
    key = marker_key(event.event_id)
    with connection.pipeline() as pipe:
        try:
            pipe.watch(key)
            if pipe.exists(key) and not again:
                return False
            pipe.multi()
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
        except WatchError:
            # Another relay enqueued it between our look and our write.
            return False


def assign_positions(limit: int) -> int:
    """Number the committed, unnumbered events after the last number given. Commits.

    Only the lease holder calls this, so numbers are given by one writer, in the order
    events are found committed: a reader paging by position never skips a late commit.
    """
    ids = db.session.scalars(
        sa.select(OutboxEvent.id)
        .where(OutboxEvent.position.is_(None))
        .order_by(OutboxEvent.id)
        .limit(limit)
    ).all()
    if not ids:
        db.session.commit()
        return 0
    last = db.session.scalar(sa.select(sa.func.max(OutboxEvent.position))) or 0
    db.session.execute(
        sa.update(OutboxEvent.__table__)
        .where(OutboxEvent.__table__.c.id == sa.bindparam("row_id"))
        .values(position=sa.bindparam("new_position")),
        [{"row_id": row_id, "new_position": last + n} for n, row_id in enumerate(ids, 1)],
    )
    db.session.commit()
    return len(ids)


def relay_once(
    *, connection: Redis | None = None, holder: str | None = None, batch_size: int | None = None
) -> int:
    """Number, publish and re-publish one batch. Returns how many events were published."""
    connection = connection or redis_connection()
    holder = holder or default_holder()
    batch_size = batch_size or current_app.config["RELAY_BATCH_SIZE"]
    if not leases.acquire(LEASE_NAME, holder, LEASE_TTL):
        return 0
    assign_positions(batch_size)
    events = db.session.scalars(
        sa.select(OutboxEvent)
        .where(OutboxEvent.published_at.is_(None), OutboxEvent.position.is_not(None))
        .order_by(OutboxEvent.position)
        .limit(batch_size)
    ).all()
    queue = event_queue(connection)
    published: list[int] = []
    try:
        for index, event in enumerate(events):
            if index and index % RENEW_EVERY == 0 and not _still_leader(holder):
                break
            enqueue_once(connection, queue, event)
            published.append(event.id)
    finally:
        # Stamp what reached Redis even when Redis fails halfway through the batch.
        if published:
            db.session.execute(
                sa.update(OutboxEvent)
                .where(OutboxEvent.id.in_(published), OutboxEvent.published_at.is_(None))
                .values(published_at=now())
                .execution_options(synchronize_session=False)
            )
        db.session.commit()
    republish_lost(connection, queue, batch_size)
    return len(published)


def _still_leader(holder: str) -> bool:
    return leases.acquire(LEASE_NAME, holder, LEASE_TTL)


def republish_lost(connection: Redis, queue: Queue, limit: int) -> int:
    """Publish again the events Redis lost before a worker handled them."""
    stale = db.session.scalars(
        sa.select(OutboxEvent)
        .where(
            OutboxEvent.handled_at.is_(None),
            OutboxEvent.published_at < now() - REPUBLISH_AFTER,
        )
        .order_by(OutboxEvent.published_at)
        .limit(limit)
    ).all()
    again = 0
    for event in stale:
        # A job that is queued, running, waiting for a retry or failed is not lost.
        lost = not Job.exists(event.event_id, connection=connection)
        if lost and enqueue_once(connection, queue, event, again=True):
            again += 1
            log.warning("published event %s again: Redis had lost its job", event.event_id)
    db.session.commit()
    return again


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
