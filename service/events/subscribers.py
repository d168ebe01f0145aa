"""The registry of the outbox's consumers; which consume what is wired in service/reactions.py.

Consumers must be idempotent by event id: delivery is at least once, and `handle_event` only
skips events already marked handled.

A consumer takes one event (`subscribe`) or, when it can do its work for many at once, the
events of a consumer's batch that it wants, in order (`subscribe_many`): the webhooks' fan-out
writes a batch's deliveries in one statement. Either runs in the batch's transaction."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from service.events.models import OutboxEvent

Subscriber = Callable[[OutboxEvent], None]
ManySubscriber = Callable[[Sequence[OutboxEvent]], None]

_subscribers: dict[str, list[Subscriber]] = {}
_many_subscribers: dict[str, list[ManySubscriber]] = {}


def subscribe(event_type: str, subscriber: Subscriber) -> None:
    registered = _subscribers.setdefault(event_type, [])
    if subscriber not in registered:
        registered.append(subscriber)


def subscribe_many(event_type: str, subscriber: ManySubscriber) -> None:
    """`subscriber` takes a list of events of `event_type` (`*`: of any type), in order."""
    registered = _many_subscribers.setdefault(event_type, [])
    if subscriber not in registered:
        registered.append(subscriber)


def subscribers_for(event_type: str) -> list[Subscriber]:
    return [*_subscribers.get(event_type, []), *_subscribers.get("*", [])]


def many_subscribers() -> list[tuple[str, ManySubscriber]]:
    """Every consumer of many events, with the event type it wants."""
    return [
        (event_type, subscriber)
        for event_type, registered in _many_subscribers.items()
        for subscriber in registered
    ]
