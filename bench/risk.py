"""How long the closure-risk model takes to fit and score: a program of 10,000 pairs that
joined over five years, with the history the demo generator draws for them.

    python bench/risk.py                    # SQLite in a temp file
    DATABASE_URL=postgresql://postgres@127.0.0.1/test python bench/risk.py
    python bench/risk.py --pairs 2000 --months 24

It prints the time to fit (reading the record, measuring each match at its landmarks, the
fit on the earlier matches and its check on the later ones, then the fit on all), split
into reading and the rest, and the time to score the running pairs. The fit runs as a
background job; the target is under 30 s.
"""

from __future__ import annotations

import argparse
import os
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
    args = parser.parse_args()
    url, drop = database(os.environ.get("DATABASE_URL"))
    try:
        run(url, args.pairs, args.months)
    finally:
        drop()


def run(url: str, pairs: int, months: int) -> None:
    from service.clock import now
    from service.insights import features, risk

    print(describe(url))
    with loaded(url, pairs, months) as (program_id, seconds):
        print(f"history: {pairs:,} pairs over {months} months, in {seconds:.1f} s")
        today: date = now().date()
        started = time.perf_counter()
        record = features.read(program_id, now())
        read = time.perf_counter() - started
        rows = risk.landmark_rows(record, now())
        started = time.perf_counter()
        model = risk.fit(program_id=program_id, as_of=today)
        fitted = time.perf_counter() - started
        started = time.perf_counter()
        flags = risk.score(program_id=program_id, as_of=today)
        scored = time.perf_counter() - started
        v = model.validation
        print(
            f"fit: {fitted:.1f} s ({read:.1f} s of it reading the record) from "
            f"{model.closed_matches:,} ended matches and {len(rows.pair_ids):,} landmarks; "
            f"hold-out concordance {v.get('concordance') or 0:.2f}; target under 30 s"
        )
        print(f"score: {scored:.1f} s, {len(flags):,} pairs flagged")


if __name__ == "__main__":
    main()
