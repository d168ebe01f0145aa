"""`pairwise worker`: an RQ worker with RQ's scheduler, and the service's clock beside it.

The process outlives Redis outages. RQ's worker retries a lost connection only while it
waits for a job; anywhere else (mid-job, at its maintenance) it quits, and its scheduler
process dies at the first error either way. So a lost connection ends one *session* of
work: the process waits for Redis (capped exponential backoff, logged), then starts a
fresh RQ worker and scheduler under the same name. The clock thread waits outages out by
itself (service.scheduler).

A worker killed without warning (SIGKILL, a lost machine) leaves its registration behind,
and RQ refuses another worker under the same name while it lasts. When the registration's
process is gone (same host, no such process), it is cleaned up, and the jobs it was
running are handled as RQ handles abandoned jobs: retried when they have retries left,
otherwise moved to the failed job registry (AbandonedJobError).
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar, cast
from uuid import uuid4

from flask import Flask
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rq import Queue, SimpleWorker, worker_registration
from rq.exceptions import NoSuchJobError, StopRequested
from rq.job import Job
from rq.registry import StartedJobRegistry
from rq.scheduler import SCHEDULER_KEY_TEMPLATE, RQScheduler
from rq.utils import parse_composite_key

from service import jobs
from service.queue import queue_names, redis_connection
from service.scheduler import run_clock
from service.webhooks import senders

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])

_LOST = (RedisConnectionError, RedisTimeoutError)


class RedisLost(StopRequested):
    """Ends the worker's session as a stop does (RQ then tears it down), so the process can
    reconnect and start a new one."""


def _ends_session_when_redis_is_lost(method: F) -> F:
    @wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except _LOST as error:
            raise RedisLost(str(error)) from error

    return wrapper  # type: ignore[return-value]


class _Queue(Queue):
    dequeue_any = classmethod(  # type: ignore[var-annotated]
        _ends_session_when_redis_is_lost(Queue.dequeue_any.__func__)  # type: ignore[attr-defined]
    )


class PairwiseWorker(SimpleWorker):
    """SimpleWorker runs jobs in this process instead of forking for each: the app and its
    connection pools are built once, and every job opens its own app context."""

    queue_class = _Queue
    stop_requested = False
    # A burst worker ends once the queues are empty: it needs no channel for RQ's commands,
    # whose listening thread takes up to a second to stop.
    listens_for_commands = True

    def subscribe(self) -> None:
        if self.listens_for_commands:
            super().subscribe()

    heartbeat = _ends_session_when_redis_is_lost(SimpleWorker.heartbeat)
    check_for_suspension = _ends_session_when_redis_is_lost(SimpleWorker.check_for_suspension)
    run_maintenance_tasks = _ends_session_when_redis_is_lost(SimpleWorker.run_maintenance_tasks)
    execute_job = _ends_session_when_redis_is_lost(SimpleWorker.execute_job)

    def request_stop(self, signum: int, frame: Any) -> None:
        self.stop_requested = True
        try:
            super().request_stop(signum, frame)
        except RedisError:
            raise StopRequested() from None  # it asks Redis whether a job runs

    def register_birth(self) -> None:
        clear_stale_registration(self)
        super().register_birth()

    def teardown(self) -> None:
        try:
            super().teardown()
        except RedisError as error:
            # Without Redis, the registration expires by itself (or is cleared at the next
            # start); stop what runs here.
            log.warning("worker %s: Redis gone at shutdown (%s)", self.name, error)
            if self.pubsub_thread is not None:
                self.pubsub_thread.stop()
                self.pubsub_thread.join(timeout=1)


def process_gone(pid: int) -> bool:
    """No such process on this machine (a zombie counts as gone)."""
    if pid == os.getpid():
        return True  # our own earlier life (a container restarted keeps its pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    try:
        return stat.read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


def _text(value: bytes | str | None) -> str | None:
    return value.decode() if isinstance(value, bytes) else value


def _stale(connection: Redis, key: str, hostname: str | None) -> bool:
    # redis-py types each command's answer as sync or async; this client is sync.
    answer = cast(list[bytes | None], connection.hmget(key, ["hostname", "pid"]))
    found_host, pid = (_text(v) for v in answer)
    if not found_host or not pid:
        return False
    return found_host == hostname and process_gone(int(pid))


_DELETE_IF_HELD_BY = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"
)


def clear_stale_registration(worker: SimpleWorker) -> None:
    """Clean up after a worker of this name whose process is gone: requeue or fail its jobs
    (RQ's abandoned-job handling), drop its registration, and free the scheduler locks its
    scheduler process held. A live worker of this name is left alone (RQ refuses to start)."""
    connection = worker.connection
    if connection.exists(worker.key) and not connection.hexists(worker.key, "death"):
        if not _stale(connection, worker.key, worker.hostname):
            return
        log.warning("worker %s: its previous process is gone; cleaning up after it", worker.name)
        _abandon_executions(connection, worker.executions_key)
        worker_registration.unregister(worker)
        connection.delete(worker.key)
    for queue in worker.queues:
        lock = RQScheduler.get_locking_key(queue.name)
        holder = _text(cast(bytes | None, connection.get(lock)))
        if holder and _stale(connection, SCHEDULER_KEY_TEMPLATE % holder, worker.hostname):
            connection.eval(_DELETE_IF_HELD_BY, 1, lock, holder)


def _abandon_executions(connection: Redis, executions_key: str) -> None:
    """The jobs a dead worker was running: expire their executions at once, so that RQ's
    own StartedJobRegistry clean-up retries them (retries left) or fails them (none)."""
    for member in cast(set[bytes], connection.smembers(executions_key)):
        composite = _text(member) or ""
        job_id, _ = parse_composite_key(composite)
        try:
            job = Job.fetch(job_id, connection=connection)
        except NoSuchJobError:
            continue
        registry = StartedJobRegistry(job.origin, connection=connection)
        connection.zadd(registry.key, {composite: 0}, xx=True)
        registry.cleanup()
        log.warning("job %s was running in a worker that is gone: %s", job_id, job.get_status())
    connection.delete(executions_key)


def wait_for_redis(connection: Redis, stop: threading.Event, *, cap: float) -> bool:
    """Ping until Redis answers, waiting 1, 2, 4… seconds (at most `cap`) between tries.
    False if asked to stop first."""
    delay = 1.0
    while not stop.is_set():
        try:
            connection.ping()
            return True
        except (RedisError, OSError) as error:
            log.warning("Redis unreachable (%s); trying again in %.0f s", error, delay)
            stop.wait(delay)
            delay = min(delay * 2, cap)
    return False


def run_worker(
    app: Flask, *, burst: bool = False, with_clock: bool = True, name: str | None = None
) -> None:
    """Work until stopped (or, with `burst`, until the queues are empty)."""
    jobs.use_app(app)
    connection = redis_connection(app)
    stop = threading.Event()
    clock = None
    if with_clock:
        clock = threading.Thread(target=run_clock, args=(app, stop), name="clock", daemon=True)
        clock.start()
    try:
        if burst:
            worker = PairwiseWorker(queue_names(app), connection=connection, name=name)
            worker.listens_for_commands = False
            worker.work(with_scheduler=True, burst=True, logging_level="INFO")
            return
        _work_through_outages(app, connection, stop, name or uuid4().hex)
    finally:
        stop.set()
        if clock is not None:
            clock.join(timeout=5)
        senders.close_all()


def _work_through_outages(app: Flask, connection: Redis, stop: threading.Event, name: str) -> None:
    def stop_waiting(signum: int, frame: Any) -> None:
        stop.set()

    cap = app.config["REDIS_RETRY_MAX_SECONDS"]
    while True:
        # RQ installs its own handlers while it works; between sessions, these.
        signal.signal(signal.SIGINT, stop_waiting)
        signal.signal(signal.SIGTERM, stop_waiting)
        if not wait_for_redis(connection, stop, cap=cap):
            return
        worker = None
        try:
            worker = PairwiseWorker(queue_names(app), connection=connection, name=name)
            worker.work(with_scheduler=True, logging_level="INFO")
        except RedisError as error:
            log.warning("worker %s: Redis lost while starting (%s)", name, error)
        if (worker is not None and worker.stop_requested) or stop.is_set():
            return
        log.warning("worker %s: stopped working (Redis lost?); resuming when it answers", name)
