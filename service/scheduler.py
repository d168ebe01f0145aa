"""The service's clock. Every worker runs one; the process holding the `outbox-relay` lease
relays the outbox and enqueues the recurring jobs, so each happens once however many
workers run (and the database makes each contact once even if two clocks overlap)."""

from __future__ import annotations

import logging
import threading

from flask import Flask
from redis.exceptions import RedisError
from rq.cron import CronScheduler
from sqlalchemy.exc import SQLAlchemyError

from service.calendar.jobs import run_daily_digests, run_sweep
from service.database import db
from service.events import leases
from service.events.relay import LEASE_NAME, LEASE_TTL, default_holder, relay_once
from service.idempotency.jobs import purge_expired_keys
from service.insights.jobs import FIT_TIMEOUT, refresh_risk_models
from service.intake.jobs import run_intake_sweep
from service.notifications import service as notifications
from service.notifications.jobs import start_delivery
from service.queue import DEFAULT_QUEUE, redis_connection
from service.webhooks import service as webhooks

log = logging.getLogger(__name__)


def recurring_jobs(app: Flask) -> CronScheduler:
    cron = CronScheduler(connection=redis_connection(app), name=f"pairwise:{default_holder()}")
    cron.register(
        run_sweep,
        queue_name=DEFAULT_QUEUE,
        interval=app.config["SWEEP_INTERVAL_SECONDS"],
        job_timeout=900,
    )
    cron.register(purge_expired_keys, queue_name=DEFAULT_QUEUE, interval=3600)
    # Background checks nearing expiry, mentees who have waited long: hourly is soon enough.
    cron.register(run_intake_sweep, queue_name=DEFAULT_QUEUE, interval=3600, job_timeout=900)
    cron.register(
        run_daily_digests,
        queue_name=DEFAULT_QUEUE,
        cron=f"0 {app.config['DIGEST_HOUR']} * * *",
        job_timeout=900,
    )
    # Each night, each program's closure-risk model is fitted afresh and its pairs scored.
    cron.register(
        refresh_risk_models, queue_name=DEFAULT_QUEUE, cron="30 2 * * *", job_timeout=FIT_TIMEOUT
    )
    return cron


def tick(app: Flask, holder: str) -> int:
    """What the clock does every second while it holds the lease: relay the outbox, and
    start sending mail if some is waiting. Returns how many events were published."""
    published = relay_once(holder=holder)
    if notifications.waiting():
        start_delivery(redis_connection(app))
    webhooks.enqueue_due(redis_connection(app))
    return published


def run_clock(app: Flask, stop: threading.Event) -> None:
    """Tick until `stop` is set; Redis or database outages are waited out, not fatal."""
    holder = default_holder()
    interval = app.config["RELAY_INTERVAL_SECONDS"]
    cron: CronScheduler | None = None
    outage_logged = False
    while not stop.is_set():
        published = 0
        with app.app_context():
            try:
                if leases.acquire(LEASE_NAME, holder, LEASE_TTL):
                    published = tick(app, holder)
                    cron = cron or recurring_jobs(app)
                    cron.enqueue_jobs()
                else:
                    cron = None  # another process keeps time; start afresh if we take over
                if outage_logged:
                    log.info("clock: reconnected")
                    outage_logged = False
            except (RedisError, SQLAlchemyError) as error:
                db.session.rollback()
                if not outage_logged:
                    log.warning("clock waiting: %s; events stay in the outbox", error)
                    outage_logged = True
        # A full batch means more events are waiting: go again at once.
        if published < app.config["RELAY_BATCH_SIZE"]:
            stop.wait(interval)
