"""How long one sweep of the calendar takes with N pairs, when 1% and when none are due,
beside the same work done one schedule at a time (the sweep's previous engine) in the same run.

    python bench/sweep.py                      # 100,000 pairs, SQLite in a temp file
    DATABASE_URL=postgresql://postgres@127.0.0.1/test python bench/sweep.py --pairs 100000
    python bench/sweep.py --pairs 20000 --due 0.05 --previous-due 0 --profile   # where it goes

The sweep finds what is due with one indexed query, so with nothing due it should take about
as long for 100,000 pairs as for 1,000; with 1% due it does the work of 1,000 pairs, in
set-based batches. The previous engine (`calendar.sweep.run_schedule` for each due schedule,
one transaction and some 24 statements each) runs on another 1% of the pairs, so both make
the same number of contacts from the same kind of rows.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.machine import describe


def database(url: str | None) -> tuple[str, callable]:
    """A fresh database: a temp SQLite file, or a new PostgreSQL database beside `url`."""
    if not url or not url.startswith(("postgres://", "postgresql")):
        path = Path(tempfile.mkdtemp(prefix="pairwise-bench-")) / "bench.db"
        return f"sqlite:///{path}", lambda: None
    base = sa.engine.make_url(url.replace("postgres://", "postgresql://", 1)).set(
        drivername="postgresql+psycopg"
    )
    name = f"pairwise_bench_{secrets.token_hex(4)}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    return base.set(database=name).render_as_string(hide_password=False), drop


def participant_rows(program_id: int, numbers: range, moment: datetime) -> list[dict]:
    """Bulk rows for a mentee and a mentor per number, as the API would have made them."""
    return [
        {
            "program_id": program_id,
            "role": role,
            "full_name": f"{role} {n}",
            "email": f"{role}{n}@bench.example",
            "language": "en",
            "capacity": 1,
            "goals": [],
            "skills": [],
            "availability": "",
            "active": True,
            "placement_version": 0,
            "created_at": moment,
            "updated_at": moment,
        }
        for n in numbers
        for role in ("mentee", "mentor")
    ]


def populate(pairs: int, today: date) -> None:
    """Bulk rows: one program, its mentors and mentees, active pairs and their schedules."""
    from service.calendar.models import Schedule
    from service.database import db
    from service.pairs.models import Pair
    from service.participants.models import Participant
    from service.programs import service as programs
    from workflows.cadence import due_at

    program = programs.create(
        name="Benchmark", no_meeting_alert_days=None, match_length_months=None
    )
    moment = datetime.now(UTC)
    chunk = 10_000
    for start in range(0, pairs, chunk):
        count = min(chunk, pairs - start)
        people = participant_rows(program.id, range(start, start + count), moment)
        ids = db.session.execute(
            sa.insert(Participant).returning(Participant.id, Participant.role), people
        ).all()
        mentees = [i for i, role in ids if role == "mentee"]
        mentors = [i for i, role in ids if role == "mentor"]
        pair_ids = db.session.scalars(
            sa.insert(Pair).returning(Pair.id),
            [
                {
                    "program_id": program.id,
                    "mentee_id": mentee,
                    "mentor_id": mentor,
                    "state": "active",
                    "version": 3,
                    "event_sequence": 0,
                    "state_changed_at": moment,
                    "created_at": moment,
                    "matched_at": moment,
                    "activated_at": moment,
                }
                for mentee, mentor in zip(mentees, mentors, strict=True)
            ],
        ).all()
        later = today + timedelta(days=30)
        db.session.execute(
            sa.insert(Schedule),
            [
                {
                    "pair_id": pair_id,
                    "kind": kind,
                    "next_due_on": later,
                    "next_due_at": due_at(later, "UTC"),
                }
                for pair_id in pair_ids
                for kind in ("checkin", "staff_contact")
            ],
        )
        db.session.commit()


def make_due(share: float, pairs: int, exclude: set[int]) -> set[int]:
    """Bring the check-ins of `share` of the pairs due now; returns their pairs."""
    from service.calendar.models import Schedule
    from service.database import db

    count = int(pairs * share)
    query = sa.select(Schedule.id, Schedule.pair_id).where(Schedule.kind == "checkin")
    if exclude:
        query = query.where(Schedule.pair_id.not_in(exclude))
    rows = db.session.execute(query.order_by(Schedule.id).limit(count)).all()
    db.session.execute(
        sa.update(Schedule)
        .where(Schedule.id.in_([schedule_id for schedule_id, _ in rows]))
        .values(next_due_at=datetime.now(UTC) - timedelta(minutes=1))
    )
    db.session.commit()
    return {pair_id for _, pair_id in rows}


def one_by_one() -> int:
    """The previous engine: every due schedule in a transaction of its own."""
    from service.calendar.models import Schedule
    from service.calendar.sweep import run_schedule
    from service.clock import now
    from service.database import db

    moment = now()
    ids = db.session.scalars(
        sa.select(Schedule.id).where(Schedule.next_due_at <= moment).order_by(Schedule.next_due_at)
    ).all()
    db.session.commit()
    return sum(run_schedule(schedule_id, moment) or 0 for schedule_id in ids)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pairs", type=int, default=100_000)
    parser.add_argument("--due", type=float, default=0.01, help="share of pairs due (0.01 = 1%%)")
    parser.add_argument(
        "--previous-due",
        type=float,
        default=None,
        help="share of pairs due for the previous engine (default: as --due; 0 skips it)",
    )
    parser.add_argument(
        "--profile", action="store_true", help="the busy sweep under pyinstrument (slower)"
    )
    arguments = parser.parse_args()

    before_load = f"{os.getloadavg()[0]:.2f}"
    url, drop = database(os.environ.get("DATABASE_URL"))
    os.environ["PAIRWISE_INSTANCE_PATH"] = tempfile.mkdtemp(prefix="pairwise-bench-instance-")
    from flask_migrate import upgrade

    from service import create_app
    from service.calendar.sweep import sweep
    from service.database import db
    from service.surveys import versions

    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-" + "x" * 40, "PAIRWISE_ENV": "test"}
    )
    try:
        with app.app_context():
            upgrade(directory=app.extensions["migrate"].directory)
            started = time.perf_counter()
            populate(arguments.pairs, date.today())
            loaded = time.perf_counter() - started

            # Stored once per process and database, whichever engine runs first.
            for key in versions.standard_keys():
                versions.ensure_standard_version(key)
            db.session.commit()

            idle = []
            for _ in range(20):
                started = time.perf_counter()
                result = sweep()
                idle.append(time.perf_counter() - started)
                assert result.schedules == 0

            due_pairs = make_due(arguments.due, arguments.pairs, set())
            profiler = None
            if arguments.profile:
                from pyinstrument import Profiler

                profiler = Profiler(interval=0.0005)
                profiler.start()
            started, cpu = time.perf_counter(), time.process_time()
            result = sweep()
            busy, busy_cpu = time.perf_counter() - started, time.process_time() - cpu
            if profiler is not None:
                profiler.stop()
                print(profiler.output_text(unicode=True, color=False, show_all=False))

            previous_share = (
                arguments.due if arguments.previous_due is None else arguments.previous_due
            )
            previous = previous_made = None
            if previous_share:
                previous_pairs = make_due(previous_share, arguments.pairs, due_pairs)
                started = time.perf_counter()
                previous_made = one_by_one()
                previous = time.perf_counter() - started
                assert len(previous_pairs) and previous_made
    finally:
        drop()

    print(f"machine: {describe(url)}")
    print(
        f"pairs: {arguments.pairs:,} ({2 * arguments.pairs:,} schedules), loaded in {loaded:.1f} s"
    )
    print(f"sweep, nothing due: median {statistics.median(idle) * 1000:.1f} ms over 20 runs")
    print(
        f"sweep, {arguments.due:.0%} due ({len(due_pairs):,} pairs): {busy:.2f} s, "
        f"{result.contacts:,} invitations made "
        f"({result.contacts / busy:,.0f} per second), failures: {len(result.failures)}; "
        f"this process's CPU time {busy_cpu:.2f} s (on a shared machine the wall time also "
        "holds the waits for a core)"
    )
    print(f"load average before and after: {before_load} / {os.getloadavg()[0]:.2f}")
    if previous is not None:
        rate, previous_rate = result.contacts / busy, previous_made / previous
        print(
            f"previous engine, one schedule at a time, {previous_share:.1%} due: {previous:.2f} s, "
            f"{previous_made:,} invitations made ({previous_rate:,.0f} per second)"
        )
        print(f"set-based / previous, invitations per second: {rate / previous_rate:.1f}x")


if __name__ == "__main__":
    main()
