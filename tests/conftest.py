"""Fixtures: a real database and a real Redis for every test.

With DATABASE_URL pointing at PostgreSQL, the suite runs in a fresh database created
beside it (and dropped afterwards); otherwise in a SQLite file. With REDIS_URL, the
suite uses that Redis and flushes its database before each test; otherwise it starts
an embedded redis-server for the session.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade
from redis import Redis

from service import create_app
from service.database import db
from service.embedded_redis import EmbeddedRedis
from tests.helpers import Api, World

# Fixtures shared by every folder: a webhook receiver, staff and their console sessions.
from tests.receiver import receiver  # noqa: F401
from tests.staff import console_as, make_staff  # noqa: F401

TEST_SECRET = "test-secret-" + "x" * 40


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    configured = os.environ.get("DATABASE_URL", "")
    if not configured.startswith(("postgres://", "postgresql")):
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'pairwise-test.db'}"
        return
    base = sa.engine.make_url(configured.replace("postgres://", "postgresql://", 1))
    base = base.set(drivername="postgresql+psycopg")
    name = f"pairwise_test_{secrets.token_hex(4)}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield base.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    configured = os.environ.get("REDIS_URL")
    if configured:
        yield configured
        return
    with EmbeddedRedis() as server:
        yield server.url


@pytest.fixture
def flaky_redis(tmp_path: Path) -> Iterator[EmbeddedRedis]:
    """A real Redis on a TCP port of its own, keeping an append-only file as production's
    does, which a test may stop and start again (never the shared one)."""
    data = tmp_path / "flaky-redis-data"
    data.mkdir()
    server = EmbeddedRedis(tmp_path / "flaky-redis", port=free_port(), data_directory=data)
    (tmp_path / "flaky-redis").mkdir()
    server.start()
    yield server
    server.stop()


class Inbox:
    """What a real SMTP server on localhost received."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.messages.append(message_from_bytes(envelope.content, policy=default_policy))
        return "250 Message accepted"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield inbox, controller.port
    controller.stop()


@pytest.fixture
def mailbox(smtp_server) -> Inbox:
    inbox, _ = smtp_server
    inbox.messages.clear()
    return inbox


@pytest.fixture(scope="session")
def app(
    database_url: str,
    redis_url: str,
    smtp_server: tuple[Inbox, int],
    tmp_path_factory: pytest.TempPathFactory,
) -> Flask:
    os.environ["PAIRWISE_INSTANCE_PATH"] = str(tmp_path_factory.mktemp("instance"))
    app = create_app(
        {
            "PAIRWISE_ENV": "test",
            "TESTING": True,
            "SECRET_KEY": TEST_SECRET,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "REDIS_URL": redis_url,
            "PUBLIC_URL": "http://pairwise.test",
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": smtp_server[1],
            "MAIL_FROM": "Pairwise <noreply@pairwise.test>",
        }
    )
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
    return app


@pytest.fixture(autouse=True)
def _clean_state(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every test starts with empty tables and an empty Redis database."""
    if "app" not in request.fixturenames:
        yield
        return
    app: Flask = request.getfixturevalue("app")
    with app.app_context():
        tables = [t for t in db.metadata.sorted_tables if t.name != "alembic_version"]
        if db.engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            db.session.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(tables):
                db.session.execute(table.delete())
        db.session.commit()
        db.engine.dispose()
    Redis.from_url(app.config["REDIS_URL"]).flushdb()
    yield


@pytest.fixture
def app_context(app: Flask) -> Iterator[None]:
    with app.app_context():
        yield


@pytest.fixture
def client(app: Flask):
    return app.test_client()


@pytest.fixture
def make_token(app: Flask):
    from service.tokens import service as tokens

    def make(*scopes: str, name: str | None = None) -> str:
        with app.app_context():
            _, raw = tokens.create(name=name or f"token-{secrets.token_hex(3)}", scopes=scopes)
        return raw

    return make


@pytest.fixture
def api(client, make_token) -> Api:
    """A client holding a token with every scope but admin."""
    from service.tokens.service import SCOPES

    return Api(client, make_token(*(s for s in SCOPES if s != "admin")))


@pytest.fixture
def admin_api(client, make_token) -> Api:
    return Api(client, make_token("admin"))


@pytest.fixture
def world(api: Api) -> World:
    """A program with mentors and mentees, built through the API."""
    return World.build(api)


@pytest.fixture
def drain(app: Flask):
    """Run the background side until it is idle: relay the outbox, then a burst worker."""
    from rq import Queue

    from service.queue import queue_names
    from service.scheduler import tick
    from service.worker import run_worker

    def run() -> None:
        connection = Redis.from_url(app.config["REDIS_URL"])
        for _ in range(20):
            with app.app_context():
                relayed = tick(app, holder="tests")
            waiting = sum(len(Queue(name, connection=connection)) for name in queue_names(app))
            if not relayed and not waiting:
                return
            run_worker(app, burst=True, with_clock=False)
        raise AssertionError("the background side did not settle")

    return run


@pytest.fixture
def service_env(app: Flask, database_url: str, redis_url: str) -> dict[str, str]:
    """The environment a subprocess needs to reach this test's database and Redis."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=str(app.config["SMTP_PORT"]),
        MAIL_FROM=app.config["MAIL_FROM"],
        SECRET_KEY=TEST_SECRET,
        PAIRWISE_ENV="test",
        PUBLIC_URL="http://pairwise.test",
        PAIRWISE_INSTANCE_PATH=app.instance_path,
    )
    return env


def repository_root() -> Path:
    return Path(__file__).resolve().parent.parent


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_http(url: str, process, timeout: float = 30.0) -> None:
    import time

    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args} exited with {process.returncode}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


@pytest.fixture
def live_server(service_env: dict[str, str]) -> Iterator[str]:
    """The app under gunicorn with four worker processes, on this test's database."""
    import subprocess
    import sys

    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        "4",
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        "service.wsgi:app",
    ]
    process = subprocess.Popen(command, env=service_env, cwd=repository_root())
    try:
        wait_for_http(f"http://127.0.0.1:{port}/", process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)
