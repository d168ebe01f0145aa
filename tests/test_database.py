"""The unit of work holds on every backend."""

from __future__ import annotations

import pytest

from service.clock import now
from service.database import db, transaction
from service.events.models import Lease


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
