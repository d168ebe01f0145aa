"""How long matching takes: a cohort of 2,000 waiting mentees and 2,000 mentors (1 to 3
places each, with hard constraints: a required common language, previous mentors, declared
conflicts, households), and suggestions for one mentee among 10,000 mentors.

    python bench/matching.py                   # SQLite in a temp file
    DATABASE_URL=postgresql://postgres@127.0.0.1/test python bench/matching.py

Each figure is given twice: the engine alone (`workflows.matching`: scoring every couple,
then the assignment), on people already in memory; and the whole service call
(`matching.suggestions.rank` and `.propose`), which also reads the people from the database.
Each is the median of several runs.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.machine import describe
from bench.sweep import database

GOALS = [
    "reading", "careers", "maths", "confidence", "music", "coding", "art", "sport",
    "science", "writing", "languages", "university", "chess", "cooking", "business",
]  # fmt: skip
SKILLS = ["career coaching", "maths tutoring", "music teaching", "coding", "art", "writing"]
TIMES = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "weekends", "evenings"]
LANGUAGES = ["en", "en", "en", "es", "pl", "ar", "so"]
PLACES = ["Oslo", "Bergen", "Trondheim", "Stavanger", ""]
ZONES = ["Europe/Oslo", "Europe/London", "America/New_York", None]


def profile(rng: random.Random, role: str) -> dict:
    return {
        "role": role,
        "goals": rng.sample(GOALS, rng.randint(1, 3)),
        "skills": rng.sample(SKILLS, rng.randint(0, 2)) if role == "mentor" else [],
        "availability": " ".join(rng.sample(TIMES, rng.randint(1, 3))),
        "language": rng.choice(LANGUAGES),
        "languages": [rng.choice(LANGUAGES)] if rng.random() < 0.3 else [],
        "location": rng.choice(PLACES),
        "timezone": rng.choice(ZONES),
        "gender": rng.choice(["woman", "man", None]),
        "household": f"family-{rng.randint(1, 3000)}" if rng.random() < 0.2 else None,
        "capacity": rng.randint(1, 3) if role == "mentor" else 1,
    }


def median_of(runs: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def engine(rng: random.Random, mentees: int, mentors: int, alone: int) -> None:
    from workflows import matching
    from workflows.matching import Person

    offsets = {"Europe/Oslo": 1.0, "Europe/London": 0.0, "America/New_York": -5.0, None: None}

    def person(i: int, p: dict, **extra) -> Person:
        return Person(
            i,
            goals=p["goals"],
            skills=p["skills"],
            availability=p["availability"],
            languages=(p["language"], *p["languages"]),
            location=p["location"],
            utc_offset=offsets[p["timezone"]],
            timezone=p["timezone"],
            gender=p["gender"],
            household=p["household"],
            **extra,
        )

    mentor_people = [
        person(100_000 + j, p, open_places=p["capacity"])
        for j, p in enumerate(profile(rng, "mentor") for _ in range(mentors))
    ]
    mentee_people = [
        person(
            i,
            profile(rng, "mentee"),
            previous_mentors=frozenset({100_000 + rng.randrange(mentors)}),
            conflicts=frozenset({100_000 + rng.randrange(mentors)}) if i % 10 == 0 else frozenset(),
        )
        for i in range(mentees)
    ]
    rules = matching.settings_from(None)
    holder: dict = {}

    def score() -> None:
        holder["scores"] = matching.score(mentee_people, mentor_people, rules)

    def assign() -> None:
        s = holder["scores"]
        holder["couples"] = matching.assign(
            s.score, s.allowed, [p.open_places for p in mentor_people]
        )

    scoring = median_of(3, score)
    assigning = median_of(3, assign)
    scores = holder["scores"]
    places = sum(p.open_places for p in mentor_people)
    print(
        f"cohort, engine alone: {mentees:,} mentees x {mentors:,} mentors ({places:,} places; "
        f"{scores.allowed.mean():.0%} of couples pass the hard constraints): "
        f"{scoring + assigning:.3f} s (scoring {scoring:.3f} s, assignment {assigning:.3f} s); "
        f"{len(holder['couples']):,} matched"
    )

    many = [person(200_000 + j, profile(rng, "mentor"), open_places=2) for j in range(alone)]

    def suggest() -> None:
        s = matching.score(mentee_people[:1], many, rules)
        order = [j for j in s.score[0].argsort()[::-1] if s.allowed[0, j]][:10]
        holder["why"] = [matching.explain(s, 0, int(j)) for j in order]

    print(
        f"suggestions, engine alone: one mentee among {alone:,} mentors, the best 10 with "
        f"reasons: {median_of(20, suggest) * 1000:.1f} ms"
    )


def service(rng: random.Random, url: str, mentees: int, mentors: int, alone: int) -> None:
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from service import create_app
    from service.database import db
    from service.matching import suggestions
    from service.pairs.models import Pair
    from service.participants.models import Participant
    from service.programs.models import Program

    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-" + "x" * 40, "PAIRWISE_ENV": "test"}
    )
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)

        def program(name: str, people: list[dict]) -> int:
            program = Program(name=name, slug=name)
            db.session.add(program)
            db.session.flush()
            rows = [
                {
                    **p,
                    "program_id": program.id,
                    "full_name": f"{p['role']} {k}",
                    "email": f"{p['role']}-{k}@example.org",
                }
                for k, p in enumerate(people)
            ]
            db.session.execute(sa.insert(Participant), rows)
            return program.id

        cohort = program(
            "cohort",
            [profile(rng, "mentor") for _ in range(mentors)]
            + [profile(rng, "mentee") for _ in range(mentees)],
        )
        waiting = db.session.scalars(
            sa.select(Participant.id).where(
                Participant.program_id == cohort, Participant.role == "mentee"
            )
        ).all()
        db.session.execute(
            sa.insert(Pair),
            [{"program_id": cohort, "mentee_id": m, "state": "recruited"} for m in waiting],
        )
        wide = program(
            "wide", [profile(rng, "mentor") for _ in range(alone)] + [profile(rng, "mentee")]
        )
        mentee = db.session.scalar(
            sa.select(Participant.id).where(
                Participant.program_id == wide, Participant.role == "mentee"
            )
        )
        db.session.commit()

        proposed: dict = {}

        def propose() -> None:
            proposed["it"] = suggestions.propose(program_id=cohort)
            db.session.rollback()

        def rank() -> None:
            suggestions.rank(mentee_id=mentee, limit=10)
            db.session.rollback()

        cohort_time = median_of(3, propose)
        print(
            f"cohort, service call (read from the database, proposal with reasons): "
            f"{cohort_time:.3f} s; {len(proposed['it'].matches):,} matched, "
            f"{len(proposed['it'].unmatched):,} unmatched with why"
        )
        print(
            f"suggestions, service call (read from the database, the best 10 with reasons): "
            f"{median_of(20, rank) * 1000:.1f} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mentees", type=int, default=2000)
    parser.add_argument("--mentors", type=int, default=2000)
    parser.add_argument("--suggest-among", type=int, default=10_000)
    parser.add_argument("--engine-only", action="store_true")
    arguments = parser.parse_args()
    url, drop = database(os.environ.get("DATABASE_URL"))
    os.environ["PAIRWISE_INSTANCE_PATH"] = tempfile.mkdtemp(prefix="pairwise-bench-instance-")
    print(f"machine: {describe(url)}")
    engine(random.Random(16), arguments.mentees, arguments.mentors, arguments.suggest_among)
    if not arguments.engine_only:
        try:
            service(
                random.Random(61),
                url,
                arguments.mentees,
                arguments.mentors,
                arguments.suggest_among,
            )
        finally:
            drop()


if __name__ == "__main__":
    main()
