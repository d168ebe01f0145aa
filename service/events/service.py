"""Writing events into the outbox, inside the caller's transaction."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm.attributes import set_committed_value

from service.database import db
from service.events import catalog
from service.events.models import OutboxEvent
from service.observability.logs import current_request_id
from service.pairs.models import Pair


def new_event_id() -> str:
    return f"evt_{uuid.uuid4().hex}"


def link(path: str) -> str:
    return f"{current_app.config['PUBLIC_URL']}{path}"


def emit(event_type: str, payload: dict[str, Any], *, pair: Pair | None = None) -> OutboxEvent:
    """Add an event to the outbox; it commits or rolls back with the change it describes."""
    if not catalog.is_known(event_type):
        raise ValueError(f"unknown event type {event_type!r}; add it to service/events/catalog.py")
    sequence = None
    if pair is not None:
        # An atomic increment under the row lock: concurrent writers to one pair queue
        # up here, so the pair's events are numbered without gaps or repeats.
        sequence = db.session.execute(
            sa.update(Pair)
            .where(Pair.id == pair.id)
            .values(event_sequence=Pair.event_sequence + 1)
            .returning(Pair.event_sequence)
            .execution_options(synchronize_session=False)
        ).scalar_one()
        set_committed_value(pair, "event_sequence", sequence)
    event = OutboxEvent(
        event_id=new_event_id(),
        type=event_type,
        pair_id=pair.id if pair is not None else None,
        pair_sequence=sequence,
        payload=payload,
        request_id=current_request_id(),
    )
    db.session.add(event)
    return event


def emit_many(events: Sequence[tuple[str, dict[str, Any], Pair]]) -> None:
    """`emit` for many events about pairs, in two statements however many there are: the
    pairs' sequences bumped in one UPDATE, the rows written in one INSERT. Each pair's events
    are numbered in the order given, without gaps or repeats (the UPDATE takes the pairs'
    row locks, as `emit` does)."""
    if not events:
        return
    for event_type, _, _ in events:
        if not catalog.is_known(event_type):
            raise ValueError(
                f"unknown event type {event_type!r}; add it to service/events/catalog.py"
            )
    counts = Counter(pair.id for _, _, pair in events)
    bumped = dict(
        db.session.execute(
            sa.update(Pair)
            .where(Pair.id.in_(counts))
            .values(event_sequence=Pair.event_sequence + sa.case(counts, value=Pair.id))
            .returning(Pair.id, Pair.event_sequence)
            .execution_options(synchronize_session=False)
        ).all()
    )
    following = {pair_id: bumped[pair_id] - count + 1 for pair_id, count in counts.items()}
    request_id = current_request_id()
    rows = []
    for event_type, payload, pair in events:
        sequence = following[pair.id]
        following[pair.id] += 1
        set_committed_value(pair, "event_sequence", sequence)
        rows.append(
            {
                "event_id": new_event_id(),
                "type": event_type,
                "pair_id": pair.id,
                "pair_sequence": sequence,
                "payload": payload,
                "request_id": request_id,
            }
        )
    db.session.execute(sa.insert(OutboxEvent.__table__).values(rows))


def envelope(event: OutboxEvent) -> dict[str, Any]:
    """The public form of an event, as the API and webhooks show it."""
    return {
        "id": event.event_id,
        "type": event.type,
        "occurred_at": event.occurred_at.isoformat(),
        "pair_id": event.pair_id,
        "pair_sequence": event.pair_sequence,
        "data": event.payload,
    }
