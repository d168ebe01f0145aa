"""Webhook fan-out: how fast K events reach a receiver, through the relay, the consumer and
three workers.

    python bench/webhooks.py                   # 2,000 events; SQLite in a temp file, embedded Redis
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test REDIS_URL=redis://127.0.0.1:6379/9 \\
        python bench/webhooks.py --events 2000

First, with nothing running in the background, one endpoint is registered (a local
ThreadingHTTPServer answering 200 at once) and K events are written through the service
functions: pairs created (pair.created) and matched (pair.transitioned), two events a pair,
so each pair's second delivery waits for its first, as ordering per pair requires. Then three
`pairwise worker --no-clock` and one `pairwise scheduler` start: the clock relays the outbox to
the event queue every second, a worker's consumer turns each event into a delivery, the clock
enqueues the due deliveries (up to 500 a tick), and the workers deliver them, each job going
on with the same pair's next delivery. Measured: events delivered per second from the first
to the last receipt, and from starting the four processes (their start-up included) until
every row of `webhook_deliveries` is `delivered`.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import os
import secrets
import signal
import subprocess
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import sqlalchemy as sa
from cryptography.fernet import Fernet

from bench.machine import idle_share, print_setting
from bench.requests_per_second import ROOT, app_for, backends, database_kind, service_env, upgrade
from bench.sweep import participant_rows


class Receiver:
    """A webhook receiver on 127.0.0.1 that notes when each webhook-id arrived."""

    def __init__(self) -> None:
        self.arrivals: list[float] = []
        self.ids: Counter = Counter()
        lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length") or 0))
                with lock:
                    receiver.arrivals.append(time.monotonic())
                    receiver.ids[self.headers.get("webhook-id")] += 1
                self.send_response(200)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def write_events(events: int) -> int:
    """Pairs created and matched through the service functions; returns the pairs made."""
    from service.actors import system
    from service.database import db
    from service.pairs import lifecycle
    from service.pairs import service as pairs
    from service.pairs.facts import TransitionRequest
    from service.participants.models import Participant
    from service.programs import service as programs
    from workflows.pairing import Trigger

    program = programs.create(name="Webhook benchmark")
    count = (events + 1) // 2
    moment = datetime.now(UTC)
    people = participant_rows(program.id, range(count), moment)
    table = Participant.__table__
    ids = db.session.scalars(
        sa.insert(table).returning(table.c.id, sort_by_parameter_order=True), people
    ).all()
    db.session.commit()
    actor = system("webhook benchmark")
    made = 0
    for mentee_id, mentor_id in zip(ids[0::2], ids[1::2], strict=True):
        if made >= events:
            break
        pair = pairs.create(program_id=program.id, mentee_id=mentee_id, actor=actor)
        made += 1
        if made < events:
            match = TransitionRequest(Trigger.MATCH, mentor_id=mentor_id)
            lifecycle.request_transition(pair_id=pair.id, request=match, actor=actor)
            made += 1
    return count


def statuses() -> Counter:
    from service.database import db
    from service.webhooks.models import Delivery

    rows = db.session.execute(
        sa.select(Delivery.status, sa.func.count()).group_by(Delivery.status)
    ).all()
    db.session.commit()
    return Counter({status: number for status, number in rows})


def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=3, help="pairwise worker --no-clock")
    parser.add_argument("--timeout", type=float, default=600, help="give up after (seconds)")
    arguments = parser.parse_args()

    idle = idle_share()
    # Production settings need a key for the endpoint secrets; the processes inherit it.
    os.environ.setdefault("PAIRWISE_ENCRYPTION_KEYS", Fernet.generate_key().decode())
    backend = backends()
    secret = secrets.token_urlsafe(48)
    env = service_env(backend, secret, "http://127.0.0.1")
    env["PAIRWISE_WEBHOOK_ALLOW"] = "127.0.0.1"
    receiver = Receiver()
    processes: list[subprocess.Popen] = []
    done = False
    try:
        upgrade(env)
        app = app_for(backend, secret, "http://127.0.0.1", WEBHOOK_ALLOW="127.0.0.1")
        kind = database_kind(app)
        from service.actors import system
        from service.database import db
        from service.events.models import OutboxEvent
        from service.webhooks import service as webhooks

        with app.app_context():
            webhooks.register(url=receiver.url, actor=system("webhook benchmark"))
            began = time.perf_counter()
            pair_count = write_events(arguments.events)
            written = time.perf_counter() - began
            events = db.session.scalar(sa.select(sa.func.count(OutboxEvent.id)))
            db.session.commit()

        commands = [
            [sys.executable, "-m", "service.cli", "worker", "--no-clock", "--name", f"bench-{n}"]
            for n in range(arguments.workers)
        ] + [[sys.executable, "-m", "service.cli", "scheduler"]]
        started = time.monotonic()
        for n, command in enumerate(commands):
            with (backend.instance / f"process-{n}.log").open("wb") as log:
                processes.append(
                    subprocess.Popen(
                        command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
                    )
                )
        finished = None
        seen = Counter()
        with app.app_context():
            while time.monotonic() - started < arguments.timeout:
                seen = statuses()
                if seen["delivered"] >= events:
                    finished = time.monotonic()
                    break
                if any(process.poll() is not None for process in processes):
                    raise RuntimeError("a worker or the scheduler exited early: see its log")
                time.sleep(0.1)
        stop(processes)
        processes = []
        done = finished is not None
    finally:
        stop(processes)
        receiver.close()
        backend.close(keep_logs=not done)

    arrivals = sorted(receiver.arrivals)
    print_setting(backend.database_url, kind, backend.redis_kind, idle)
    print(
        f"events: {events:,} ({pair_count:,} pairs created and matched through the service "
        f"functions in {written:.1f} s), 1 endpoint: a ThreadingHTTPServer on 127.0.0.1"
    )
    print(
        f"processes: {arguments.workers} x `pairwise worker --no-clock`, 1 x `pairwise "
        f"scheduler`, on the same {os.cpu_count()} cores as the database and the receiver"
    )
    if finished is None:
        print(f"NOT FINISHED after {arguments.timeout:g} s: deliveries {dict(seen)}")
        return
    total = finished - started
    print(
        f"all {seen['delivered']:,} deliveries delivered {total:.1f} s after the processes "
        f"started: {seen['delivered'] / total:,.0f} events/s (process start-up included)"
    )
    if len(arrivals) > 1:
        span = arrivals[-1] - arrivals[0]
        print(
            f"first receipt {arrivals[0] - started:.1f} s after the start, last "
            f"{arrivals[-1] - started:.1f} s: {(len(arrivals) - 1) / span:,.0f} events/s "
            f"first to last receipt"
        )
    repeats = sum(number - 1 for number in receiver.ids.values() if number > 1)
    print(
        f"receiver: {len(arrivals):,} requests, {len(receiver.ids):,} distinct webhook-ids, "
        f"{repeats} repeated; deliveries by status: {dict(seen)}"
    )


if __name__ == "__main__":
    main()
