"""`pairwise run` brings up everything a newcomer needs on one machine."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import httpx
import pytest

from service.worker import process_gone
from tests.helpers.servers import free_port, repository_root, wait_for_http

pytestmark = pytest.mark.long(40)


@pytest.mark.slow
def test_pairwise_run_serves_the_api_with_an_embedded_redis_and_a_worker(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "PUBLIC_URL")
    }
    env["PAIRWISE_INSTANCE_PATH"] = str(tmp_path / "instance")
    port = free_port()

    def pairwise(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "service.cli", *args],
            env=env,
            cwd=repository_root(),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    pairwise("db", "upgrade")
    token = pairwise("create-token", "--name", "newcomer", "--all").strip()
    # Started as a shell starts a background job (`pairwise run &`): with SIGINT ignored,
    # which a process inherits. Ctrl-C (SIGINT) must stop it all the same.
    server = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "run", "--port", str(port)],
        env=env,
        cwd=repository_root(),
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{base}/", server, timeout=60)
        http = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"})
        program = http.post("/api/v1/programs", json={"name": "First"}).json()
        mentee = http.post(
            "/api/v1/participants",
            json={
                "program_id": program["id"],
                "role": "mentee",
                "full_name": "M",
                "email": "m@example.org",
            },
        ).json()
        pair = http.post(
            "/api/v1/pairs", json={"program_id": program["id"], "mentee_id": mentee["id"]}
        )
        assert pair.status_code == 201
        assert "1 pair" in httpx.get(f"{base}/").text
        # The worker's relay publishes the event and the worker handles it.
        deadline = time.monotonic() + 120
        while "handled" not in _outbox_state(env):
            assert time.monotonic() < deadline, "the worker did not handle the event"
            time.sleep(0.5)
    finally:
        children = _children(server.pid)
        server.send_signal(signal.SIGINT)
        _, stderr = server.communicate(timeout=30)
    assert "Started an embedded Redis at unix://" in stderr
    socket_path = stderr.split("unix://", 1)[1].split()[0]
    assert not os.path.exists(socket_path), "the embedded Redis was left running"
    left = [pid for pid in children if not process_gone(pid)]
    assert left == [], "a process it started was left running"


def _outbox_state(env: dict[str, str]) -> str:
    # The database file `pairwise run` made, read directly: a process importing the app for
    # each look would take seconds on a busy machine.
    database = Path(env["PAIRWISE_INSTANCE_PATH"]) / "pairwise.db"
    with closing(sqlite3.connect(database, timeout=10)) as connection:
        (handled,) = connection.execute(
            "select count(*) from outbox_events where handled_at is not null"
        ).fetchone()
    return "handled" if handled else "waiting"


def _children(pid: int) -> list[int]:
    listed = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(child) for child in listed.split()]
