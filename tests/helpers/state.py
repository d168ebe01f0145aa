"""The state every test starts from, and the background side run to completion."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import Flask
from redis import Redis

from service.database import db
from service.pairs.models import Pair
from service.participants.models import Participant

TEST_SECRET = "test-secret-" + "x" * 40


def reset(app: Flask) -> None:
    """Empty every table (the migrations' bookkeeping aside) and the Redis database."""
    with app.app_context():
        tables = [t for t in db.metadata.sorted_tables if t.name != "alembic_version"]
        if db.engine.dialect.name == "postgresql" and _bulky():
            # After thousands of bulk-copied rows (the query-plan tests), DELETE checks each
            # row's foreign keys one by one: minutes. TRUNCATE drops them at once.
            names = ", ".join(f'"{t.name}"' for t in tables)
            db.session.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        elif db.engine.dialect.name == "postgresql":
            # DELETE, not TRUNCATE: on tables this small, TRUNCATE's new files cost ~250 ms
            # a test; one round trip of DELETEs and sequence restarts costs a few.
            deletes = "; ".join(f'DELETE FROM "{t.name}"' for t in reversed(tables))
            restarts = (
                "SELECT setval(c.oid, 1, false) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE c.relkind = 'S' AND n.nspname = current_schema()"
            )
            db.session.connection().exec_driver_sql(f"{deletes}; {restarts}")
        else:
            for table in reversed(tables):
                db.session.execute(table.delete())
        db.session.commit()
        # A fresh pool for every test: a test that kills connections leaves none behind.
        db.engine.dispose()
    Redis.from_url(app.config["REDIS_URL"]).flushdb()


def _bulky() -> bool:
    """Does the database hold more than a test makes by hand (over 1,000 pairs)?"""
    sample = sa.select(Pair.id).limit(1001).subquery()
    return (db.session.scalar(sa.select(sa.func.count()).select_from(sample)) or 0) > 1000


def drain(app: Flask) -> None:
    """Run the background side until it is idle: relay the outbox, then a burst worker."""
    from rq import Queue

    from service.queue import queue_names
    from service.scheduler import tick
    from service.worker import run_worker

    connection = Redis.from_url(app.config["REDIS_URL"])
    for _ in range(20):
        with app.app_context():
            relayed = tick(app, holder="tests")
        waiting = sum(len(Queue(name, connection=connection)) for name in queue_names(app))
        if not relayed and not waiting:
            return
        run_worker(app, burst=True, with_clock=False)
    raise AssertionError("the background side did not settle")


def added_days_ago(app: Flask, participant_id: int, days: int) -> None:
    """Backdate when a participant was added (how long a mentee has waited counts from it)."""
    with app.app_context():
        db.session.execute(
            sa.update(Participant)
            .where(Participant.id == participant_id)
            .values(created_at=datetime.now(UTC) - timedelta(days=days))
        )
        db.session.commit()
