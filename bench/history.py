"""A program's generated history in an app of its own, for the benchmarks that time what is
read from it (the insights, the closure-risk model, the warehouse export)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def loaded(url: str, pairs: int, months: int) -> Iterator[tuple[int, float]]:
    """Inside the app's context: the migrated database `url` holding the demo generator's
    history of `pairs` pairs over `months` months. Yields the program's id and the seconds
    the history took to generate and write. On PostgreSQL the planner's statistics are then
    gathered, as autovacuum soon would after a load this size: without them it takes the
    program's thousands of pairs for a handful and sorts where it would hash."""
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from service import create_app, demo_history
    from service.database import db

    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-" + "x" * 40, "PAIRWISE_ENV": "test"}
    )
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        started = time.perf_counter()
        program_id = demo_history.load(pairs=pairs, months=months).id
        seconds = time.perf_counter() - started
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect() as connection:
                connection.execution_options(isolation_level="AUTOCOMMIT").execute(
                    sa.text("ANALYZE")
                )
        yield program_id, seconds
