"""The outbox consumer handles a batch of events in one transaction: the webhooks' fan-out
writes the batch's deliveries in one statement; a failing subscriber undoes the batch, which
is then handled one event at a time up to the failing event."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from service.actors import system
from service.database import db
from service.events import subscribers
from service.events.catalog import public_event_types
from service.events.jobs import handle_events
from service.events.models import OutboxEvent
from service.webhooks import service as webhooks
from service.webhooks.models import Delivery
from tests.helpers.statements import counting


def _events(app, world, pairs: int) -> list[str]:
    """The outbox's events, none handled yet, after `pairs` pairs were made."""
    for n in range(pairs):
        world.new_pair(n)
    with app.app_context():
        return list(db.session.scalars(sa.select(OutboxEvent.event_id).order_by(OutboxEvent.id)))


def _public(app, event_ids: list[str]) -> list[str]:
    with app.app_context():
        types = dict(db.session.execute(sa.select(OutboxEvent.event_id, OutboxEvent.type)).all())
    return [event_id for event_id in event_ids if types[event_id] in public_event_types()]


def _endpoints(app, count: int) -> None:
    with app.app_context():
        for n in range(count):
            webhooks.register(url=f"http://127.0.0.1:9/hooks/{n}", actor=system("test"))


def _handled(app) -> dict[str, bool]:
    with app.app_context():
        rows = db.session.execute(sa.select(OutboxEvent.event_id, OutboxEvent.handled_at)).all()
    return {event_id: handled is not None for event_id, handled in rows}


def _delivered_events(app) -> set[str]:
    with app.app_context():
        return set(db.session.scalars(sa.select(Delivery.event_id)))


def test_a_batch_of_events_gets_its_deliveries_in_one_insert_and_is_marked_in_one_update(
    app, world, webhook_settings
):
    _endpoints(app, 2)
    event_ids = _events(app, world, 3)

    with counting(app) as sent, app.app_context():
        outcome = handle_events(event_ids)

    assert outcome == {"handled": len(event_ids)}
    inserts = [s for s in sent if s.lstrip().upper().startswith("INSERT INTO WEBHOOK_DELIVERIES")]
    marks = [s for s in sent if s.lstrip().upper().startswith("UPDATE OUTBOX_EVENTS")]
    assert len(inserts) == 1
    assert len(marks) == 1
    assert all(_handled(app).values())
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Delivery.id))) == 2 * len(
            _public(app, event_ids)
        )


def test_events_handled_again_add_no_deliveries_and_count_as_duplicates(
    app, world, webhook_settings
):
    _endpoints(app, 1)
    event_ids = _public(app, _events(app, world, 2))
    with app.app_context():
        handle_events(event_ids[:1])

    with app.app_context():
        outcome = handle_events(event_ids)

    assert outcome == {"duplicate": 1, "handled": len(event_ids) - 1}
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Delivery.id))) == len(event_ids)


def test_a_failing_subscriber_leaves_the_events_before_it_handled_and_fails_the_job(
    app, world, webhook_settings, monkeypatch
):
    _endpoints(app, 1)
    event_ids = _public(app, _events(app, world, 3))
    failing = event_ids[1]

    def fail_on_one(event: OutboxEvent) -> None:
        if event.event_id == failing:
            raise RuntimeError("the subscriber failed")

    monkeypatch.setitem(subscribers._subscribers, "*", [fail_on_one])

    with app.app_context(), pytest.raises(RuntimeError, match="the subscriber failed"):
        handle_events(event_ids)

    handled = _handled(app)
    assert handled[event_ids[0]] is True
    assert handled[failing] is False
    assert handled[event_ids[2]] is False
    # Only the handled event's delivery was written: the batch's INSERT was undone.
    assert _delivered_events(app) == {event_ids[0]}


def test_a_subscriber_of_many_events_gets_those_of_its_type_in_order(app, world, monkeypatch):
    event_ids = _events(app, world, 2)
    with app.app_context():
        types = dict(db.session.execute(sa.select(OutboxEvent.event_id, OutboxEvent.type)).all())
    wanted = types[event_ids[0]]
    got: list[list[str]] = []
    monkeypatch.setattr(subscribers, "_many_subscribers", {})
    subscribers.subscribe_many(wanted, lambda events: got.append([e.event_id for e in events]))

    with app.app_context():
        handle_events(event_ids)

    assert got == [[event_id for event_id in event_ids if types[event_id] == wanted]]
