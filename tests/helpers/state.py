"""The state every test starts from, and the background side run to completion."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from functools import cache

import sqlalchemy as sa
from flask import Flask
from redis import Redis

from service.database import db
from service.participants.models import Participant

TEST_SECRET = "test-secret-" + "x" * 40


def reset(app: Flask) -> None:
    """Empty every table (the migrations' bookkeeping aside), restart the sequences, empty
    the Redis database, and leave a pool whose every connection answers."""
    with app.app_context():
        _usable_pool()
        tables = _tables()
        connection = db.session.connection()
        found = connection.exec_driver_sql(_probe(db.engine.dialect.name)).all()
        filled = {name for kind, name in found if kind == "table"}
        drawn = [name for kind, name in found if kind == "sequence"]
        if ("bulky", "") in found:
            # After thousands of bulk-copied rows (the query-plan tests), DELETE checks each
            # row's foreign keys one by one: minutes. TRUNCATE drops them at once.
            names = ", ".join(f'"{name}"' for name in tables)
            connection.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
        elif db.engine.dialect.name == "postgresql":
            # DELETE, not TRUNCATE: on tables this small, TRUNCATE's new files cost ~250 ms
            # a test; one round trip of DELETEs and sequence restarts costs a few.
            statements = [f'DELETE FROM "{name}"' for name in reversed(tables) if name in filled]
            statements += [f"SELECT setval('\"{name}\"', 1, false)" for name in drawn]
            if statements:
                connection.exec_driver_sql("; ".join(statements))
        else:  # SQLite gives a rowid after the largest left: an empty table starts at 1
            for name in reversed(tables):
                if name in filled:
                    connection.exec_driver_sql(f'DELETE FROM "{name}"')
        db.session.commit()
    _redis(app.config["REDIS_URL"]).flushdb()


def _tables() -> list[str]:
    return [t.name for t in db.metadata.sorted_tables if t.name != "alembic_version"]


@cache
def _probe(dialect: str) -> str:
    """What the last test left, in one round trip: the tables holding rows, the sequences it
    drew from (pg_sequences shows none for one restarted and not drawn from since), and
    whether it holds thousands of pairs. A test fills a few of the tables, and a DELETE of
    an empty table costs about as much as one of a few rows."""
    probe = [
        f"SELECT 'table', '{name}' WHERE EXISTS (SELECT 1 FROM \"{name}\")" for name in _tables()
    ]
    if dialect == "postgresql":
        probe += [
            "SELECT 'sequence', sequencename FROM pg_sequences "
            "WHERE schemaname = current_schema() AND last_value IS NOT NULL",
            "SELECT 'bulky', '' "
            "WHERE (SELECT count(*) FROM (SELECT 1 FROM pairs LIMIT 1001) s) > 1000",
        ]
    return " UNION ALL ".join(probe)


def _usable_pool() -> None:
    """Every idle connection in the pool answers and was made in the past, or the pool is
    renewed. Some tests kill connections (tests/test_database_failures.py), and one left dead
    in the pool would fail the next test's first statement. Others move the clock forward
    (time-machine): a connection made then looks newer than a later invalidation of the pool
    (SQLAlchemy compares the two times), and would outlive a restart of the database. A ping
    each costs a fraction of a millisecond; a new connection for every test, as the suite
    once opened, ~5 ms."""
    engine = db.engine
    _note_when_connections_are_made(engine)
    held = [engine.connect() for _ in range(engine.pool.checkedin())]  # type: ignore[attr-defined]
    try:
        usable = all(_usable(connection) for connection in held)
    finally:
        for connection in held:
            connection.close()
    if not usable:
        engine.dispose()


def _usable(connection: sa.Connection) -> bool:
    if connection.info.get("made_at", 0) > time.time():
        return False
    try:
        connection.exec_driver_sql("SELECT 1")
    except sa.exc.DBAPIError:
        return False
    return True


@cache
def _note_when_connections_are_made(engine: sa.Engine) -> None:
    def note(dbapi_connection, record) -> None:
        record.info["made_at"] = time.time()

    sa.event.listen(engine, "connect", note)


@cache
def _redis(url: str) -> Redis:
    """One client for the suite (a new one per test costs a connection each)."""
    return Redis.from_url(url)


def drain(app: Flask) -> None:
    """Run the background side until it is idle: relay the outbox, then a burst worker."""
    from rq import Queue

    from service.queue import queue_names
    from service.scheduler import tick
    from service.worker import run_worker

    connection = _redis(app.config["REDIS_URL"])
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
