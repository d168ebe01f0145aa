"""Webhook fan-out: how fast K events reach a receiver, through the relay, the consumer and
three workers, and how much memory the workers hold meanwhile.

    python bench/webhooks.py                   # 2,000 events; SQLite in a temp file, embedded Redis
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test REDIS_URL=redis://127.0.0.1:6379/9 \\
        python bench/webhooks.py --events 2000
    python bench/webhooks.py --events 2000 --endpoints 10 --rss-every 5   # 20,000 deliveries
    python bench/webhooks.py --profile-workers     # workers under pyinstrument; profiles kept
    python bench/webhooks.py --keep-logs           # the processes' logs kept: their timelines

First, with nothing running in the background, the endpoints are registered (paths of one
local asyncio server speaking HTTP/1.1 with keep-alive, answering 200 at once) and K
events are written through the service functions: pairs created (pair.created) and matched
(pair.transitioned), two events a pair, so each pair's second delivery waits for its first,
as ordering per pair requires. Then three `pairwise worker --no-clock` and one `pairwise
scheduler` start: the clock relays the outbox to the event queue every second, a worker's
consumer turns each event into a delivery per endpoint, the clock enqueues delivery jobs
while deliveries are due, and each job claims batches of them. Measured: deliveries per
second from the first to the last receipt, and from starting the four processes (their
start-up included) until every row of `webhook_deliveries` is `delivered`; each worker's
resident memory (RSS) when the first delivery arrived, at its peak and at the end; the
workers' CPU time from the first receipt to the end, per request received.

The reference, from the same run: the same number of requests sent to the same receiver by
as many client processes as there are workers, each through a kept-alive urllib3 pool (as
the workers send) and the same number of threads a worker gives an endpoint; no database,
no queue, no signing. Pairwise / reference is what the bookkeeping costs.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import asyncio
import os
import secrets
import signal
import subprocess
import threading
import time
from collections import Counter
from datetime import UTC, datetime

import sqlalchemy as sa
from cryptography.fernet import Fernet

from bench.machine import idle_share, print_setting
from bench.requests_per_second import ROOT, app_for, backends, database_kind, service_env, upgrade
from bench.sweep import participant_rows


class Receiver:
    """A webhook receiver on 127.0.0.1 that notes when each webhook-id arrived, and where.

    HTTP/1.1 with keep-alive on asyncio, in a thread of its own: it reads a request's head,
    its body by Content-Length, and answers 200 at once. Python's ThreadingHTTPServer took
    only 400-550 requests a second on the 2-core box, less than the workers can send, so the
    benchmark measured the receiver; this one takes several thousand.
    """

    def __init__(self) -> None:
        self.arrivals: list[float] = []
        self.ids: Counter = Counter()
        self._loop = asyncio.new_event_loop()
        started = threading.Event()
        self._server: asyncio.Server | None = None

        def serve() -> None:
            asyncio.set_event_loop(self._loop)
            self._server = self._loop.run_until_complete(
                asyncio.start_server(self._connection, "127.0.0.1", 0, backlog=256)
            )
            started.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=serve, daemon=True)
        self._thread.start()
        started.wait()
        assert self._server is not None
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}/hook"

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                request_line, *lines = head.decode("latin-1").split("\r\n")
                headers = {}
                for line in lines:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
                await reader.readexactly(int(headers.get("content-length") or 0))
                self.arrivals.append(time.monotonic())
                path = request_line.split(" ")[1]
                self.ids[(headers.get("webhook-id"), path)] += 1
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    def close(self) -> None:
        def stop() -> None:
            assert self._server is not None
            self._server.close()
            self._loop.stop()

        self._loop.call_soon_threadsafe(stop)
        self._thread.join(timeout=10)


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


def write_handled_events(events: int, per_pair: int) -> int:
    """For --deliveries-only: pairs made, then `per_pair`
    events each (numbered after the pair's own), already handled, and a pending delivery of
    each to every endpoint, written in bulk: what the consumer leaves behind. The pairs' own
    events are marked published and handled, so nothing else is delivered."""
    from service.actors import system
    from service.database import db
    from service.events.models import OutboxEvent
    from service.pairs import service as pairs
    from service.pairs.models import Pair
    from service.participants.models import Participant
    from service.programs import service as programs
    from service.webhooks.models import Delivery, Endpoint

    program = programs.create(name="Webhook benchmark")
    count = max(1, events // per_pair)
    moment = datetime.now(UTC)
    table = Participant.__table__
    ids = db.session.scalars(
        sa.insert(table).returning(table.c.id, sort_by_parameter_order=True),
        participant_rows(program.id, range(count), moment),
    ).all()
    db.session.commit()
    # One pair through the service functions, the others copies of its row in bulk (each with
    # its own mentee): creating a thousand pairs one by one takes minutes on a busy machine.
    mentees = ids[0::2][:count]
    template = pairs.create(program_id=program.id, mentee_id=mentees[0], actor=system("bench"))
    columns = Pair.__table__.c
    row = db.session.execute(sa.select(Pair.__table__).where(columns.id == template.id)).one()
    fields = {key: value for key, value in row._asdict().items() if key != "id"}
    copies = [{**fields, "mentee_id": mentee_id} for mentee_id in mentees[1:]]
    pair_ids = [template.id]
    if copies:
        pair_ids += db.session.scalars(
            sa.insert(Pair.__table__).returning(columns.id, sort_by_parameter_order=True), copies
        ).all()
    db.session.execute(
        sa.update(OutboxEvent).values(published_at=moment, handled_at=moment, position=None)
    )
    endpoint_ids = db.session.scalars(sa.select(Endpoint.id)).all()
    rows, deliveries = [], []
    for n in range(events):
        pair_id, sequence = pair_ids[n % count], 1000 + n // count
        event_id = f"evt_bench_{n:08d}"
        rows.append(
            {
                "event_id": event_id,
                "type": "pair.transitioned",
                "pair_id": pair_id,
                "pair_sequence": sequence,
                "payload": {"pair": {"id": pair_id}, "transition": {"trigger": "bench"}},
                "occurred_at": moment,
                "published_at": moment,
                "handled_at": moment,
            }
        )
        deliveries += [
            {
                "endpoint_id": endpoint_id,
                "event_id": event_id,
                "event_type": "pair.transitioned",
                "pair_id": pair_id,
                "pair_sequence": sequence,
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": moment,
                "created_at": moment,
                "manual": False,
            }
            for endpoint_id in endpoint_ids
        ]
    db.session.execute(sa.insert(OutboxEvent), rows)
    db.session.execute(sa.insert(Delivery), deliveries)
    db.session.commit()
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


REFERENCE_CLIENT = """
import sys
from concurrent.futures import ThreadPoolExecutor
import urllib3
url, count, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
address = urllib3.util.parse_url(url)
body = b'{"type":"pair.created","data":{}}'.ljust(600)
pool = urllib3.HTTPConnectionPool(
    address.host, address.port, maxsize=threads, block=True, retries=False
)
def post(n):
    try:
        pool.request("POST", address.path, body=body, headers={"webhook-id": f"{n}"})
    except urllib3.exceptions.HTTPError:
        pass
with ThreadPoolExecutor(threads) as threads_:
    list(threads_.map(post, range(count)))
"""


def reference(requests: int, processes: int, threads: int) -> float:
    """Requests per second, first to last receipt, of plain clients sending as the workers do
    (urllib3, kept-alive, as many threads) with nothing else to do."""
    receiver = Receiver()
    try:
        clients = [
            subprocess.Popen(
                [sys.executable, "-c", REFERENCE_CLIENT, receiver.url, str(share), str(threads)]
            )
            for share in _shares(requests, processes)
        ]
        for client in clients:
            client.wait(timeout=300)
    finally:
        receiver.close()
    arrivals = sorted(receiver.arrivals)
    return (len(arrivals) - 1) / (arrivals[-1] - arrivals[0])


def _shares(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if n < total % parts else 0) for n in range(parts)]


def rss_mb(pid: int) -> float | None:
    """Resident memory of a process, in MB (Linux)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def cpu_seconds(pid: int) -> float | None:
    """User and system CPU time a process has used so far, in seconds (Linux)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class MemoryWatch:
    """Samples the workers' RSS twice a second while they run, and their CPU time."""

    def __init__(self, pids: list[int], started: float) -> None:
        self.samples: list[tuple[float, list[float | None]]] = []
        self.cpu: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._pids = pids
        self._started = started
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            moment = time.monotonic() - self._started
            self.samples.append((moment, [rss_mb(pid) for pid in self._pids]))
            spent = [cpu_seconds(pid) for pid in self._pids]
            if all(value is not None for value in spent):
                self.cpu.append((moment, sum(value or 0 for value in spent)))
            self._stop.wait(0.5)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def at(self, moment: float) -> list[float | None]:
        """The first sample at or after `moment` (seconds after the start)."""
        for when, values in self.samples:
            if when >= moment:
                return values
        return self.samples[-1][1]

    def peak(self) -> list[float]:
        return [max((values[n] or 0) for _, values in self.samples) for n in range(len(self._pids))]


def _mb(values: list[float | None]) -> str:
    return ", ".join("-" if value is None else f"{value:.0f}" for value in values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--endpoints", type=int, default=1, help="each gets every event")
    parser.add_argument("--workers", type=int, default=3, help="pairwise worker --no-clock")
    parser.add_argument("--timeout", type=float, default=600, help="give up after (seconds)")
    parser.add_argument(
        "--rss-every", type=float, default=0, help="print the workers' RSS every N seconds"
    )
    parser.add_argument(
        "--profile-workers",
        action="store_true",
        help="run the workers under pyinstrument (0.5 ms interval), to see what it costs in RSS",
    )
    parser.add_argument(
        "--deliveries-only",
        action="store_true",
        help="the delivery stage alone: events written handled, their deliveries pending",
    )
    parser.add_argument(
        "--per-pair", type=int, default=20, help="with --deliveries-only: events per pair"
    )
    parser.add_argument(
        "--no-reference", action="store_true", help="skip the reference (plain clients)"
    )
    parser.add_argument(
        "--keep-logs", action="store_true", help="keep the processes' logs (printed where)"
    )
    arguments = parser.parse_args()

    try:
        from service.webhooks.senders import PER_ENDPOINT
    except ImportError:  # the one-delivery-per-job design, measured for comparison
        PER_ENDPOINT = 1

    idle = idle_share()
    # Production settings need a key for the endpoint secrets; the processes inherit it.
    os.environ.setdefault("PAIRWISE_ENCRYPTION_KEYS", Fernet.generate_key().decode())
    backend = backends()
    secret = secrets.token_urlsafe(48)
    env = service_env(backend, secret, "http://127.0.0.1")
    env["PAIRWISE_WEBHOOK_ALLOW"] = "127.0.0.1"
    receiver = Receiver()
    processes: list[subprocess.Popen] = []
    watch = None
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
            for n in range(arguments.endpoints):
                webhooks.register(url=f"{receiver.url}/{n}", actor=system("webhook benchmark"))
            began = time.perf_counter()
            if arguments.deliveries_only:
                pair_count = write_handled_events(arguments.events, arguments.per_pair)
            else:
                pair_count = write_events(arguments.events)
            written = time.perf_counter() - began
            events = db.session.scalar(
                sa.select(sa.func.count(OutboxEvent.id)).where(
                    OutboxEvent.event_id.startswith("evt_bench_")
                )
                if arguments.deliveries_only
                else sa.select(sa.func.count(OutboxEvent.id))
            )
            db.session.commit()
        expected = events * arguments.endpoints

        def worker(n: int) -> list[str]:
            command = ["-m", "service.cli", "worker", "--no-clock", "--name", f"bench-{n}"]
            if not arguments.profile_workers:
                return [sys.executable, *command]
            # The main thread's profile, as text, kept with the logs.
            report = str(backend.instance / f"profile-{n}.txt")
            return [sys.executable, "-m", "pyinstrument", "-i", "0.0005", "-o", report, *command]

        commands = [worker(n) for n in range(arguments.workers)] + [
            [sys.executable, "-m", "service.cli", "scheduler"]
        ]
        started = time.monotonic()
        for n, command in enumerate(commands):
            with (backend.instance / f"process-{n}.log").open("wb") as log:
                processes.append(
                    subprocess.Popen(
                        command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
                    )
                )
        watch = MemoryWatch([process.pid for process in processes[:-1]], started)
        finished = None
        seen = Counter()
        printed = 0.0
        with app.app_context():
            while time.monotonic() - started < arguments.timeout:
                seen = statuses()
                if seen["delivered"] >= expected:
                    finished = time.monotonic()
                    break
                if any(process.poll() is not None for process in processes):
                    raise RuntimeError("a worker or the scheduler exited early: see its log")
                elapsed = time.monotonic() - started
                if arguments.rss_every and elapsed - printed >= arguments.rss_every:
                    printed = elapsed
                    print(
                        f"  {elapsed:5.0f} s: {seen['delivered']:>7,} delivered; worker RSS MB: "
                        f"{_mb(watch.samples[-1][1])}",
                        flush=True,
                    )
                time.sleep(0.1)
        watch.stop()
        stop(processes)
        processes = []
        done = finished is not None
    finally:
        if watch is not None:
            watch.stop()
        stop(processes)
        receiver.close()
        backend.close(keep_logs=arguments.keep_logs or arguments.profile_workers or not done)

    arrivals = sorted(receiver.arrivals)
    print_setting(backend.database_url, kind, backend.redis_kind, idle)
    how = (
        f"{pair_count:,} pairs created through the service functions, {arguments.per_pair} "
        f"events each written handled with their deliveries pending (the delivery stage "
        f"alone), in {written:.1f} s"
        if arguments.deliveries_only
        else f"{pair_count:,} pairs created and matched through the service functions in "
        f"{written:.1f} s"
    )
    print(
        f"events: {events:,} ({how}); {arguments.endpoints} endpoint(s), each a path of one "
        f"asyncio receiver on 127.0.0.1 (HTTP/1.1): {expected:,} deliveries"
    )
    profiled = " under pyinstrument (0.5 ms)" if arguments.profile_workers else ""
    print(
        f"processes: {arguments.workers} x `pairwise worker --no-clock`{profiled}, 1 x "
        f"`pairwise scheduler`, on the same {os.cpu_count()} cores as the database and the "
        f"receiver; up to {PER_ENDPOINT} requests at once per endpoint and worker"
    )
    if finished is None:
        print(f"NOT FINISHED after {arguments.timeout:g} s: deliveries {dict(seen)}")
        return
    total = finished - started
    print(
        f"all {seen['delivered']:,} deliveries delivered {total:.1f} s after the processes "
        f"started: {seen['delivered'] / total:,.0f} deliveries/s (process start-up included)"
    )
    rate = None
    if len(arrivals) > 1:
        span = arrivals[-1] - arrivals[0]
        rate = (len(arrivals) - 1) / span
        print(
            f"first receipt {arrivals[0] - started:.1f} s after the start, last "
            f"{arrivals[-1] - started:.1f} s: {rate:,.0f} deliveries/s first to last receipt"
        )
    repeats = sum(number - 1 for number in receiver.ids.values() if number > 1)
    print(
        f"receiver: {len(arrivals):,} requests, {len(receiver.ids):,} distinct (webhook-id, "
        f"endpoint), {repeats} repeated; deliveries by status: {dict(seen)}"
    )
    if watch.samples:
        first = watch.at(arrivals[0] - started) if arrivals else watch.samples[0][1]
        print(
            f"worker RSS MB at the first delivery: {_mb(first)}; peak: {_mb(watch.peak())}; "
            f"at the end: {_mb(watch.samples[-1][1])}"
        )
    if watch.cpu and arrivals:
        first_cpu = next((c for when, c in watch.cpu if when >= arrivals[0] - started), 0.0)
        spent = watch.cpu[-1][1] - first_cpu
        print(
            f"workers' CPU time from the first receipt to the end: {spent:.1f} s, "
            f"{spent * 1000 / len(arrivals):.2f} ms per request received (all three; the "
            f"consumer's share included when it overlaps)"
        )
    if not arguments.no_reference and rate:
        capacity = reference(len(arrivals), arguments.workers, PER_ENDPOINT)
        print(
            f"reference, same run: {len(arrivals):,} requests to the same receiver from "
            f"{arguments.workers} plain client processes x {PER_ENDPOINT} threads (kept-alive "
            f"urllib3; no database, queue or signing): {capacity:,.0f} requests/s; "
            f"fan-out / reference = {rate / capacity:.2f}"
        )


if __name__ == "__main__":
    main()
