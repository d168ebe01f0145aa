"""Requests per second and latency over HTTP: Pairwise under gunicorn, beside a minimal app.

    python bench/requests_per_second.py             # SQLite in a temp file, an embedded Redis
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test REDIS_URL=redis://127.0.0.1:6379/9 \\
        python bench/requests_per_second.py --seconds 10 --concurrency 8 --workers 2
    python bench/requests_per_second.py --profile   # in-process under pyinstrument

Each workload runs for --seconds after a warm-up, driven by --concurrency closed-loop clients
(one process each, `http.client`, asking for keep-alive; gunicorn's default sync workers, as
deploy/gunicorn.conf.py uses, close the connection after every response, so each request
also pays a TCP connect). The clients share the machine's cores with gunicorn and the
database: the figures are for everything on one box, not for the server alone.

- minimal: GET / of bench/minimal_app.py (Flask, one route returning "ok"), same gunicorn
  settings: the floor that gunicorn, WSGI, Flask and the load generator cost;
- survey page: GET /s/<token>, the form a participant opens;
- survey submission: POST /s/<token> with a calm mentee check-in, each to a fresh invitation
  (links are single-use). Each client opens one page first, untimed, for the session cookie
  and CSRF token: the token belongs to the session, not to the link, so it serves every
  POST of that client. A 303 to the thank-you page counts as success;
- transition: POST /api/v1/pairs/<id>/transitions {"trigger": "flag_risk", "signals":
  ["missed_meetings"]}, each to a different active pair (a pair flagged once is at risk and
  cannot be flagged again; resolving needs an intervention first, a different request). An
  applied transition (200) counts as success.

The submission and the transition also run against bench/reference/app.py (the same unit of
work done minimally, served by the same gunicorn settings, on its own fresh links and pairs),
both servers up at once and measured in alternating rounds (--rounds, in ABBA order, so that
a change in the shared machine's load falls on both alike), and once more against Pairwise
paced at half the reference's rate: the report prints Pairwise
beside the reference with the ratio, and the p99 at that half load.

The program and one active pair are built through the API (in-process test client); the
other pairs are bulk copies of that pair's rows (participants, pair, schedules), and the
invitations bulk rows like those POST /api/v1/invitations makes (one made through it first).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import http.client
import json
import multiprocessing
import os
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlencode

import sqlalchemy as sa

from bench.machine import describe, idle_share, print_setting
from bench.sweep import database
from tests.helpers import CALM_MENTEE_CHECKIN

ROOT = Path(__file__).resolve().parent.parent
FLAG_RISK = json.dumps({"trigger": "flag_risk", "signals": ["missed_meetings"]}).encode()
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')

Request = tuple[str, str, bytes | None, dict[str, str]]


# -- the service's own environment ---------------------------------------------------------


@dataclass
class Backends:
    database_url: str
    redis_url: str
    redis_kind: str
    # The instance folder: gunicorn's and the workers' logs, the embedded Redis, the secret.
    instance: Path
    closers: list[Callable[[], None]]

    def close(self, *, keep_logs: bool = False) -> None:
        """Drop the database, flush or stop Redis; remove the files unless asked to keep them."""
        for closer in reversed(self.closers):
            closer()
        if keep_logs:
            print(f"logs kept in {self.instance}", file=sys.stderr)
            return
        shutil.rmtree(self.instance, ignore_errors=True)
        if self.database_url.startswith("sqlite:///"):
            folder = Path(self.database_url.removeprefix("sqlite:///")).parent
            shutil.rmtree(folder, ignore_errors=True)


def backends() -> Backends:
    """A fresh database (bench/sweep.py's), and Redis: REDIS_URL flushed, or an embedded one.
    Sets PAIRWISE_INSTANCE_PATH to a fresh folder and PAIRWISE_ENCRYPTION_KEYS to a new key
    (unless set), for this process and the ones it starts."""
    from cryptography.fernet import Fernet
    from redis import Redis

    from service.embedded_redis import EmbeddedRedis

    instance = Path(tempfile.mkdtemp(prefix="pairwise-bench-instance-"))
    os.environ["PAIRWISE_INSTANCE_PATH"] = str(instance)
    # Production mode insists on a key for the secrets it stores.
    os.environ.setdefault("PAIRWISE_ENCRYPTION_KEYS", Fernet.generate_key().decode())
    url, drop = database(os.environ.get("DATABASE_URL"))
    configured = os.environ.get("REDIS_URL")
    if configured:
        Redis.from_url(configured).flushdb()
        flush = Redis.from_url(configured).flushdb
        return Backends(url, configured, f"Redis at {configured}", instance, [drop, flush])
    embedded = EmbeddedRedis(instance)
    started = embedded.start()
    return Backends(url, started, "embedded Redis", instance, [drop, embedded.stop])


def service_env(backend: Backends, secret: str, public_url: str) -> dict[str, str]:
    """What tests/conftest.py `service_env` gives a subprocess, in production mode."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=backend.database_url,
        REDIS_URL=backend.redis_url,
        SECRET_KEY=secret,
        PAIRWISE_ENV="production",
        PUBLIC_URL=public_url,
        PAIRWISE_INSTANCE_PATH=str(backend.instance),
        # Every load client comes from 127.0.0.1: per-client limits would refuse the load.
        PAIRWISE_RATELIMIT_ENABLED="false",
    )
    return env


def upgrade(env: dict[str, str]) -> None:
    """`pairwise db upgrade`, as an operator runs it."""
    subprocess.run(
        [sys.executable, "-m", "service.cli", "db", "upgrade"],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# -- preparing -------------------------------------------------------------------------------


@dataclass
class Prepared:
    token: str
    survey_tokens: list[str]
    transition_pairs: list[int]
    api_pair_id: int
    timings: dict[str, float] = field(default_factory=dict)


class Api:
    """The in-process test client, authenticated, insisting on success."""

    def __init__(self, app, token: str) -> None:
        self.client = app.test_client()
        self.headers = {"Authorization": f"Bearer {token}"}

    def __call__(self, path: str, body: dict, status: int = 201) -> dict:
        response = self.client.post(f"/api/v1{path}", json=body, headers=self.headers)
        if response.status_code != status:
            raise RuntimeError(f"POST {path}: {response.status_code} {response.get_json()}")
        return response.get_json()


def prepare(app, count: int) -> Prepared:
    """A program and an active pair through the API, then `count` invitations (each on its
    own active pair) and `count` more active pairs for transitions."""
    from service.surveys import invitations
    from service.tokens import service as tokens

    started = time.perf_counter()
    with app.app_context():
        _, raw = tokens.create(name="bench", scopes=[s for s in tokens.SCOPES if s != "admin"])
    api = Api(app, raw)
    program = api("/programs", {"name": "Benchmark"})
    people = {}
    for role in ("mentor", "mentee"):
        person = api(
            "/participants",
            {
                "program_id": program["id"],
                "role": role,
                "full_name": f"Bench {role}",
                "email": f"{role}@bench.example",
            },
        )
        for session in program["required_training"].get(role, []):
            training = {"session": session, "completed_on": date.today().isoformat()}
            api(f"/participants/{person['id']}/training", training)
        people[role] = person
    pair = api("/pairs", {"program_id": program["id"], "mentee_id": people["mentee"]["id"]})
    transitions = f"/pairs/{pair['id']}/transitions"
    api(transitions, {"trigger": "match", "mentor_id": people["mentor"]["id"]}, 200)
    for role in ("mentor", "mentee"):
        api(f"/pairs/{pair['id']}/acceptances", {"role": role}, 200)
    api(transitions, {"trigger": "start_training"}, 200)
    assert api(transitions, {"trigger": "activate"}, 200)["pair"]["state"] == "active"
    # The transition leaves the calendar to be redrawn; reading it redraws it (the copies
    # take its schedules).
    calendar = api.client.get(f"/api/v1/pairs/{pair['id']}/calendar", headers=api.headers)
    assert calendar.status_code == 200, calendar.get_json()
    invitation = {"survey_key": "checkin_mentee", "participant_id": people["mentee"]["id"]}
    first = api("/invitations", {**invitation, "pair_id": pair["id"]})
    built = time.perf_counter()

    with app.app_context():
        copies = clone_active_pair(pair["id"], 2 * count)
        cloned = time.perf_counter()
        survey_pairs, transition_pairs = copies[:count], copies[count:]
        made = make_invitations(first["id"], survey_pairs)
        survey_tokens = [first["url"].rsplit("/", 1)[1]] + [
            invitations.token_for(invitation) for invitation in made
        ]
    done = time.perf_counter()
    return Prepared(
        token=raw,
        survey_tokens=survey_tokens,
        transition_pairs=[pair_id for pair_id, _ in transition_pairs],
        api_pair_id=pair["id"],
        timings={
            "through the API": built - started,
            f"{2 * count:,} pair copies": cloned - built,
            f"{count:,} invitations": done - cloned,
        },
    )


def clone_active_pair(pair_id: int, count: int) -> list[tuple[int, int]]:
    """`count` copies of an active pair: its mentor and mentee, the pair row and its
    schedules, in bulk. Returns (pair id, mentee id) for each."""
    from service.calendar.models import Schedule
    from service.database import db
    from service.pairs.models import Pair
    from service.participants.models import Participant

    people_table, pairs_table, schedules_table = (
        Participant.__table__,
        Pair.__table__,
        Schedule.__table__,
    )
    pair = dict(db.session.execute(sa.select(pairs_table).filter_by(id=pair_id)).mappings().one())
    people = {
        row["id"]: dict(row)
        for row in db.session.execute(
            sa.select(people_table).where(
                people_table.c.id.in_([pair["mentee_id"], pair["mentor_id"]])
            )
        ).mappings()
    }
    schedules = [
        dict(row)
        for row in db.session.execute(
            sa.select(schedules_table).filter_by(pair_id=pair_id)
        ).mappings()
    ]
    made: list[tuple[int, int]] = []
    chunk = 5_000
    for start in range(0, count, chunk):
        numbers = range(start, min(start + chunk, count))
        rows = []
        for n in numbers:
            for person_id in (pair["mentee_id"], pair["mentor_id"]):
                row = {k: v for k, v in people[person_id].items() if k != "id"}
                row.update(full_name=f"{row['role']} {n}", email=f"{row['role']}{n}@bench.example")
                rows.append(row)
        ids = db.session.scalars(
            sa.insert(people_table).returning(people_table.c.id, sort_by_parameter_order=True),
            rows,
        ).all()
        mentees, mentors = ids[0::2], ids[1::2]
        pair_rows = [
            {**{k: v for k, v in pair.items() if k != "id"}, "mentee_id": e, "mentor_id": m}
            for e, m in zip(mentees, mentors, strict=True)
        ]
        pair_ids = db.session.scalars(
            sa.insert(pairs_table).returning(pairs_table.c.id, sort_by_parameter_order=True),
            pair_rows,
        ).all()
        db.session.execute(
            sa.insert(schedules_table),
            [
                {**{k: v for k, v in schedule.items() if k != "id"}, "pair_id": new_id}
                for new_id in pair_ids
                for schedule in schedules
            ],
        )
        db.session.commit()
        made += list(zip(pair_ids, mentees, strict=True))
    return made


def make_invitations(template_id: int, pairs: list[tuple[int, int]]) -> list:
    """One check-in invitation per (pair, mentee), like the one made through the API."""
    from service.database import db
    from service.surveys.models import Invitation

    template = db.session.get(Invitation, template_id)
    made = [
        Invitation(
            nonce=secrets.token_urlsafe(16),
            survey_version_id=template.survey_version_id,
            participant_id=mentee_id,
            pair_id=pair_id,
            expires_at=template.expires_at,
            created_by=template.created_by,
        )
        for pair_id, mentee_id in pairs
    ]
    db.session.add_all(made)
    db.session.commit()
    return made


# -- the load generator --------------------------------------------------------------------


@dataclass
class Workload:
    name: str
    expected: int
    # (client number, its connection) -> its requests; it may make untimed requests first.
    requests: Callable[[int, http.client.HTTPConnection], Iterator[Request]]


@dataclass
class Result:
    name: str
    latencies: list[float]
    errors: int
    duration: float
    error_kinds: Counter
    exhausted: int

    @property
    def rate(self) -> float:
        return (len(self.latencies) + self.errors) / self.duration if self.duration else 0.0

    def percentile(self, share: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000


def _client(workload, index, port, ready, go, start, warmup, seconds, pace, results) -> None:
    """One closed-loop client: a request, wait for the answer, the next request; with a
    `pace` (seconds between this client's requests), no sooner than that after the last."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        requests = workload.requests(index, connection)
        pending = next(requests, None)
    except BaseException:
        ready.abort()  # the others, and the parent, stop waiting
        raise
    ready.wait()
    go.wait()
    measure_from = start.value + warmup
    stop_at = measure_from + seconds
    latencies: list[float] = []
    errors: Counter = Counter()
    last_end = measure_from
    next_at = 0.0
    while pending is not None:
        if pace:
            time.sleep(max(0.0, next_at - time.monotonic()))
        began = time.monotonic()
        next_at = began + pace
        if began >= stop_at:
            break
        method, path, body, headers = pending
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            outcome = None if response.status == workload.expected else f"HTTP {response.status}"
        except (OSError, http.client.HTTPException) as error:
            connection.close()
            outcome = type(error).__name__
        ended = time.monotonic()
        if began >= measure_from:
            last_end = ended
            if outcome is None:
                latencies.append(ended - began)
            else:
                errors[outcome] += 1
        pending = next(requests, None)
    results.put((latencies, errors, last_end - measure_from, pending is None))


def run_load(
    workload: Workload,
    port: int,
    *,
    concurrency: int,
    warmup: float,
    seconds: float,
    rate: float = 0.0,
) -> Result:
    """Run `workload` as fast as the clients go, or at about `rate` requests per second."""
    pace = concurrency / rate if rate else 0.0
    context = multiprocessing.get_context("fork")
    ready, go = context.Barrier(concurrency + 1), context.Barrier(concurrency + 1)
    start, results = context.Value("d", 0.0), context.Queue()
    clients = [
        context.Process(
            target=_client,
            args=(workload, i, port, ready, go, start, warmup, seconds, pace, results),
        )
        for i in range(concurrency)
    ]
    for client in clients:
        client.start()
    try:
        ready.wait(timeout=120)
    except threading.BrokenBarrierError:
        raise RuntimeError(f"{workload.name}: a client failed to start (see above)") from None
    start.value = time.monotonic()
    go.wait(timeout=10)
    gathered = [results.get(timeout=warmup + seconds + 120) for _ in clients]
    for client in clients:
        client.join(timeout=10)
    latencies = [value for found, *_ in gathered for value in found]
    kinds = sum((errors for _, errors, *_ in gathered), Counter())
    return Result(
        name=workload.name,
        latencies=latencies,
        errors=sum(kinds.values()),
        duration=max(duration for _, _, duration, _ in gathered),
        error_kinds=kinds,
        exhausted=sum(1 for *_, ran_out in gathered if ran_out),
    )


def merged(parts: list[Result]) -> Result:
    """The rounds of one workload as one result: every latency, the time measured in all."""
    return Result(
        name=parts[0].name,
        latencies=[value for part in parts for value in part.latencies],
        errors=sum(part.errors for part in parts),
        duration=sum(part.duration for part in parts),
        error_kinds=sum((part.error_kinds for part in parts), Counter()),
        exhausted=sum(part.exhausted for part in parts),
    )


def minimal_page(concurrency: int) -> Workload:
    def requests(index: int, connection) -> Iterator[Request]:
        while True:
            yield "GET", "/", None, {}

    return Workload("minimal app, GET /", 200, requests)


def survey_pages(tokens: list[str], concurrency: int) -> Workload:
    def requests(index: int, connection) -> Iterator[Request]:
        mine = tokens[index::concurrency]
        while True:
            for token in mine:
                yield "GET", f"/s/{token}", None, {}

    return Workload("survey page, GET /s/<token>", 200, requests)


def survey_submissions(tokens: list[str], concurrency: int, name: str = "") -> Workload:
    def requests(index: int, connection) -> Iterator[Request]:
        mine = tokens[index::concurrency]
        connection.request("GET", f"/s/{mine[0]}")
        response = connection.getresponse()
        page = response.read().decode()
        cookie = "; ".join(
            value.split(";", 1)[0]
            for name, value in response.getheaders()
            if name.lower() == "set-cookie"
        )
        found = CSRF.search(page)
        if response.status != 200 or not found:
            raise RuntimeError(f"the survey page answered {response.status} without a form")
        body = urlencode({"csrf_token": found.group(1), **CALM_MENTEE_CHECKIN}).encode()
        headers = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
        for token in mine:
            yield "POST", f"/s/{token}", body, headers

    return Workload(name or "survey submission, POST /s/<token>", 303, requests)


def transitions(pair_ids: list[int], token: str, concurrency: int, name: str = "") -> Workload:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def requests(index: int, connection) -> Iterator[Request]:
        for pair_id in pair_ids[index::concurrency]:
            yield "POST", f"/api/v1/pairs/{pair_id}/transitions", FLAG_RISK, headers

    return Workload(name or "transition, POST /api/v1/pairs/<id>/transitions", 200, requests)


# -- gunicorn ------------------------------------------------------------------------------


class Gunicorn:
    """`python -m gunicorn --workers N <app>` on a free port, output kept in a log file."""

    def __init__(
        self, target: str, workers: int, env: dict[str, str], log: Path, port: int = 0
    ) -> None:
        self.port = port or free_port()
        self.log = log
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{self.port}",
            "--log-level",
            "warning",
            target,
        ]
        with log.open("wb") as output:
            self.process = subprocess.Popen(
                command, env=env, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT
            )
        self._wait()

    def _wait(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{self.log.read_text()[-3000:]}")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                connection.request("GET", "/")
                connection.getresponse().read()
                connection.close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not answer within {timeout} s")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


# -- the two modes -------------------------------------------------------------------------


def app_for(backend: Backends, secret: str, public_url: str, **extra):
    from service import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": backend.database_url,
            "REDIS_URL": backend.redis_url,
            "SECRET_KEY": secret,
            "PAIRWISE_ENV": "production",
            "PUBLIC_URL": public_url,
            "RATELIMIT_ENABLED": False,
            **extra,
        }
    )


def database_kind(app) -> str:
    from service.database import db

    with app.app_context(), db.engine.connect():
        dialect = db.engine.dialect
        version = ".".join(str(part) for part in (dialect.server_version_info or ())[:2])
        return f"{dialect.name} {version}".strip()


def measure(arguments: argparse.Namespace) -> None:
    idle = idle_share()
    backend = backends()
    secret = secrets.token_urlsafe(48)
    port = free_port()
    public_url = f"http://127.0.0.1:{port}"
    env = service_env(backend, secret, public_url)
    logs = backend.instance
    results: list[Result] = []
    pairs_of: list[tuple[Result, Result, Result]] = []
    server = None
    servers: list[Gunicorn] = []
    finished = False
    try:
        upgrade(env)
        app = app_for(backend, secret, public_url)
        pool = arguments.pool or int((arguments.warmup + arguments.seconds) * 700)
        # Three pools of fresh links and pairs: Pairwise, the reference, Pairwise at half load.
        prepared = prepare(app, 3 * pool)
        kind = database_kind(app)
        from service.database import db

        with app.app_context():
            db.engine.dispose()  # the clients fork: no connections to share
        load = {
            "concurrency": arguments.concurrency,
            "warmup": arguments.warmup,
            "seconds": arguments.seconds,
        }
        c = arguments.concurrency
        surveys = [prepared.survey_tokens[i::3] for i in range(3)]
        moving = [prepared.transition_pairs[i::3] for i in range(3)]
        server = Gunicorn("bench.minimal_app:app", arguments.workers, env, logs / "minimal.log")
        results.append(run_load(minimal_page(c), server.port, **load))
        server.stop()
        # Both served at once (an idle server costs nothing), measured in alternating rounds
        # (ABBA): a change in the shared machine's load falls on both alike.
        reference = Gunicorn(
            "bench.reference.app:app", arguments.workers, env, logs / "reference.log"
        )
        servers.append(reference)
        server = Gunicorn("service.wsgi:app", arguments.workers, env, logs / "pairwise.log", port)
        results.append(run_load(survey_pages(prepared.survey_tokens, c), server.port, **load))
        rounds = max(1, arguments.rounds)
        per_round = {**load, "seconds": arguments.seconds / rounds}
        parts: dict[str, list[Result]] = {}
        for number in range(rounds):
            runs = [
                ("submission", survey_submissions(surveys[0][number::rounds], c), server),
                (
                    "reference submission",
                    survey_submissions(
                        surveys[1][number::rounds], c, "reference: survey submission"
                    ),
                    reference,
                ),
                ("transition", transitions(moving[0][number::rounds], prepared.token, c), server),
                (
                    "reference transition",
                    transitions(
                        moving[1][number::rounds], prepared.token, c, "reference: transition"
                    ),
                    reference,
                ),
            ]
            if number % 2:
                runs = [runs[1], runs[0], runs[3], runs[2]]
            for key, workload, target in runs:
                parts.setdefault(key, []).append(run_load(workload, target.port, **per_round))
        submission, reference_submission, transition, reference_transition = (
            merged(parts[key])
            for key in ("submission", "reference submission", "transition", "reference transition")
        )
        half = {**load, "rate": reference_submission.rate / 2}
        half_submission = run_load(
            survey_submissions(surveys[2], c, "survey submission at half the reference's rate"),
            server.port,
            **half,
        )
        half = {**load, "rate": reference_transition.rate / 2}
        half_transition = run_load(
            transitions(moving[2], prepared.token, c, "transition at half the reference's rate"),
            server.port,
            **half,
        )
        results += [
            submission,
            reference_submission,
            half_submission,
            transition,
            reference_transition,
            half_transition,
        ]
        pairs_of = [
            (submission, reference_submission, half_submission),
            (transition, reference_transition, half_transition),
        ]
        server.stop()
        server = None
        reference.stop()
        servers.remove(reference)
        warnings = [
            f"{name}: {line}"
            for name in ("pairwise", "reference")
            for line in (logs / f"{name}.log").read_text().splitlines()
            if line
        ]
        finished = True
    finally:
        for running in [server, *servers]:
            if running is not None:
                running.stop()
        backend.close(keep_logs=not finished)

    print_setting(backend.database_url, kind, backend.redis_kind, idle)
    print(
        f"gunicorn: {arguments.workers} sync workers; load: {arguments.concurrency} client "
        f"processes (http.client, closed loop) on the same {os.cpu_count()} cores; "
        f"{arguments.seconds:g} s each after {arguments.warmup:g} s warm-up"
    )
    print(
        "prepared: " + ", ".join(f"{name} {took:.1f} s" for name, took in prepared.timings.items())
    )
    floor = results[0].rate
    print(f"{'':52} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'vs minimal':>11}")
    for result in results:
        print(
            f"{result.name:52} {result.rate:8.1f} {result.percentile(0.5):8.1f} "
            f"{result.percentile(0.99):8.1f} {result.errors:7d} {result.rate / floor:10.1%}"
        )
        if result.errors:
            print(f"    errors: {dict(result.error_kinds)}")
        if result.exhausted:
            print(
                f"    {result.exhausted} client(s) ran out of fresh invitations or pairs "
                "early: raise --pool"
            )
    print("\nPairwise beside the reference (bench/reference/app.py), same run:")
    for ours, reference, half in pairs_of:
        print(
            f"  {ours.name}: {ours.rate:.0f} req/s vs {reference.rate:.0f} req/s = "
            f"{ours.rate / reference.rate:.2f}x (target >= 0.8); p50 {ours.percentile(0.5):.1f} "
            f"vs {reference.percentile(0.5):.1f} ms; at half the reference's rate "
            f"({half.rate:.0f} req/s) p99 {half.percentile(0.99):.1f} ms (target < 50)"
        )
    if warnings:
        print(f"gunicorn/app logs: {len(warnings)} line(s), the last: {warnings[-1][:300]}")


def profile(arguments: argparse.Namespace) -> None:
    """Each Pairwise path in-process with Flask's test client: timed, then under pyinstrument."""
    from pyinstrument import Profiler

    backend = backends()
    secret = secrets.token_urlsafe(48)
    env = service_env(backend, secret, "http://localhost")
    count = arguments.requests
    try:
        upgrade(env)
        # The test client speaks http://, so the session cookie must not be Secure here.
        app = app_for(backend, secret, "http://localhost", SESSION_COOKIE_SECURE=False)
        prepared = prepare(app, 2 * count + 20)
        kind = database_kind(app)
        client = app.test_client()
        page = client.get(f"/s/{prepared.survey_tokens[0]}").get_data(as_text=True)
        csrf = CSRF.search(page).group(1)
        survey_tokens = iter(prepared.survey_tokens)
        pair_ids = iter(prepared.transition_pairs)
        headers = {"Authorization": f"Bearer {prepared.token}"}
        flag = json.loads(FLAG_RISK)
        paths: dict[str, tuple[Callable[[], object], int]] = {
            "survey page, GET /s/<token>": (
                lambda: client.get(f"/s/{prepared.survey_tokens[-1]}"),
                200,
            ),
            "survey submission, POST /s/<token>": (
                lambda: client.post(
                    f"/s/{next(survey_tokens)}", data={"csrf_token": csrf, **CALM_MENTEE_CHECKIN}
                ),
                303,
            ),
            "transition, POST /api/v1/pairs/<id>/transitions": (
                lambda: client.post(
                    f"/api/v1/pairs/{next(pair_ids)}/transitions", json=flag, headers=headers
                ),
                200,
            ),
        }
        statements = Counter()
        with app.app_context():
            from service.database import db

            engine = db.engine

        @sa.event.listens_for(engine, "before_cursor_execute")
        def _count(connection, cursor, statement, parameters, context, executemany) -> None:
            statements[statement.split(None, 1)[0].upper()] += 1

        print(f"machine: {describe(backend.database_url)}")
        print(f"database: {kind}; {backend.redis_kind}; in-process, Flask test client")
        for name, (call, expected) in paths.items():
            for _ in range(10):
                assert call().status_code == expected, name
            timings = []
            statements.clear()
            for _ in range(count):
                began = time.perf_counter()
                response = call()
                timings.append(time.perf_counter() - began)
                assert response.status_code == expected, (name, response.status_code)
            per_request = ", ".join(
                f"{kind} {number / count:.1f}" for kind, number in statements.most_common()
            )
            profiler = Profiler(interval=0.0005)
            profiler.start()
            for _ in range(count):
                call()
            profiler.stop()
            print(
                f"\n== {name}: {count} requests, mean {statistics.mean(timings) * 1000:.2f} ms, "
                f"median {statistics.median(timings) * 1000:.2f} ms (without the profiler); "
                f"SQL statements per request: {per_request}"
            )
            text = profiler.output_text(
                unicode=True, color=False, processor_options={"filter_threshold": 0.02}
            )
            print("\n".join(text.splitlines()[: arguments.lines]))
            flat = profiler.output_text(unicode=True, color=False, flat=True)
            print("-- most self time:")
            print("\n".join(line for line in flat.splitlines()[:40] if line.strip())[:4000])
    finally:
        backend.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="measured, per workload")
    parser.add_argument("--warmup", type=float, default=2.0, help="before each measurement")
    parser.add_argument("--concurrency", type=int, default=8, help="client processes")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument(
        "--rounds",
        type=int,
        default=4,
        help="Pairwise and the reference measured in this many alternating rounds, "
        "--seconds in all",
    )
    parser.add_argument(
        "--pool",
        type=int,
        default=0,
        help="invitations and pairs made beforehand (default: 700 per second of load)",
    )
    parser.add_argument("--profile", action="store_true", help="in-process, under pyinstrument")
    parser.add_argument("--requests", type=int, default=300, help="with --profile, per path")
    parser.add_argument("--lines", type=int, default=70, help="with --profile, of each tree")
    arguments = parser.parse_args()
    if arguments.profile:
        profile(arguments)
    else:
        measure(arguments)


if __name__ == "__main__":
    main()
