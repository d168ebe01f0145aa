"""The production topology from local processes: two gunicorn instances, three RQ workers and
one scheduler on PostgreSQL and Redis. 100 pairs go through their lifecycles with requests
spread over both instances; every transition, invitation e-mail and webhook happens once."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from itertools import cycle

import httpx
import pytest
import sqlalchemy as sa
from standardwebhooks.webhooks import Webhook

from service.database import db
from service.events.catalog import public_event_types
from service.events.models import OutboxEvent
from service.notifications.models import Notification
from service.webhooks.models import Delivery
from tests.helpers.servers import (
    free_port,
    gunicorn_command,
    local_http,
    repository_root,
    wait_for_http,
)

PAIRS = 100
# The titles of the surveys the pairs are invited to, as their e-mails' subjects begin.
CHECK_IN = "How is mentoring going?"
REFLECTION = "Looking back on your mentoring"
LIFECYCLE = [
    "match",
    "start_training",
    "activate",
    "flag_risk",
    "resolve",
    "begin_closure",
    "close",
]

pytestmark = [pytest.mark.slow, pytest.mark.long(40)]


@pytest.fixture
def topology(database_url, service_env, receiver):
    if not database_url.startswith("postgresql"):
        pytest.skip("the multi-machine topology runs on PostgreSQL (CI runs it)")
    env = {
        **service_env,
        "PAIRWISE_WEBHOOK_ALLOW": "127.0.0.1",
        "PAIRWISE_WEBHOOK_RETRY_SCHEDULE": "1s,1s,1s",
        "PAIRWISE_LOG_FORMAT": "json",
        "LOG_LEVEL": "WARNING",
        # One token drives 200 pairs through their lives as fast as it can: a load test,
        # not an integration the per-token limit is meant to slow.
        "PAIRWISE_LIMIT_API": "100000 per minute",
    }
    ports = [free_port(), free_port()]
    commands = [gunicorn_command(port, workers=2) for port in ports]
    commands += [[sys.executable, "-m", "service.cli", "worker", "--no-clock"]] * 3
    commands += [[sys.executable, "-m", "service.cli", "scheduler"]]
    processes = [
        subprocess.Popen(command, env=env, cwd=repository_root(), stderr=subprocess.DEVNULL)
        for command in commands
    ]
    try:
        for port, process in zip(ports, processes, strict=False):
            # Six processes start at once on two cores: on a busy machine that takes time.
            wait_for_http(f"http://127.0.0.1:{port}/healthz", process, timeout=120)
        yield [f"http://127.0.0.1:{port}/api/v1" for port in ports]
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=60)


def _ok(response: httpx.Response, *statuses: int) -> dict:
    assert response.status_code in (statuses or (200, 201)), response.text
    return response.json()


def _walk(clients: list[httpx.Client], program: dict, mentor: dict, mentee: dict) -> int:
    """One pair through its lifecycle, each request on the next instance in turn."""
    turn = cycle(clients)
    pair = _ok(
        next(turn).post("/pairs", json={"program_id": program["id"], "mentee_id": mentee["id"]})
    )
    pid = pair["id"]

    def trigger(name: str, **body) -> dict:
        return _ok(
            next(turn).post(f"/pairs/{pid}/transitions", json={"trigger": name, **body}), 200, 202
        )

    trigger("match", mentor_id=mentor["id"])
    for role in ("mentor", "mentee"):
        _ok(next(turn).post(f"/pairs/{pid}/acceptances", json={"role": role}))
    trigger("start_training")
    trigger("activate")
    _ok(
        next(turn).post(
            "/invitations",
            json={
                "survey_key": "checkin_mentee",
                "participant_id": mentee["id"],
                "pair_id": pid,
                "send_email": True,
            },
        ),
        201,
    )
    trigger("flag_risk", signals=["missed_meetings"])
    _ok(next(turn).post(f"/pairs/{pid}/interventions", json={"description": "Called both"}))
    trigger("resolve")
    final = (date.today() + timedelta(days=7)).isoformat()
    proposed = trigger("begin_closure", final_session_on=final)
    _ok(next(turn).post(f"/proposals/{proposed['proposal']['id']}/approve", json={}))
    _ok(
        next(turn).post(
            f"/pairs/{pid}/meetings",
            json={
                "occurred_at": datetime.now(UTC).isoformat(),
                "status": "held",
                "is_final_session": True,
                "duration_minutes": 60,
                "attendees": ["mentor", "mentee"],
            },
        )
    )
    trigger("close")
    return pid


def _settled(app) -> bool:
    with app.app_context():
        unhandled = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(OutboxEvent)
            .where(OutboxEvent.handled_at.is_(None))
        )
        open_deliveries = db.session.scalar(
            sa.select(sa.func.count()).select_from(Delivery).where(Delivery.status != "delivered")
        )
        unsent = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Notification)
            .where(Notification.status != "sent")
        )
        db.session.remove()
    return unhandled == 0 and open_deliveries == 0 and unsent == 0


def test_two_instances_three_workers_and_a_scheduler_do_everything_exactly_once(
    app, topology, make_token, receiver, mailbox
):
    from service.tokens.service import SCOPES

    token = make_token(*SCOPES)
    clients = [
        local_http(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30)
        for base in topology
    ]
    endpoint = _ok(clients[0].post("/webhooks", json={"url": receiver.url}), 201)
    program = _ok(
        clients[1].post(
            "/programs",
            # One service plays every part here, approving its own proposals too.
            json={
                "name": "Topology",
                "approval_required": ["begin_closure"],
                "allow_self_approval": True,
            },
        )
    )

    def person(index: int, role: str) -> dict:
        client = clients[index % 2]
        found = _ok(
            client.post(
                "/participants",
                json={
                    "program_id": program["id"],
                    "role": role,
                    "full_name": f"{role} {index}",
                    "email": f"{role}-{index}@example.org",
                },
            )
        )
        for session in program["required_training"].get(role, []):
            _ok(
                client.post(
                    f"/participants/{found['id']}/training",
                    json={"session": session, "completed_on": date.today().isoformat()},
                )
            )
        return found

    with ThreadPoolExecutor(max_workers=8) as pool:
        mentors = list(pool.map(lambda i: person(i, "mentor"), range(PAIRS)))
        mentees = list(pool.map(lambda i: person(i, "mentee"), range(PAIRS)))
        pair_ids = list(
            pool.map(lambda i: _walk(clients, program, mentors[i], mentees[i]), range(PAIRS))
        )

    deadline = time.monotonic() + 180
    while not _settled(app):
        assert time.monotonic() < deadline, "the background side did not settle in 3 minutes"
        time.sleep(1)

    # Every transition once, in order, for every pair.
    for pid in pair_ids:
        history = _ok(clients[0].get(f"/pairs/{pid}/history"))["items"]
        assert [r["trigger"] for r in history] == LIFECYCLE, pid
    # Every invitation e-mailed once: the mentee's check-in, and the closure reflection to
    # both, sent when the final session was logged.
    invited = [
        (m["To"], m["Subject"].split(" - ")[0])
        for m in mailbox.messages
        if "/s/" in m.get_body(("plain",)).get_content()
    ]
    assert Counter(invited) == Counter(
        [(f"mentee-{i}@example.org", CHECK_IN) for i in range(PAIRS)]
        + [
            (f"{role}-{i}@example.org", REFLECTION)
            for role in ("mentee", "mentor")
            for i in range(PAIRS)
        ]
    )
    # Every public event handled once and delivered once, signed, in per-pair order.
    with app.app_context():
        expected = set(
            db.session.scalars(
                sa.select(OutboxEvent.event_id).where(OutboxEvent.type.in_(public_event_types()))
            )
        )
    verifier = Webhook(endpoint["secret"])
    ids = [r.headers["webhook-id"] for r in receiver.requests]
    assert Counter(ids) == Counter(expected)
    by_pair: dict[int, list[int]] = {}
    for request in receiver.requests:
        data = verifier.verify(request.body, request.headers)["data"]
        if data["pair_id"] is not None:
            by_pair.setdefault(data["pair_id"], []).append(data["pair_sequence"])
    for sequences in by_pair.values():
        assert sequences == sorted(sequences)
    assert json.loads(receiver.requests[0].body)["type"]
