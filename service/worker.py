"""`pairwise worker`: an RQ worker with RQ's scheduler, and the outbox relay beside it."""

from __future__ import annotations

import logging
import threading

from flask import Flask
from rq import SimpleWorker

from service import jobs
from service.events.relay import run_relay
from service.queue import queue_names, redis_connection

log = logging.getLogger(__name__)


def run_worker(
    app: Flask, *, burst: bool = False, with_relay: bool = True, name: str | None = None
) -> None:
    """Work until stopped (or, with `burst`, until the queues are empty).

    SimpleWorker runs jobs in this process instead of forking for each: the app and its
    connection pools are built once, and every job opens its own app context.
    """
    jobs.use_app(app)
    connection = redis_connection(app)
    stop = threading.Event()
    relay = None
    if with_relay:
        relay = threading.Thread(
            target=run_relay, args=(app, stop), name="outbox-relay", daemon=True
        )
        relay.start()
    worker = SimpleWorker(queue_names(app), connection=connection, name=name)
    try:
        worker.work(with_scheduler=True, burst=burst, logging_level="INFO")
    finally:
        stop.set()
        if relay is not None:
            relay.join(timeout=5)
