"""Writing events into the outbox, inside the caller's transaction."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm.attributes import set_committed_value

from service.database import insert_rows, table_of, update_rows, write
from service.errors import ConcurrentUpdate
from service.events import catalog
from service.events.models import OutboxEvent
from service.observability.logs import current_request_id
from service.pairs.models import Pair


@dataclass(frozen=True)
class Emitted:
    """An event written to the outbox: its id, and its number among the pair's events."""

    event_id: str
    pair_sequence: int | None


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
) -> Emitted:
    """Add an event to the outbox; it commits or rolls back with the change it describes.

    `sequence`: the pair's event number, reserved already by the statement that moved the
    pair (`pairs.compare_and_set_state`); without it, the next one is taken here.
    """
    _ensure_known(event_type)
    if sequence is not None and pair is None:
        raise ValueError("an event sequence number belongs to a pair's events")
    if pair is not None and sequence is None:
        # An atomic increment under the row lock: concurrent writers to one pair queue
        # up here, so the pair's events are numbered without gaps or repeats.
        sequence = write(_NEXT_SEQUENCE, {"pair_id": pair.id}).scalar_one()
        set_committed_value(pair, "event_sequence", sequence)
    event_id = new_event_id()
    write(
        _INSERT_EVENT,
        {
            "event_id": event_id,
            "type": event_type,
            "pair_id": pair.id if pair is not None else None,
            "pair_sequence": sequence,
            "payload": payload,
            "request_id": current_request_id(),
        },
    )
    return Emitted(event_id, sequence)


_PAIRS = table_of(Pair)
_NEXT_SEQUENCE = (
    sa.update(_PAIRS)
    .where(_PAIRS.c.id == sa.bindparam("pair_id"))
    .values(event_sequence=_PAIRS.c.event_sequence + 1)
    .returning(_PAIRS.c.event_sequence)
)
# Written at once with Core, not added to the session: nothing reads the row back in the
# request, and the unit of work's flush of one new object costs more than the INSERT
# itself. Both statements built once: a statement built anew costs its construction and
# its cache key on every call before its compiled form is found.
_INSERT_EVENT = sa.insert(table_of(OutboxEvent))


def emit_many(events: Sequence[tuple[str, dict[str, Any], Pair]]) -> None:
    """`emit` for many events about pairs, in the caller's transaction: the pairs' sequences
    moved on in one executemany UPDATE, the rows written in one INSERT, both compiled once.
    Each pair's events are numbered in the order given, without gaps or repeats.

    The caller holds the pairs locked and read under the lock (the sweep claims them FOR
    UPDATE): each pair's sequence moves on by compare-and-set from the value it holds, and a
    pair whose sequence moved meanwhile raises ConcurrentUpdate rather than repeat a number."""
    if not events:
        return
    for event_type, _, _ in events:
        _ensure_known(event_type)
    counts = Counter(pair.id for _, _, pair in events)
    pairs = {pair.id: pair for _, _, pair in events}
    moved = update_rows(
        table_of(Pair),
        ["id", "event_sequence"],
        ["event_sequence"],
        [
            {
                "key_id": pair_id,
                "key_event_sequence": pairs[pair_id].event_sequence,
                "event_sequence": pairs[pair_id].event_sequence + count,
            }
            for pair_id, count in counts.items()
        ],
    )
    if moved != len(counts):
        raise ConcurrentUpdate("a pair's events were numbered by someone else meanwhile")
    following = {pair_id: pairs[pair_id].event_sequence + 1 for pair_id in counts}
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
    insert_rows(table_of(OutboxEvent), rows)


def _ensure_known(event_type: str) -> None:
    if not catalog.is_known(event_type):
        raise ValueError(f"unknown event type {event_type!r}; add it to service/events/catalog.py")


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
