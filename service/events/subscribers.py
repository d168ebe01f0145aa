"""Who consumes which events. Consumers must be idempotent by event id: delivery is
at least once, and `handle_event` only skips events already marked handled."""

from __future__ import annotations

from collections.abc import Callable

from service.events.models import OutboxEvent

Subscriber = Callable[[OutboxEvent], None]

_subscribers: dict[str, list[Subscriber]] = {}


def subscribe(event_type: str, subscriber: Subscriber) -> None:
    registered = _subscribers.setdefault(event_type, [])
    if subscriber not in registered:
        registered.append(subscriber)


def register_defaults() -> None:
    """The service's own consumers of its events."""
    from service.events.reactions import alert_staff_to_safety, ask_for_a_decision
    from service.webhooks.service import fan_out

    subscribe("alert.safety", alert_staff_to_safety)
    subscribe("proposal.created", ask_for_a_decision)
    subscribe("*", fan_out)


def subscribers_for(event_type: str) -> list[Subscriber]:
    return [*_subscribers.get(event_type, []), *_subscribers.get("*", [])]
