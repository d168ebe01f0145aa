"""How fast the console's pages answer with 2,000 pairs in the database.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test REDIS_URL=redis://127.0.0.1:6379/9 \\
        python bench/console.py                      # 2,000 pairs, 50 requests a page
    python bench/console.py --pairs 10000 --requests 100

PostgreSQL only (the pairs are copies of one, made in a few statements by
tests/helpers/bulk.py): a program whose pair is active, has met, has a rating from its
mentee and a withdrawal waiting for approval, copied until the database holds --pairs pairs,
all looked after by one coordinator; then VACUUM ANALYZE. An admin signed in asks each page
in turn, in this process (Flask's test client: the time is the app's and the database's,
not a network's), after five warm-up requests.

For each page it prints the median and 95th percentile time and the SQL statements one
request sends (those, unlike the times, do not vary from machine to machine); and, from
the same run, the median of the reference: a Flask app of one route rendering one small
template, so that the ratio says how far a page is from the floor on this machine now.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import os
import statistics
import time
from collections.abc import Callable

import sqlalchemy as sa
from flask import Flask, render_template_string

from bench.machine import idle_share, print_setting
from bench.sweep import database
from tests.helpers.bulk import copy_pair

PAGES = [
    ("dashboard", "/console/"),
    ("pairs list", "/console/pairs"),
    ("pairs list, deep page", "/console/pairs?after={deep}"),
    ("pairs list, searched", "/console/pairs?q=mentee"),
    ("pairs list, by lowest rating", "/console/pairs?sort=lowest_pulse"),
    ("pairs list, at risk", "/console/pairs?state=at_risk"),
    ("proposals", "/console/proposals"),
    ("proposals, deep page", "/console/proposals?after={deep}"),
    ("proposals, searched, by mentee", "/console/proposals?q=moving&sort=mentee"),
    ("proposals, newest first", "/console/proposals?sort=newest"),
    ("inbox", "/console/inbox"),
    ("inbox, deep page", "/console/inbox?after={item}"),
    ("inbox, searched", "/console/inbox?q=notice+1"),
    ("inbox, by pair", "/console/inbox?sort=pair"),
    ("participants", "/console/participants"),
    ("pair page", "/console/pairs/{pair}"),
]


def build(app, pairs: int) -> dict:
    """The program, its first pair made through the API, and its copies."""
    from service.database import db
    from tests.helpers.world import World, service_api

    api = service_api(app)
    world = World.build(api, mentors=1, mentees=1)
    pair = world.drive_to("active")
    world.log_meeting(pair["id"], occurred_at="2026-11-20T16:00:00+00:00")
    filed = api.trigger(pair["id"], "withdraw", closure_reason="withdrawn", reason="Moving")
    assert filed.status_code == 202, filed.get_json()
    with app.app_context():
        with db.engine.connect() as connection:
            copy_pair(connection, pair["id"], pairs - 1)
            connection.commit()
        with db.engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                "VACUUM ANALYZE"
            )
    return {"pair": pair["id"], "deep": pairs // 2}


def fill_inbox(app, user_id: int, count: int) -> int:
    """`count` notices for the admin, one about each pair, a few urgent, a third read, an
    hour apart; the id of an unread one halfway down (where a deep page starts)."""
    from service.database import db

    with app.app_context(), db.engine.connect() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO inbox_items (user_id, kind, urgent, pair_id, title, body, created_at,"
                " read_at) SELECT :user, 'notice', g % 50 = 0, p.id, 'Notice ' || g, '',"
                " now() - g * interval '1 h', CASE WHEN g % 3 = 0 THEN now() END"
                " FROM generate_series(1, :count) g JOIN pairs p ON p.id = g"
            ),
            {"user": user_id, "count": count},
        )
        item = connection.execute(
            sa.text(
                "SELECT id FROM inbox_items WHERE user_id = :user AND read_at IS NULL "
                "ORDER BY id OFFSET :half LIMIT 1"
            ),
            {"user": user_id, "half": count // 3},
        ).scalar_one()
        connection.commit()
        connection.execution_options(isolation_level="AUTOCOMMIT")
    return item


def timed(call: Callable[[], object], requests: int) -> list[float]:
    for _ in range(5):
        call()
    seconds = []
    for _ in range(requests):
        started = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - started)
    return seconds


def statements(app, call: Callable[[], object]) -> int:
    from service.database import db

    sent: list[str] = []
    with app.app_context():
        engine = db.engine

    def count(connection, cursor, statement, *args) -> None:
        sent.append(statement)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        call()
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    return len(sent)


def reference_app() -> Flask:
    """The floor: one route rendering one small template, nothing else."""
    app = Flask("reference")

    @app.get("/")
    def index() -> str:
        return render_template_string("<!doctype html><title>{{ t }}</title><p>{{ t }}</p>", t="ok")

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=50)
    arguments = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql")):
        raise SystemExit("bench/console.py runs on PostgreSQL: set DATABASE_URL")
    database_url, drop = database(url)
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/9")
    print_setting(database_url, "PostgreSQL", redis_url, idle_share())
    try:
        run(database_url, redis_url, arguments)
    finally:
        drop()


def run(database_url: str, redis_url: str, arguments: argparse.Namespace) -> None:
    from flask_migrate import upgrade

    from service import create_app
    from tests.helpers.staff import Console, create_staff

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "REDIS_URL": redis_url,
            "SECRET_KEY": "bench-" + "x" * 40,
            "RATELIMIT_ENABLED": False,
            "SMTP_HOST": "",
        }
    )
    with app.app_context():
        upgrade()
    started = time.perf_counter()
    names = build(app, arguments.pairs)
    print(f"{arguments.pairs:,} pairs built in {time.perf_counter() - started:.1f} s")
    admin = create_staff(app, role="admin", name="Ada Admin")
    names["item"] = fill_inbox(app, admin.id, arguments.pairs)
    console = Console(app)
    console.sign_in(admin.email)

    reference = reference_app().test_client()
    floor = statistics.median(timed(lambda: reference.get("/"), arguments.requests))
    print(f"reference (one route, one small template): median {floor * 1000:.2f} ms\n")
    print(f"{'page':34} {'median':>9} {'p95':>9} {'statements':>11} {'x reference':>12}")
    for label, path in PAGES:
        target = path.format(**names)

        def ask(target: str = target) -> object:
            response = console.get(target)
            assert response.status_code == 200, (target, response.status_code)
            return response

        seconds = sorted(timed(ask, arguments.requests))
        median = statistics.median(seconds)
        p95 = seconds[int(len(seconds) * 0.95) - 1]
        sent = statements(app, ask)
        print(
            f"{label:34} {median * 1000:7.1f} ms {p95 * 1000:7.1f} ms {sent:11} "
            f"{median / floor:11.0f}x"
        )


if __name__ == "__main__":
    main()
