"""Delivery jobs claim due deliveries in batches: side by side, they still deliver each
pair's events to each endpoint in order, and each event once per endpoint, at a cost in
statements that does not grow with the batch."""

from __future__ import annotations

import threading
import time
import uuid
from collections import defaultdict
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import sqlalchemy as sa

from service.actors import system
from service.clock import now
from service.database import db
from service.events.models import OutboxEvent
from service.webhooks import senders
from service.webhooks import service as webhooks
from service.webhooks.delivery import claim_batch, deliver_batch, deliver_due
from service.webhooks.models import Attempt, Delivery, DeliveryStatus, Endpoint

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


def test_a_batch_writes_successes_retries_and_failures_together_in_its_few_statements(
    app, world, receiver, webhook_settings, monkeypatch
):
    monkeypatch.setitem(app.config, "WEBHOOK_RETRY_SCHEDULE", [3600.0])
    (endpoint_id,) = _endpoints(app, receiver, 1)
    pair_ids = _pairs(world)[:3]
    _events(app, pair_ids, per_pair=1, endpoint_ids=[endpoint_id])
    # Whichever delivery arrives first is taken, the second is to be retried, the third is gone.
    receiver.answer(200, 500, 410)

    with app.app_context():
        outcome = deliver_batch(batch_size=50)
        deliveries = db.session.scalars(
            sa.select(Delivery).where(Delivery.pair_id.in_(pair_ids))
        ).all()
        attempts = db.session.scalars(sa.select(Attempt.status_code)).all()
        endpoint = db.session.get(Endpoint, endpoint_id)

    assert outcome == {"delivered": 1, "HTTP 500": 1, "HTTP 410": 1}
    by_status = {delivery.status: delivery for delivery in deliveries}
    assert sorted(by_status) == ["delivered", "failed", "pending"]
    assert all(delivery.attempts == 1 for delivery in deliveries)
    assert by_status["delivered"].delivered_at is not None
    assert by_status["pending"].last_status_code == 500
    assert by_status["pending"].next_attempt_at > now() + timedelta(minutes=50)
    assert by_status["failed"].last_status_code == 410
    assert sorted(attempts) == [200, 410, 500]
    assert endpoint is not None and not endpoint.enabled


def test_no_endpoint_gets_more_requests_at_once_than_its_bound_from_one_worker(
    app, world, webhook_settings
):
    """Twenty deliveries of events about no pair (none holds another back) to one receiver
    that holds each request a moment: they overlap, but never beyond the bound."""
    in_flight = {"now": 0, "peak": 0}
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length") or 0))
            with lock:
                in_flight["now"] += 1
                in_flight["peak"] = max(in_flight["peak"], in_flight["now"])
            time.sleep(0.1)  # the receiver's work: requests sent side by side overlap here
            with lock:
                in_flight["now"] -= 1
            self.send_response(200)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with app.app_context():
            url = f"http://127.0.0.1:{server.server_address[1]}/hook"
            endpoint_id = webhooks.register(url=url, actor=system("test")).id
            for _ in range(20):
                event_id = f"evt_{uuid.uuid4().hex}"
                db.session.add(
                    OutboxEvent(
                        event_id=event_id,
                        type="pair.transitioned",
                        payload={},
                        handled_at=now(),
                    )
                )
                db.session.add(
                    Delivery(
                        endpoint_id=endpoint_id,
                        event_id=event_id,
                        event_type="pair.transitioned",
                        next_attempt_at=now(),
                    )
                )
            db.session.commit()
            outcome = deliver_batch(batch_size=50)
    finally:
        server.shutdown()
        server.server_close()

    assert outcome == {"delivered": 20}
    assert 1 < in_flight["peak"] <= senders.PER_ENDPOINT
