"""How long a program's insights take to compute: 10,000 pairs that joined over five years,
with the history the demo generator draws for them (transitions, meetings, the calendar's
contacts and compliance, check-in ratings, endings).

    python bench/insights.py                    # SQLite in a temp file
    DATABASE_URL=postgresql://postgres@127.0.0.1/test python bench/insights.py
    python bench/insights.py --pairs 2000 --months 24 --runs 5

The figure is the median of several runs of `insights.figures.compute` over the whole five
years (what the insights page and the API compute for one request), then of the tables the
page and the exports lay out from it. The target is under 2 s. Beside it, from the same
runs, the reference: a bare read of the program's meetings (pair, status, moment) as rows,
so the figure is also given as a ratio that a busy machine moves less.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.history import loaded
from bench.machine import describe
from bench.sweep import database


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=10_000)
    parser.add_argument("--months", type=int, default=60)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    url, drop = database(os.environ.get("DATABASE_URL"))
    try:
        run(url, args.pairs, args.months, args.runs)
    finally:
        drop()


def run(url: str, pairs: int, months: int, runs: int) -> None:
    import sqlalchemy as sa

    from service.calendar.models import Contact
    from service.database import db, read
    from service.insights.figures import Period, compute
    from service.insights.tables import tables
    from service.meetings.models import Meeting
    from service.pairs.models import Pair
    from service.surveys.models import SurveyResponse

    print(describe(url))
    with loaded(url, pairs, months) as (program_id, seconds):
        # A request starts from an empty session: the hundreds of thousands of objects the
        # generator left in this one made every garbage collection slower (a third more CPU).
        db.session.commit()
        db.session.remove()
        gc.collect()
        counts = {
            name: db.session.scalar(sa.select(sa.func.count()).select_from(model))
            for name, model in (
                ("meetings", Meeting),
                ("contacts", Contact),
                ("responses", SurveyResponse),
            )
        }
        print(
            f"history: {pairs:,} pairs over {months} months, "
            + ", ".join(f"{n:,} {name}" for name, n in counts.items())
            + f" (generated and written in {seconds:.1f} s)"
        )
        period = Period(None, date.today())
        meetings = (
            sa.select(Meeting.pair_id, Meeting.status, Meeting.occurred_at)
            .join(Pair, Pair.id == Meeting.pair_id)
            .where(Pair.program_id == program_id)
        )
        times, laid_out, cpu, bare = [], [], [], []
        for _ in range(runs):
            db.session.expire_all()
            started, processor = time.perf_counter(), time.process_time()
            insights = compute(program_id=program_id, period=period)
            times.append(time.perf_counter() - started)
            started = time.perf_counter()
            tables(insights)
            laid_out.append(time.perf_counter() - started)
            cpu.append(time.process_time() - processor)
            db.session.rollback()
            started = time.perf_counter()
            read(meetings).all()
            bare.append(time.perf_counter() - started)
            db.session.rollback()
        total = statistics.median(t + lay for t, lay in zip(times, laid_out, strict=True))
        reference = statistics.median(bare)
        print(
            f"insights of {insights.matches:,} matches: compute {statistics.median(times):.2f} s "
            f"(runs: {', '.join(f'{t:.2f}' for t in times)}), tables "
            f"{statistics.median(laid_out) * 1000:.0f} ms; {statistics.median(cpu):.2f} s of "
            f"CPU; target under 2 s"
        )
        print(
            f"reference, the same runs: reading the program's {counts['meetings']:,} meetings "
            f"as rows {reference:.2f} s; figures and tables {total / reference:.1f}x that; "
            f"load average {os.getloadavg()[0]:.1f}"
        )


if __name__ == "__main__":
    main()
