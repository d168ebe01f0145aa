"""The consumer side of the outbox: jobs that hand events to their subscribers."""

from __future__ import annotations

import logging

import sqlalchemy as sa

from service.clock import now
from service.database import db, rowcount
from service.events.models import OutboxEvent
from service.events.subscribers import subscribers_for
from service.jobs import job_context
from service.observability.logs import request_id_context

log = logging.getLogger(__name__)


def handle_events(event_ids: list[str]) -> dict[str, int]:
    """Handle a batch of events, in order (one job per batch: each job has a cost).

    The batch's rows are read in one query and held apart from the session, so the commit
    after each event does not send the next one back to the database to be read again.
    If a subscriber fails, the job fails and RQ retries it; on the retry, events already
    handled are skipped.
    """
    outcome: dict[str, int] = {}
    with job_context():
        loaded = _read_detached(event_ids)
        for event_id in event_ids:
            result = _handle(event_id, loaded.get(event_id))
            outcome[result] = outcome.get(result, 0) + 1
    return outcome


def handle_event(event_id: str) -> str:
    """Run the subscribers of one event, once, however many times it is delivered."""
    with job_context():
        return _handle(event_id, _read_detached([event_id]).get(event_id))


def _read_detached(event_ids: list[str]) -> dict[str, OutboxEvent]:
    events = db.session.scalars(
        sa.select(OutboxEvent).where(OutboxEvent.event_id.in_(event_ids))
    ).all()
    for event in events:
        db.session.expunge(event)
    return {event.event_id: event for event in events}


def _handle(event_id: str, event: OutboxEvent | None) -> str:
    if event is None:
        log.warning("event %s is not in the outbox; ignored", event_id)
        return "unknown"
    if event.handled_at is not None:
        return "duplicate"
    with request_id_context(event.request_id):
        for subscriber in subscribers_for(event.type):
            subscriber(event)
    # The mark is a compare-and-set: a consumer that handled the event meanwhile (delivery
    # is at least once) keeps its mark, and subscribers are idempotent by event id.
    marked = db.session.execute(
        sa.update(OutboxEvent)
        .where(OutboxEvent.id == event.id, OutboxEvent.handled_at.is_(None))
        .values(handled_at=now())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return "handled" if rowcount(marked) == 1 else "duplicate"
