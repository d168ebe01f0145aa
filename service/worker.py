"""`pairwise worker`: an RQ worker with RQ's scheduler, and the service's clock beside it."""

from __future__ import annotations

import logging
import threading

from flask import Flask
from rq import SimpleWorker

from service import jobs
from service.queue import queue_names, redis_connection
from service.scheduler import run_clock

log = logging.getLogger(__name__)


def run_worker(
    app: Flask, *, burst: bool = False, with_clock: bool = True, name: str | None = None
) -> None:
    """Work until stopped (or, with `burst`, until the queues are empty).

    SimpleWorker runs jobs in this process instead of forking for each: the app and its
    connection pools are built once, and every job opens its own app context.
    """
    jobs.use_app(app)
    connection = redis_connection(app)
    stop = threading.Event()
    clock = None
    if with_clock:
        clock = threading.Thread(target=run_clock, args=(app, stop), name="clock", daemon=True)
        clock.start()
    worker = SimpleWorker(queue_names(app), connection=connection, name=name)
    try:
        worker.work(with_scheduler=True, burst=burst, logging_level="INFO")
    finally:
        stop.set()
        if clock is not None:
            clock.join(timeout=5)
