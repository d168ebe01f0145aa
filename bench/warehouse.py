"""How long a program's warehouse export takes, and how big it is: 10,000 pairs that joined
over five years, with the history the demo generator draws for them (as bench/insights.py).

    python bench/warehouse.py                    # SQLite in a temp file
    DATABASE_URL=postgresql://postgres@127.0.0.1/test python bench/warehouse.py
    python bench/warehouse.py --pairs 2000 --months 24

It times the whole export (every row) in CSV and in Parquet, then, after 1% of the pairs
and their latest contacts change, the export since the first one's cursor. Each is written
to a temporary file, as a download is; the figures are seconds and the ZIP's bytes.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.history import loaded
from bench.machine import describe
from bench.sweep import database


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=10_000)
    parser.add_argument("--months", type=int, default=60)
    args = parser.parse_args()
    url, drop = database(os.environ.get("DATABASE_URL"))
    try:
        run(url, args.pairs, args.months)
    finally:
        drop()


def run(url: str, pairs: int, months: int) -> None:
    import sqlalchemy as sa
    import time_machine

    from service.calendar.models import Contact
    from service.database import db
    from service.insights import warehouse
    from service.pairs.models import Pair

    print(describe(url))
    with loaded(url, pairs, months) as (program_id, seconds):
        print(f"history: {pairs:,} pairs over {months} months, written in {seconds:.1f} s")

        def timed(label: str, **kwargs) -> dict:
            with tempfile.TemporaryFile() as out:
                started = time.perf_counter()
                manifest = warehouse.export(out, program_id=program_id, **kwargs)
                seconds = time.perf_counter() - started
                size = out.seek(0, os.SEEK_END)
            rows = sum(t["rows"] for t in manifest["tables"])
            print(f"{label}: {rows:,} rows in {len(manifest['tables'])} tables, "
                  f"{seconds:.2f} s, {size / 1e6:.1f} MB")  # fmt: skip
            return manifest

        # The clock moved past the settling time, so every row written above is in the window.
        later = datetime.now(UTC) + warehouse.SETTLE + timedelta(seconds=5)
        with time_machine.travel(later, tick=True):
            first = timed("whole, CSV")
            timed("whole, Parquet", fmt="parquet")
        with time_machine.travel(later + timedelta(minutes=1), tick=True):
            chosen = sa.select(Pair.id).where(Pair.program_id == program_id).order_by(Pair.id)
            ids = list(db.session.scalars(chosen.limit(max(1, pairs // 100))))
            db.session.execute(
                sa.update(Pair).where(Pair.id.in_(ids)).values(agreed_goals=Pair.agreed_goals)
            )
            db.session.execute(
                sa.update(Contact).where(Contact.pair_id.in_(ids)).values(reminders_sent=1)
            )
            db.session.commit()
        since = datetime.fromisoformat(first["cursor"])
        with time_machine.travel(later + warehouse.SETTLE + timedelta(minutes=2), tick=True):
            timed(f"since the cursor, {len(ids)} pairs changed, CSV", since=since)


if __name__ == "__main__":
    main()
