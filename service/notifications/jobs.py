"""The job that sends waiting e-mail, started by the clock when there is some."""

from __future__ import annotations

from contextlib import suppress

from redis import Redis
from rq import Queue
from rq.exceptions import DuplicateJobError

from service.jobs import job_context
from service.notifications.service import deliver_waiting
from service.queue import DEFAULT_QUEUE

DELIVERY_JOB_ID = "deliver-waiting-mail"


def deliver_waiting_mail() -> dict[str, int]:
    with job_context():
        return deliver_waiting()


def start_delivery(connection: Redis) -> bool:
    """Enqueue the delivery job unless one is already waiting in the queue."""
    with suppress(DuplicateJobError):
        Queue(DEFAULT_QUEUE, connection=connection).enqueue_call(
            "service.notifications.jobs.deliver_waiting_mail",
            job_id=DELIVERY_JOB_ID,
            unique=True,
            result_ttl=0,
            timeout=900,
        )
        return True
    return False
