"""Writing events into the outbox, inside the caller's transaction."""

from __future__ import annotations

import uuid
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


def emit(
    event_type: str,
    payload: dict[str, Any],
    *,
    pair: Pair | None = None,
    sequence: int | None = None,
) -> OutboxEvent:
    """Add an event to the outbox; it commits or rolls back with the change it describes.

    `sequence`: the pair's event number, reserved already by the statement that moved the
    pair (`pairs.compare_and_set_state`); without it, the next one is taken here.
    """
    if not catalog.is_known(event_type):
        raise ValueError(f"unknown event type {event_type!r}; add it to service/events/catalog.py")
    if sequence is not None and pair is None:
        raise ValueError("an event sequence number belongs to a pair's events")
    if pair is not None and sequence is None:
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
