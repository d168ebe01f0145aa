"""Does a request cost the same with 1,000 pairs in the database as with 1,000,000?

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test REDIS_URL=redis://127.0.0.1:6379/9 \\
        python bench/scaling.py                      # 1,000 then 1,000,000 pairs
    python bench/scaling.py --sizes 1000,100000 --seconds 5 --memory-requests 10000

PostgreSQL only (the size of the data is the point). One program and one active pair are
built through the API; the database is then filled up to each size with copies of that pair
(its mentee and mentor, schedules, transition records and outbox events), each table by one
`INSERT … SELECT … generate_series` (tests/helpers/bulk.py), then VACUUM ANALYZE. At each
size, under gunicorn as bench/requests_per_second.py runs it:

- the transition endpoint, POST /api/v1/pairs/<id>/transitions (`flag_risk`), each request
  to a different active pair picked at random across the table; beside the reference
  implementation (bench/reference/app.py) on the same pairs of the same database, same run
  (the pairs are set back to active after each run);
- the pairs list by key, GET /api/v1/pairs?after=<id>&per_page=50, at random depths, and
  filtered by state (`state=at_risk`, one pair in fifty);
- the pairs list by page number, GET /api/v1/pairs?page=<n>&per_page=50 (OFFSET and a count
  on every request, kept for older clients), at random depths: what keyset paging avoids.

It prints the time per request (p50 and p99) at each size and the ratio of the largest size
to the smallest; then one web worker's resident memory (RSS) after --memory-requests more
requests (lists and transitions, half each). A worker's memory over a long webhook fan-out
is bench/webhooks.py's (`--deliveries-only --per-pair 2 --endpoints 10 --rss-every 5`).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import json
import os
import random
import secrets
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace

import sqlalchemy as sa

from bench.machine import idle_share, print_setting
from bench.requests_per_second import (
    Gunicorn,
    Result,
    Workload,
    app_for,
    backends,
    database_kind,
    free_port,
    prepare,
    run_load,
    service_env,
    transitions,
    upgrade,
)
from bench.sweep import database
from bench.webhooks import rss_mb
from tests.helpers.bulk import copy_pair

# What each copy of the pair carries besides itself and its two participants.
COPIED = ("schedules", "transition_records", "outbox_events")
PER_PAGE = 50


def grow(app, template_id: int, total: int) -> float:
    """Copies of the template pair until the database holds `total` pairs; seconds taken."""
    from service.database import db

    started = time.perf_counter()
    with app.app_context(), db.engine.connect() as connection:
        have = connection.scalar(sa.text("SELECT count(*) FROM pairs"))
        remaining = total - have
        while remaining > 0:  # in chunks: one transaction per 250,000 pairs
            chunk = min(remaining, 250_000)
            copy_pair(connection, template_id, chunk, only=COPIED)
            connection.commit()
            remaining -= chunk
        # A pair in fifty at risk: what `state=at_risk` filters for.
        connection.execute(
            sa.text("UPDATE pairs SET state = 'at_risk' WHERE id % 50 = 7 AND state = 'active'")
        )
        connection.commit()
        connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
    return time.perf_counter() - started


def active_pairs(app, count: int, template_id: int) -> list[int]:
    """`count` active pairs at random across the table."""
    from service.database import db

    with app.app_context():
        ids = db.session.scalars(
            sa.text(
                "SELECT id FROM pairs WHERE state = 'active' AND id <> :template "
                "ORDER BY random() LIMIT :count"
            ),
            {"template": template_id, "count": count},
        ).all()
        db.session.rollback()
    return list(ids)


def reactivate(app, pair_ids: list[int]) -> None:
    """The pairs a run flagged at risk, active again for the next run."""
    from service.database import db

    with app.app_context():
        db.session.execute(
            sa.text("UPDATE pairs SET state = 'active' WHERE id = ANY(:ids)"), {"ids": pair_ids}
        )
        db.session.commit()
        db.engine.dispose()


def pair_ids_span(app) -> tuple[int, int, int]:
    from service.database import db

    with app.app_context():
        low, high, total = db.session.execute(
            sa.text("SELECT min(id), max(id), count(*) FROM pairs")
        ).one()
        db.session.rollback()
    return low, high, total


def listing(token: str, query: str, choose, name: str, limit: int = 0) -> Workload:
    """GET /api/v1/pairs?<query> with `{n}` replaced by `choose()` on each request."""
    headers = {"Authorization": f"Bearer {token}"}

    def requests(index: int, connection) -> Iterator:
        made = 0
        while not limit or made < limit:
            made += 1
            yield "GET", "/api/v1/pairs?" + query.format(n=choose()), None, headers

    return Workload(name, 200, requests)


def gunicorn_workers(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children")
    return [int(pid) for pid in children.read_text().split()] if children.exists() else []


@dataclass
class Sized:
    """One database at one size, with what the load needs from it."""

    size: int
    env: dict[str, str]
    app: object
    token: str
    template: int
    drop: Callable[[], None]
    filled: float = 0.0
    results: dict[str, list[Result]] = field(default_factory=dict)


def build(backend, size: int, secret: str, public_url: str, first: bool) -> Sized:
    """A database of its own (the first is the backend's), migrated, filled to `size`."""
    if first:
        url, drop = backend.database_url, lambda: None
    else:
        url, drop = database(os.environ["DATABASE_URL"])
    env = {**service_env(backend, secret, public_url), "DATABASE_URL": url}
    upgrade(env)
    app = app_for(replace(backend, database_url=url), secret, public_url)
    prepared = prepare(app, 1)
    sized = Sized(size, env, app, prepared.token, prepared.api_pair_id, drop)
    sized.filled = grow(app, sized.template, size)
    return sized


def merged(results: list[Result]) -> Result:
    """Rounds of one workload as one result: every latency, the rates averaged."""
    return Result(
        name=results[0].name,
        latencies=[value for result in results for value in result.latencies],
        errors=sum(result.errors for result in results),
        duration=sum(result.duration for result in results),
        error_kinds=sum((result.error_kinds for result in results), Counter()),
        exhausted=sum(result.exhausted for result in results),
    )


def one_round(sized: Sized, arguments: argparse.Namespace, logs: Path, port: int) -> None:
    """The reference's transitions, then Pairwise's transitions and lists, on one database."""
    from service.database import db

    c = arguments.concurrency
    load = {"concurrency": c, "warmup": arguments.warmup, "seconds": arguments.seconds}
    app = sized.app
    low, high, total = pair_ids_span(app)
    # The same fresh pairs for the reference and for Pairwise, set back to active after
    # each run (at 1,000 pairs there are no others to take).
    pool = active_pairs(app, min(arguments.pool, total - 1), sized.template)
    with app.app_context():
        db.engine.dispose()  # the clients fork: no connections to share
    found = sized.results
    server = Gunicorn(
        "bench.reference.app:app", arguments.workers, sized.env, logs / "reference.log", port
    )
    try:
        found.setdefault("reference transition", []).append(
            run_load(
                transitions(pool, sized.token, c, "reference: transition"),
                server.port,
                **load,
            )
        )
    finally:
        server.stop()
    reactivate(app, pool)
    server = Gunicorn("service.wsgi:app", arguments.workers, sized.env, logs / "pairwise.log", port)
    try:
        found.setdefault("transition", []).append(
            run_load(transitions(pool, sized.token, c), server.port, **load)
        )
        reactivate(app, pool)
        depth = random.Random(len(found["transition"]))
        pages = max(1, total // PER_PAGE)
        for name, query, choose in (
            ("list by key", "after={n}", lambda: depth.randint(low, high)),
            ("list by key, at risk", "state=at_risk&after={n}", lambda: depth.randint(low, high)),
            ("list by page number", "page={n}", lambda: depth.randint(1, pages)),
        ):
            workload = listing(sized.token, f"{query}&per_page={PER_PAGE}", choose, name)
            found.setdefault(name, []).append(run_load(workload, server.port, **load))
    finally:
        server.stop()


def worker_memory(sized: Sized, arguments: argparse.Namespace, logs: Path, port: int) -> dict:
    """One web worker's RSS before and after N requests: lists and transitions, half each."""
    from service.database import db

    c = arguments.concurrency
    low, high, _ = pair_ids_span(sized.app)
    half = arguments.memory_requests // 2
    fresh = active_pairs(sized.app, half, sized.template)
    with sized.app.app_context():
        db.engine.dispose()
    server = Gunicorn("service.wsgi:app", arguments.workers, sized.env, logs / "memory.log", port)
    try:
        workers = gunicorn_workers(server.process.pid)
        before = [rss_mb(pid) for pid in workers]
        depth = random.Random(0)
        unbounded = {"concurrency": c, "warmup": 0.0, "seconds": 3600.0}
        started = time.perf_counter()
        lists = listing(
            sized.token,
            f"after={{n}}&per_page={PER_PAGE}",
            lambda: depth.randint(low, high),
            "lists",
            limit=-(-half // c),
        )
        served = run_load(lists, server.port, **unbounded)
        moved = run_load(transitions(fresh, sized.token, c), server.port, **unbounded)
        after = [rss_mb(pid) for pid in workers]
    finally:
        server.stop()
    return {
        "requests": len(served.latencies) + len(moved.latencies),
        "errors": served.errors + moved.errors,
        "workers": len(workers),
        "before": before,
        "after": after,
        "seconds": time.perf_counter() - started,
    }


def measure(arguments: argparse.Namespace) -> None:
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql")):
        sys.exit("bench/scaling.py needs DATABASE_URL set to a PostgreSQL server")
    idle = idle_share()
    backend = backends()
    secret = secrets.token_urlsafe(48)
    port = free_port()
    public_url = f"http://127.0.0.1:{port}"
    logs = backend.instance
    built: list[Sized] = []
    memory: dict = {}
    finished = False
    try:
        for n, size in enumerate(arguments.sizes):
            built.append(build(backend, size, secret, public_url, first=n == 0))
        kind = database_kind(built[0].app)
        # Rounds alternate the sizes, so a change in the machine's load meanwhile falls on
        # both alike.
        for _ in range(arguments.rounds):
            for sized in built:
                one_round(sized, arguments, logs, port)
        memory = worker_memory(built[-1], arguments, logs, port)
        finished = True
    finally:
        for sized in built[1:]:
            sized.drop()
        backend.close(keep_logs=not finished)
    rows = {sized.size: {name: merged(r) for name, r in sized.results.items()} for sized in built}
    setup = {sized.size: sized.filled for sized in built}
    c = arguments.concurrency

    print_setting(backend.database_url, kind, backend.redis_kind, idle)
    print(
        f"gunicorn: {arguments.workers} sync workers; load: {c} client processes on the same "
        f"{os.cpu_count()} cores; {arguments.seconds:g} s each after {arguments.warmup:g} s "
        f"warm-up, {arguments.rounds} rounds alternating the sizes"
    )
    print(
        "filled: "
        + ", ".join(f"{size:,} pairs in {took:.1f} s" for size, took in setup.items())
        + f" (each with its mentee and mentor, {', '.join(COPIED)})"
    )
    sizes = list(rows)
    print(
        f"\n{'':42}" + "".join(f"{f'{size:,} pairs':>26}" for size in sizes) + "   largest/smallest"
    )
    print(f"{'':42}" + "".join(f"{'req/s  p50 ms  p99 ms':>26}" for _ in sizes) + "   (p50)")
    for name in rows[sizes[0]]:
        cells = []
        for size in sizes:
            result = rows[size][name]
            cells.append(
                f"{result.rate:8.0f} {result.percentile(0.5):7.1f} {result.percentile(0.99):7.1f}"
                + ("*" if result.exhausted else " ")
            )
        ratio = rows[sizes[-1]][name].percentile(0.5) / rows[sizes[0]][name].percentile(0.5)
        print(f"{name:42}" + "".join(f"{cell:>26}" for cell in cells) + f"   {ratio:6.2f}")
    print("* ran out of fresh pairs before the end (fewer pairs than the load takes)")
    print("\nPairwise beside the reference, transition, same run:")
    for size in sizes:
        ours, reference = rows[size]["transition"], rows[size]["reference transition"]
        print(
            f"  {size:>10,} pairs: {ours.rate:.0f} vs {reference.rate:.0f} req/s = "
            f"{ours.rate / reference.rate if reference.rate else float('nan'):.2f}x; "
            f"p50 {ours.percentile(0.5):.1f} vs "
            f"{reference.percentile(0.5):.1f} ms"
        )
    print(
        f"\nweb worker RSS, {memory['workers']} gunicorn workers, after {memory['requests']:,} "
        f"requests ({memory['errors']} errors) in {memory['seconds']:.0f} s: "
        + ", ".join(
            f"{b:.0f} -> {a:.0f} MB"
            for b, a in zip(memory["before"], memory["after"], strict=False)  # type: ignore[call-overload]
            if a is not None and b is not None
        )
    )
    if arguments.json:
        Path(arguments.json).write_text(
            json.dumps(
                {
                    str(size): {
                        name: {
                            "rate": r.rate,
                            "p50": r.percentile(0.5),
                            "p99": r.percentile(0.99),
                            "errors": r.errors,
                        }
                        for name, r in results.items()
                    }
                    for size, results in rows.items()
                }
                | {"memory": memory, "setup": {str(k): v for k, v in setup.items()}},
                indent=1,
            )
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        type=lambda text: sorted(int(part) for part in text.split(",")),
        default=[1_000, 1_000_000],
        help="pairs in the database, comma-separated (default 1000,1000000)",
    )
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--pool", type=int, default=3_000, help="fresh pairs per transition run, at most"
    )
    parser.add_argument("--memory-requests", type=int, default=10_000)
    parser.add_argument("--json", help="also write the figures to this file")
    measure(parser.parse_args())


if __name__ == "__main__":
    main()
