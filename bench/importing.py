"""How long importing participants takes: a file of 10,000 rows (half mentors, half mentees,
with goals, skills, languages and time zones), as CSV and as XLSX, each checked with the
API's schema and written in one transaction; then the same file again (every row already
there: 10,000 compared, none written).

    python bench/importing.py                  # SQLite in a temp file
    DATABASE_URL=postgresql://postgres@127.0.0.1/test python bench/importing.py

The target is under 10 s for 10,000 rows. Each figure is one run on a fresh program (an
import is not repeatable on the same one: the second run updates instead), so on a busy
machine take the ratio of the parts, not the absolute time.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.machine import describe
from bench.sweep import database

HEADER = ["Full name", "E-mail", "Role", "Phone", "Language", "Capacity", "Goals", "Skills",
          "Availability", "Other languages", "Location", "Time zone"]  # fmt: skip
GOALS = ["reading", "careers", "maths", "confidence", "music", "coding", "art", "sport"]
ZONES = ["Europe/Oslo", "Europe/London", "America/New_York", ""]


def rows(count: int, seed: int = 1) -> list[list[object]]:
    rng = random.Random(seed)
    out: list[list[object]] = [HEADER]
    for n in range(count):
        role = "mentor" if n % 2 else "mentee"
        out.append([
            f"Person {n}", f"person{n}@bench.example", role, f"+47 9{n:07d}", "en",
            rng.randint(1, 3) if role == "mentor" else 1,
            "; ".join(rng.sample(GOALS, 2)), "coding; chess" if role == "mentor" else "",
            "Tuesday evenings", "es" if n % 7 == 0 else "", "Oslo", rng.choice(ZONES),
        ])  # fmt: skip
    return out


def as_csv(table: list[list[object]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(table)
    return out.getvalue().encode()


def as_xlsx(table: list[list[object]]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    for row in table:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    args = parser.parse_args()
    url, drop = database(os.environ.get("DATABASE_URL"))
    try:
        run(url, args.rows)
    finally:
        drop()


def run(url: str, count: int) -> None:
    from flask_migrate import upgrade

    from service import create_app
    from service.actors import system
    from service.database import db
    from service.participants import importing
    from service.programs.models import Program

    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-" + "x" * 40, "PAIRWISE_ENV": "test"}
    )
    table = rows(count)
    files = {"CSV": ("people.csv", as_csv(table)), "XLSX": ("people.xlsx", as_xlsx(table))}
    print(describe())
    print(f"{count:,} rows; database: {url.split(':', 1)[0]}")
    with app.test_request_context():
        upgrade(directory=app.extensions["migrate"].directory)
        for kind, (name, data) in files.items():
            program = Program(name=kind, slug=kind.lower())
            db.session.add(program)
            db.session.commit()
            start = time.perf_counter()
            parsed = importing.read_table(data, name)
            read = time.perf_counter() - start
            start = time.perf_counter()
            report = importing.run(data, name, program_id=program.id, actor=system())
            whole = time.perf_counter() - start
            assert report.created == count and not report.errors, report.errors[:3]
            start = time.perf_counter()
            again = importing.run(data, name, program_id=program.id, actor=system())
            repeat = time.perf_counter() - start
            assert again.skipped == count
            print(
                f"{kind:5}: import {whole:.2f} s (reading the file {read:.2f} s, "
                f"{len(parsed.rows):,} rows); the same file again (all unchanged) {repeat:.2f} s"
            )


if __name__ == "__main__":
    main()
