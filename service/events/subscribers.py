"""The registry of the outbox's consumers; which consume what is wired in service/reactions.py.

Consumers must be idempotent by event id: delivery is at least once, and `handle_event` only
skips events already marked handled."""

from __future__ import annotations

from collections.abc import Callable

from service.events.models import OutboxEvent

Subscriber = Callable[[OutboxEvent], None]

_subscribers: dict[str, list[Subscriber]] = {}


def subscribe(event_type: str, subscriber: Subscriber) -> None:
    registered = _subscribers.setdefault(event_type, [])
    if subscriber not in registered:
        registered.append(subscriber)


def subscribers_for(event_type: str) -> list[Subscriber]:
    return [*_subscribers.get(event_type, []), *_subscribers.get("*", [])]
