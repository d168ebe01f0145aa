"""Jobs that send e-mail, and the subscriber that starts them."""

from __future__ import annotations

from contextlib import suppress
from datetime import timedelta

from rq import Queue
from rq.exceptions import DuplicateJobError

from service.events.models import OutboxEvent
from service.jobs import job_context
from service.queue import DEFAULT_QUEUE, redis_connection

DELIVER = "service.notifications.jobs.deliver_notification"


def deliver_notification(notification_id: int) -> str:
    from service.notifications.service import deliver

    with job_context():
        return deliver(notification_id)


def _queue() -> Queue:
    return Queue(DEFAULT_QUEUE, connection=redis_connection())


def start_delivery(event: OutboxEvent) -> None:
    """On `notification.queued`: enqueue the send, once per notification."""
    notification_id = event.payload["notification_id"]
    # The event may be delivered twice; the job id makes the second enqueue a no-op.
    with suppress(DuplicateJobError):
        _queue().enqueue_call(
            DELIVER,
            args=(notification_id,),
            job_id=f"notification-{notification_id}",
            unique=True,
            result_ttl=3600,
        )


def schedule_retry(notification_id: int, delay: timedelta) -> None:
    _queue().enqueue_in(delay, DELIVER, notification_id)
