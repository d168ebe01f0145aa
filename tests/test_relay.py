"""The outbox relay publishes committed events to RQ in order, at least once, and never
enqueues an event twice; transitions do not depend on Redis being up."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
import time_machine
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from rq import Queue

from service import create_app
from service.clock import now
from service.database import db
from service.events import leases
from service.events.models import OutboxEvent
from service.events.relay import LEASE_NAME, enqueue_once, relay_once
from service.scheduler import run_clock
from tests.helpers.state import TEST_SECRET


def _outbox(app) -> list[tuple[str, bool]]:
    with app.app_context():
        rows = db.session.execute(
            sa.select(OutboxEvent.event_id, OutboxEvent.published_at).order_by(OutboxEvent.id)
        ).all()
        return [(event_id, published is not None) for event_id, published in rows]


def _queued(connection: Redis, app) -> list[str]:
    """The event ids the queued jobs carry, in queue order."""
    queue = Queue(app.config["EVENT_QUEUE"], connection=connection)
    return [event_id for job in queue.get_jobs() for event_id in job.args[0]]


def test_the_relay_publishes_events_in_outbox_order_and_stamps_them(app, world):
    world.drive_to("training")
    connection = Redis.from_url(app.config["REDIS_URL"])
    with app.app_context():
        assert relay_once(connection=connection) == len(_outbox(app))
    outbox = _outbox(app)
    assert _queued(connection, app) == [event_id for event_id, _ in outbox]
    assert all(published for _, published in outbox)


def test_relaying_again_publishes_nothing_twice(app, world):
    world.drive_to("matched")
    connection = Redis.from_url(app.config["REDIS_URL"])
    with app.app_context():
        first = relay_once(connection=connection)
        assert relay_once(connection=connection) == 0
    assert len(_queued(connection, app)) == first


def test_an_event_enqueued_just_before_a_crash_is_not_enqueued_again(app, world):
    world.drive_to("matched")
    connection = Redis.from_url(app.config["REDIS_URL"])
    with app.app_context():
        first = db.session.scalars(sa.select(OutboxEvent).order_by(OutboxEvent.id)).first()
        queue = Queue(app.config["EVENT_QUEUE"], connection=connection)
        # The relay reached Redis, then died before stamping the row.
        assert enqueue_once(connection, queue, first)
        db.session.rollback()
        relay_once(connection=connection)
    queued = _queued(connection, app)
    assert len(queued) == len(set(queued)) == len(_outbox(app))


def test_only_the_holder_of_the_lease_relays(app, world):
    world.drive_to("matched")
    connection = Redis.from_url(app.config["REDIS_URL"])
    with app.app_context():
        assert leases.acquire(LEASE_NAME, "another-worker", timedelta(seconds=30))
        assert relay_once(connection=connection, holder="this-worker") == 0
        with time_machine.travel(now() + timedelta(seconds=31)):
            assert relay_once(connection=connection, holder="this-worker") > 0


def test_with_redis_down_transitions_succeed_and_their_events_go_out_once_it_is_back(
    app, world, api, flaky_redis, database_url
):
    relay_app = create_app(
        {
            "PAIRWISE_ENV": "test",
            "SECRET_KEY": TEST_SECRET,
            "REDIS_URL": flaky_redis.url,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "RELAY_INTERVAL_SECONDS": 1,
        }
    )
    stop = threading.Event()
    relay = threading.Thread(target=run_clock, args=(relay_app, stop), daemon=True)
    relay.start()
    try:
        flaky_redis.stop()
        pair = world.drive_to("at_risk")
        assert world.pair(pair["id"])["state"] == "at_risk"
        with pytest.raises(RedisConnectionError):
            flaky_redis.client().ping()
        time.sleep(1.5)  # the running relay tries, fails, and waits
        assert not any(published for _, published in _outbox(app))

        flaky_redis.start()
        deadline = time.monotonic() + 15
        while not all(published for _, published in _outbox(app)):
            assert time.monotonic() < deadline, "the relay did not publish after Redis returned"
            time.sleep(0.2)
    finally:
        stop.set()
        relay.join(timeout=10)
    queued = _queued(flaky_redis.client(), relay_app)
    assert queued == [event_id for event_id, _ in _outbox(app)]
    assert len(queued) == len(set(queued))


def test_two_relays_never_enqueue_one_event_twice_even_when_a_lease_runs_out(
    app, world, monkeypatch
):
    """Relay A's lease expires while it is slowed down mid-batch; relay B takes over."""
    import service.events.relay as relay

    world.drive_to("training")
    monkeypatch.setattr(relay, "LEASE_TTL", timedelta(seconds=1))
    connection = Redis.from_url(app.config["REDIS_URL"])
    slowed = threading.local()
    real_enqueue = Queue.enqueue_call

    def slow_enqueue(self, *args, **kwargs):
        if getattr(slowed, "on", False):
            time.sleep(0.4)
        return real_enqueue(self, *args, **kwargs)

    monkeypatch.setattr(Queue, "enqueue_call", slow_enqueue)

    def relay_a() -> None:
        slowed.on = True
        with app.app_context():
            relay.relay_once(connection=connection, holder="A")

    def relay_b() -> None:
        time.sleep(1.2)
        with app.app_context():
            relay.relay_once(connection=connection, holder="B")

    threads = [threading.Thread(target=relay_a), threading.Thread(target=relay_b)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    queued = _queued(connection, app)
    assert len(queued) == len(set(queued)) == len(_outbox(app))


def test_events_redis_lost_before_they_were_handled_are_published_again(app, world, drain):
    from service.events import subscribers

    world.new_pair()
    connection = Redis.from_url(app.config["REDIS_URL"])
    with app.app_context():
        relay_once(connection=connection)
    connection.flushdb()  # Redis restarted without persistence, the job still queued
    with app.app_context():
        assert relay_once(connection=connection) == 0
        assert _queued(connection, app) == []
        with time_machine.travel(now() + timedelta(minutes=6)):
            relay_once(connection=connection)
    assert _queued(connection, app) == [event_id for event_id, _ in _outbox(app)]
    handled = []
    subscribers.subscribe("pair.created", handled.append)
    try:
        drain()
    finally:
        subscribers._subscribers["pair.created"].remove(handled.append)
    assert len(handled) == 1
