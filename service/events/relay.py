"""The outbox relay: numbers committed events, publishes them to RQ in that order, at least
once, and publishes again any that Redis lost before they were handled.

Only the holder of the `outbox-relay` lease relays, so positions are given and events leave
in one order however many workers run; the lease is renewed while a batch is under way.
Events are handed to the consumer in batches, one job per batch. Each job is enqueued in one
WATCH/MULTI/EXEC with a marker per event id (naming the job), so two relays (say one whose
lease ran out mid-batch) never both enqueue an event, and a relay that crashed between
Redis and the database does not enqueue it again.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import cast

import sqlalchemy as sa
from flask import current_app
from redis import Redis
from redis.exceptions import WatchError
from rq import Queue, Retry
from rq.job import Job

from service.clock import now
from service.database import db
from service.events import leases
from service.events.models import OutboxEvent
from service.queue import event_queue, redis_connection

log = logging.getLogger(__name__)

LEASE_NAME = "outbox-relay"
LEASE_TTL = timedelta(seconds=30)
# Events handed to one consumer job; the lease is renewed between jobs.
JOB_SIZE = 100
MARKER_TTL = timedelta(days=7)
# A published event still unhandled this long after is looked for in Redis, and
# published again if Redis no longer has it (a restart without persistence, say).
REPUBLISH_AFTER = timedelta(minutes=5)
HANDLER = "service.events.jobs.handle_events"


def marker_key(event_id: str) -> str:
    return f"pairwise:outbox:enqueued:{event_id}"


def default_holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def enqueue_batch(
    connection: Redis, queue: Queue, events: Sequence[OutboxEvent], *, again: bool = False
) -> list[OutboxEvent]:
    """One job for these events, leaving out any enqueued before. Returns those enqueued.

    The markers are checked and written in one WATCH/MULTI/EXEC: if another relay touches
    one meanwhile, the check runs again. `again` publishes events whose job Redis lost.
    """
    keys = [marker_key(event.event_id) for event in events]
    for _ in range(5):
        with connection.pipeline() as pipe:
            try:
                pipe.watch(*keys)
                # redis-py types each command's answer as sync or async; this client is sync.
                seen = [None] * len(keys) if again else cast(list[bytes | None], pipe.mget(keys))
                fresh = [
                    event for event, marker in zip(events, seen, strict=True) if marker is None
                ]
                if not fresh:
                    return []
                job_id = f"events_{uuid.uuid4().hex}"
                pipe.multi()
                queue.enqueue_call(
                    HANDLER,
                    args=([event.event_id for event in fresh],),
                    job_id=job_id,
                    description=f"{len(fresh)} event(s) from {fresh[0].event_id}",
                    retry=Retry(max=5, interval=[5, 30, 120, 600, 1800]),
                    pipeline=pipe,
                )
                for event in fresh:
                    pipe.set(marker_key(event.event_id), job_id, ex=MARKER_TTL)
                pipe.execute()
                return fresh
            except WatchError:
                continue  # another relay wrote a marker: look again
    raise RuntimeError("the outbox relay kept colliding with another relay")


def enqueue_once(
    connection: Redis, queue: Queue, event: OutboxEvent, *, again: bool = False
) -> bool:
    """Enqueue one event's job unless it was enqueued already. True if enqueued now."""
    return bool(enqueue_batch(connection, queue, [event], again=again))


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
        sa.update(cast(sa.Table, OutboxEvent.__table__))
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
        for start in range(0, len(events), JOB_SIZE):
            if start and not _still_leader(holder):
                break
            chunk = events[start : start + JOB_SIZE]
            enqueue_batch(connection, queue, chunk)
            published += [event.id for event in chunk]
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
    lost = []
    if stale:
        markers = cast(
            list[bytes | None], connection.mget([marker_key(event.event_id) for event in stale])
        )
        for event, job_id in zip(stale, markers, strict=True):
            # A job that is queued, running, waiting for a retry or failed is not lost.
            if job_id is None or not Job.exists(job_id.decode(), connection=connection):
                lost.append(event)
    for start in range(0, len(lost), JOB_SIZE):
        enqueue_batch(connection, queue, lost[start : start + JOB_SIZE], again=True)
    for event in lost:
        log.warning("published event %s again: Redis had lost its job", event.event_id)
    db.session.commit()
    return len(lost)
