"""Delivery jobs claim due deliveries in batches: side by side, they still deliver each
pair's events to each endpoint in order, and each event once per endpoint, at a cost in
statements that does not grow with the batch."""

from __future__ import annotations

import threading
import uuid
from collections import defaultdict

import sqlalchemy as sa

from service.actors import system
from service.clock import now
from service.database import db
from service.events.models import OutboxEvent
from service.webhooks import service as webhooks
from service.webhooks.delivery import claim_batch, deliver_batch, deliver_due
from service.webhooks.models import Delivery, DeliveryStatus

# Statements one batch makes, however many deliveries it holds: the claim, the endpoints,
# the events; then the deliveries locked, the attempts, the deliveries' new states, and
# which endpoints need no change.
STATEMENTS_PER_BATCH = 7


def _endpoints(app, receiver, count: int) -> list[int]:
    with app.app_context():
        return [
            webhooks.register(url=f"{receiver.url}/{n}", actor=system("test")).id
            for n in range(count)
        ]


def _events(app, pair_ids: list[int], per_pair: int, endpoint_ids: list[int]) -> None:
    """`per_pair` handled events for each pair, after those it has, and a pending delivery
    of each to every endpoint, all due at once."""
    with app.app_context():
        db.session.execute(sa.update(OutboxEvent).values(handled_at=now()))
        for pair_id in pair_ids:
            last = db.session.scalar(
                sa.select(sa.func.max(OutboxEvent.pair_sequence)).where(
                    OutboxEvent.pair_id == pair_id
                )
            )
            for sequence in range((last or 0) + 1, (last or 0) + 1 + per_pair):
                event_id = f"evt_{uuid.uuid4().hex}"
                db.session.add(
                    OutboxEvent(
                        event_id=event_id,
                        type="pair.transitioned",
                        pair_id=pair_id,
                        pair_sequence=sequence,
                        payload={"pair": {"id": pair_id}},
                        handled_at=now(),
                    )
                )
                for endpoint_id in endpoint_ids:
                    db.session.add(
                        Delivery(
                            endpoint_id=endpoint_id,
                            event_id=event_id,
                            event_type="pair.transitioned",
                            pair_id=pair_id,
                            pair_sequence=sequence,
                            next_attempt_at=now(),
                        )
                    )
        db.session.commit()


def _pairs(world) -> list[int]:
    return [world.new_pair(n)["id"] for n in range(len(world.mentees))]


def test_workers_side_by_side_deliver_each_pairs_events_in_order_once_per_endpoint(
    app, world, receiver, webhook_settings
):
    endpoint_ids = _endpoints(app, receiver, 2)
    pair_ids = _pairs(world)
    _events(app, pair_ids, per_pair=6, endpoint_ids=endpoint_ids)
    start = threading.Barrier(3)
    failures: list[BaseException] = []

    def worker() -> None:
        try:
            with app.app_context():
                start.wait()
                deliver_due(batch_size=4)
        except BaseException as error:  # a thread cannot fail the test: report it below
            failures.append(error)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    with app.app_context():
        sequence_of = dict(
            db.session.execute(
                sa.select(OutboxEvent.event_id, OutboxEvent.pair_sequence).where(
                    OutboxEvent.pair_id.in_(pair_ids)
                )
            ).all()
        )
        pair_of = dict(
            db.session.execute(
                sa.select(OutboxEvent.event_id, OutboxEvent.pair_id).where(
                    OutboxEvent.pair_id.in_(pair_ids)
                )
            ).all()
        )
        statuses = set(db.session.scalars(sa.select(Delivery.status)))
    received = [(r.path, r.headers["webhook-id"]) for r in receiver.requests]
    assert len(received) == len(set(received)) == len(pair_ids) * 6 * len(endpoint_ids)
    arrived: dict[tuple[str, int], list[int]] = defaultdict(list)
    for path, event_id in received:
        arrived[(path, pair_of[event_id])].append(sequence_of[event_id])
    assert len(arrived) == len(pair_ids) * len(endpoint_ids)
    for sequences in arrived.values():
        assert sequences == sorted(sequences)
    assert statuses == {DeliveryStatus.DELIVERED}


def test_a_batch_costs_the_same_few_statements_however_many_deliveries_it_holds(
    app, world, receiver, webhook_settings
):
    endpoint_ids = _endpoints(app, receiver, 2)
    pair_ids = _pairs(world)
    # One event per pair, to two endpoints: every delivery is due at once.
    _events(app, pair_ids, per_pair=1, endpoint_ids=endpoint_ids)
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(statement)

    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", count)
        try:
            outcome = deliver_batch(batch_size=50)
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", count)

    assert outcome == {"delivered": len(pair_ids) * len(endpoint_ids)}
    assert len(statements) == STATEMENTS_PER_BATCH, "\n\n".join(statements)


def test_a_delivery_is_not_claimed_while_an_earlier_one_of_its_pair_is_open(
    app, world, receiver, webhook_settings
):
    (endpoint_id,) = _endpoints(app, receiver, 1)
    pair_ids = _pairs(world)[:1]
    _events(app, pair_ids, per_pair=3, endpoint_ids=[endpoint_id])

    with app.app_context():
        outcome = deliver_batch(batch_size=50)

    assert outcome == {"delivered": 1}
    with app.app_context():
        statuses = db.session.scalars(
            sa.select(Delivery.status).order_by(Delivery.pair_sequence)
        ).all()
    assert statuses == [DeliveryStatus.DELIVERED, DeliveryStatus.PENDING, DeliveryStatus.PENDING]


def test_a_claim_takes_no_more_than_the_batch_size(app, world, receiver, webhook_settings):
    (endpoint_id,) = _endpoints(app, receiver, 1)
    _events(app, _pairs(world), per_pair=1, endpoint_ids=[endpoint_id])

    with app.app_context():
        claimed = claim_batch(batch_size=2)
        statuses = db.session.scalars(sa.select(Delivery.status)).all()

    assert len(claimed) == 2
    assert sorted(statuses) == [
        DeliveryStatus.PENDING,
        DeliveryStatus.SENDING,
        DeliveryStatus.SENDING,
    ]
