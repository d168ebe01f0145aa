"""The worker consumes each published event once, however often it is delivered."""

from __future__ import annotations

import subprocess
import sys

import pytest
import sqlalchemy as sa
from redis import Redis
from rq import Queue

from service.database import db
from service.events import subscribers
from service.events.models import OutboxEvent
from service.events.relay import relay_once
from service.worker import run_worker
from tests.conftest import repository_root


@pytest.fixture
def seen(monkeypatch) -> list[str]:
    """Event ids seen by a subscriber to every event type."""
    calls: list[str] = []
    monkeypatch.setattr(subscribers, "_subscribers", {"*": [lambda e: calls.append(e.event_id)]})
    return calls


def _handled(app) -> list[bool]:
    with app.app_context():
        return [
            handled is not None for handled in db.session.scalars(sa.select(OutboxEvent.handled_at))
        ]


def test_a_burst_worker_hands_every_published_event_to_its_subscribers(app, world, seen):
    world.drive_to("matched")
    with app.app_context():
        relay_once()
        event_ids = db.session.scalars(
            sa.select(OutboxEvent.event_id).order_by(OutboxEvent.id)
        ).all()
    run_worker(app, burst=True, with_clock=False)
    assert seen == list(event_ids)
    assert all(_handled(app))


def test_an_event_delivered_twice_is_handled_once(app, world, seen):
    world.new_pair()
    with app.app_context():
        relay_once()
        event_id = db.session.scalar(sa.select(OutboxEvent.event_id))
    run_worker(app, burst=True, with_clock=False)
    queue = Queue(app.config["EVENT_QUEUE"], connection=Redis.from_url(app.config["REDIS_URL"]))
    queue.enqueue("service.events.jobs.handle_event", event_id)
    run_worker(app, burst=True, with_clock=False)
    assert seen == [event_id]


@pytest.mark.slow
def test_pairwise_worker_relays_and_handles_events_as_its_own_process(app, world, service_env):
    world.drive_to("matched")
    result = subprocess.run(
        [sys.executable, "-m", "service.cli", "relay"],
        env=service_env,
        cwd=repository_root(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "Published 2 event(s)" in result.stdout
    worker = subprocess.run(
        [sys.executable, "-m", "service.cli", "worker", "--burst", "--no-clock"],
        env=service_env,
        cwd=repository_root(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert worker.returncode == 0, worker.stderr
    assert _handled(app) == [True, True]
