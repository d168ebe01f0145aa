"""The consumer side of the outbox: jobs that hand events to their subscribers."""

from __future__ import annotations

import logging
from collections import Counter

import sqlalchemy as sa
from rq.timeouts import BaseTimeoutException

from service.clock import now
from service.database import db
from service.events.models import OutboxEvent
from service.events.subscribers import many_subscribers, subscribers_for
from service.jobs import job_context
from service.observability.logs import request_id_context

log = logging.getLogger(__name__)


def handle_events(event_ids: list[str]) -> dict[str, int]:
    """Handle a batch of events, in order (one job per batch: each job has a cost).

    The batch's rows are read in one query and held apart from the session. The whole batch
    is handled in one transaction: its subscribers run, event by event (and those that take
    many events, once for the batch), and the events are marked handled in one statement.
    If a subscriber fails, the batch is undone and handled again one event at a time, each
    in its own transaction: the events before the failing one are handled, and the job fails
    at that one, so RQ retries it; on the retry, events already handled are skipped.
    """
    with job_context():
        loaded = _read_detached(event_ids)
        try:
            return dict(_handle(event_ids, loaded))
        except BaseTimeoutException:
            raise  # out of time: RQ retries the job
        except Exception:
            db.session.rollback()
            log.warning("a batch of %d events failed together; one at a time now", len(event_ids))
        outcome: Counter[str] = Counter()
        for event_id in event_ids:
            outcome.update(_handle([event_id], loaded))
        return dict(outcome)


def handle_event(event_id: str) -> str:
    """Run the subscribers of one event, once, however many times it is delivered."""
    with job_context():
        (outcome,) = _handle([event_id], _read_detached([event_id]))
        return outcome


def _read_detached(event_ids: list[str]) -> dict[str, OutboxEvent]:
    events = db.session.scalars(
        sa.select(OutboxEvent).where(OutboxEvent.event_id.in_(event_ids))
    ).all()
    for event in events:
        db.session.expunge(event)
    return {event.event_id: event for event in events}


def _handle(event_ids: list[str], loaded: dict[str, OutboxEvent]) -> Counter[str]:
    """The subscribers and marks of `event_ids` (one or a batch) in one transaction, and
    what became of each event. Commits."""
    outcome: Counter[str] = Counter()
    fresh: dict[int, OutboxEvent] = {}
    for event_id in event_ids:
        event = loaded.get(event_id)
        if event is None:
            log.warning("event %s is not in the outbox; ignored", event_id)
            outcome["unknown"] += 1
        elif event.handled_at is not None or event.id in fresh:
            outcome["duplicate"] += 1
        else:
            fresh[event.id] = event
    if not fresh:
        db.session.commit()
        return outcome
    events = list(fresh.values())
    for event in events:
        with request_id_context(event.request_id):
            for subscriber in subscribers_for(event.type):
                subscriber(event)
    _run_many_subscribers(events)
    # A compare-and-set: a consumer that handled an event meanwhile (delivery is at least
    # once) keeps its mark, and subscribers are idempotent by event id.
    marked = db.session.scalars(
        sa.update(OutboxEvent)
        .where(OutboxEvent.id.in_(list(fresh)), OutboxEvent.handled_at.is_(None))
        .values(handled_at=now())
        .returning(OutboxEvent.id)
        .execution_options(synchronize_session=False)
    ).all()
    db.session.commit()
    if marked:
        outcome["handled"] += len(marked)
    if len(marked) < len(fresh):
        outcome["duplicate"] += len(fresh) - len(marked)
    return outcome


def _run_many_subscribers(events: list[OutboxEvent]) -> None:
    for event_type, subscriber in many_subscribers():
        wanted = [event for event in events if event_type in ("*", event.type)]
        if wanted:
            subscriber(wanted)
