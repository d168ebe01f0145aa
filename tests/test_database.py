"""The unit of work holds on every backend."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from service.clock import now
from service.database import db, transaction
from service.events.models import Lease, OutboxEvent


def test_a_savepoint_that_holds_the_first_write_commits_nothing_by_itself(app):
    """pysqlite starts a transaction only at the first write; were the SAVEPOINT itself that
    start, releasing it would commit, and the rollback below would undo nothing."""
    with app.app_context():
        with pytest.raises(RuntimeError), transaction():
            with db.session.begin_nested():
                db.session.add(Lease(name="early", holder="test", expires_at=now()))
            raise RuntimeError("something later fails")
        assert db.session.get(Lease, "early") is None


def test_a_failed_savepoint_keeps_the_work_before_it(app):
    with app.app_context():
        with transaction():
            db.session.add(Lease(name="kept", holder="test", expires_at=now()))
            db.session.flush()
            with pytest.raises(RuntimeError), db.session.begin_nested():
                db.session.add(Lease(name="dropped", holder="test", expires_at=now()))
                db.session.flush()
                raise RuntimeError("inner failure")
        assert db.session.get(Lease, "kept") is not None
        assert db.session.get(Lease, "dropped") is None


def test_a_unit_of_work_inside_another_commits_only_with_the_outer_one(app):
    from service.database import unit_of_work

    with app.app_context():
        with pytest.raises(RuntimeError), unit_of_work():
            with unit_of_work():
                db.session.add(Lease(name="inner", holder="test", expires_at=now()))
            raise RuntimeError("the outer unit fails after the inner one ended")
        assert db.session.get(Lease, "inner") is None


def test_an_object_added_by_one_insert_gets_its_id_and_defaults_and_commits_a_later_change(app):
    from service.database import add_inserted

    with app.app_context():
        with transaction():
            event = OutboxEvent(event_id="evt_inserted", type="pair.created", payload={"n": 1})
            add_inserted(event)
            assert event.id is not None
            assert event.occurred_at is not None
            event.payload = {"n": 2}
            given_id = event.id
        db.session.expunge_all()
        stored = db.session.scalars(
            sa.select(OutboxEvent).where(OutboxEvent.event_id == "evt_inserted")
        ).one()
        assert (stored.id, stored.payload) == (given_id, {"n": 2})


def test_an_object_added_by_one_insert_is_rolled_back_with_its_transaction(app):
    from service.database import add_inserted

    with app.app_context():
        with pytest.raises(RuntimeError), transaction():
            add_inserted(OutboxEvent(event_id="evt_dropped", type="pair.created", payload={}))
            raise RuntimeError("something later fails")
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxEvent)) == 0


def test_adding_by_one_insert_an_object_whose_relationship_is_an_object_is_refused(app):
    from service.database import add_inserted
    from service.participants.models import Participant
    from service.surveys.models import Invitation

    with app.app_context(), pytest.raises(ValueError, match="ids, not objects"):
        add_inserted(Invitation(nonce="n", participant=Participant()))
