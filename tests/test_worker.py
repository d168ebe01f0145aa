"""The worker consumes each published event once, however often it is delivered."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from redis import Redis
from rq import Queue, Retry, Worker

from service.database import db
from service.events import subscribers
from service.events.models import OutboxEvent
from service.events.relay import relay_once
from service.queue import DEFAULT_QUEUE
from service.worker import process_gone, run_worker
from tests.helpers.servers import repository_root

pytestmark = pytest.mark.long(60)


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


# ------------------------------------------------------------------ faults: Redis and kills


def _start(service_env, redis_url: str, log: Path, *args: str) -> subprocess.Popen:
    env = {**service_env, "REDIS_URL": redis_url, "PAIRWISE_REDIS_RETRY_MAX": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "service.cli", *args],
        env=env,
        cwd=repository_root(),
        stdout=log.open("a"),
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: a kill takes its scheduler too
    )


def _until(condition, what: str, log: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what}; the worker said:\n{log.read_text()[-3000:]}"
        time.sleep(0.2)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _alive(pid: int | None) -> bool:
    return pid is not None and not process_gone(pid)


def _registered(redis: Redis, name: str) -> bool:
    return any(worker.name == name for worker in Worker.all(connection=redis))


@pytest.mark.slow
@pytest.mark.parametrize(
    "processes",
    [[["worker", "--name", "w1"]], [["worker", "--name", "w1", "--no-clock"], ["scheduler"]]],
    ids=["worker with its clock", "worker and a separate scheduler"],
)
def test_workers_resume_by_themselves_after_redis_goes_away_and_comes_back(
    app, api, world, service_env, flaky_redis, tmp_path, processes
):
    log = tmp_path / "processes.log"
    redis = flaky_redis.client()
    started = [_start(service_env, flaky_redis.url, log, *args) for args in processes]
    try:
        _until(lambda: _registered(redis, "w1"), "the worker did not start", log)
        # Busy when Redis goes: the job ends while Redis is away.
        job = Queue(DEFAULT_QUEUE, connection=redis).enqueue("time.sleep", 2)
        _until(lambda: job.get_status() == "started", "the job did not start", log)
        flaky_redis.stop()
        time.sleep(5)
        assert [p.poll() for p in started] == [None] * len(started), log.read_text()[-3000:]

        flaky_redis.start()
        pair = world.new_pair()  # an event, written to the outbox while the worker waits

        _until(lambda: _handled(app) == [True], f"pair {pair['id']}'s event was not handled", log)
        assert [p.poll() for p in started] == [None] * len(started)
    finally:
        for process in started:
            _stop(process)
    assert [p.returncode for p in started] == [0] * len(started), log.read_text()[-3000:]
    assert "Redis unreachable" in log.read_text()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("retry", "outcome"),
    [(Retry(max=1), "finished"), (None, "failed")],
    ids=["with a retry left it runs again", "without retries it is failed as abandoned"],
)
def test_a_worker_killed_mid_job_starts_again_under_its_name_and_its_job_is_handled(
    app, service_env, flaky_redis, tmp_path, retry, outcome
):
    log = tmp_path / "worker.log"
    redis = flaky_redis.client()
    queue = Queue(DEFAULT_QUEUE, connection=redis)
    marker = tmp_path / "started"
    killed = _start(service_env, flaky_redis.url, log, "worker", "--name", "w1", "--no-clock")
    try:
        _until(lambda: _registered(redis, "w1"), "the worker did not start", log)
        job = queue.enqueue("tests.helpers.jobs.slow_the_first_time", str(marker), retry=retry)
        _until(marker.exists, "the job did not start", log)
    finally:
        os.killpg(killed.pid, signal.SIGKILL)
        killed.wait()

    again = _start(service_env, flaky_redis.url, log, "worker", "--name", "w1", "--no-clock")
    try:
        _until(lambda: job.get_status() == outcome, f"the job is not {outcome}", log)
        assert again.poll() is None, log.read_text()[-3000:]
        assert _registered(redis, "w1")
        if outcome == "failed":
            assert "AbandonedJobError" in job.latest_result().exc_string
        else:
            assert job.return_value() == "done"
        # Its scheduler took the locks the killed one held, rather than waiting them out.
        _until(lambda: _alive(queue.scheduler_pid), "no live scheduler holds the locks", log)
    finally:
        _stop(again)
    assert again.returncode == 0, log.read_text()[-3000:]
