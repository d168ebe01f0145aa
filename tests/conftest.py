"""Fixtures: a real database and a real Redis for every test.

With DATABASE_URL pointing at PostgreSQL, the suite runs in a fresh database created
beside it (and dropped afterwards); otherwise in a SQLite file. With REDIS_URL, the
suite uses that Redis and flushes its database before each test; otherwise it starts
an embedded redis-server for the session.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import sqlalchemy as sa
import time_machine
from flask import Flask
from flask_migrate import upgrade

from service import create_app
from service.embedded_redis import EmbeddedRedis
from tests.helpers import Api, World
from tests.helpers import state as test_state
from tests.helpers.mail import Inbox
from tests.helpers.receiver import Receiver, running_receiver
from tests.helpers.servers import free_port, start_gunicorn, stop
from tests.helpers.staff import Console, Staff, create_staff, signed_in
from tests.helpers.state import TEST_SECRET


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Modules marked `long(seconds)` first, longest first; the rest in pytest-randomly's
    order. xdist hands modules out in this order (--no-loadscope-reorder), so the longest
    run while the many short ones fill in around them, and both workers finish together."""

    def longest_first(item: pytest.Item) -> float:
        long = item.get_closest_marker("long")
        return -long.args[0] if long else 0

    items.sort(key=longest_first)


@pytest.fixture(scope="session")
def worker_index() -> int:
    """Which of pytest-xdist's workers this is (0 without xdist): each has a database, a
    Redis database, an SMTP server and a live server of its own."""
    return int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw"))


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory, worker_index: int) -> Iterator[str]:
    configured = os.environ.get("DATABASE_URL", "")
    if not configured.startswith(("postgres://", "postgresql")):
        # In memory-backed files where the machine has them: a commit there skips the disk's
        # flush (2 ms each here), and the suite commits tens of thousands of times.
        in_memory = Path("/dev/shm")
        if in_memory.is_dir() and os.access(in_memory, os.W_OK):
            folder = Path(tempfile.mkdtemp(prefix="pairwise-test-", dir=in_memory))
            yield f"sqlite:///{folder / 'pairwise-test.db'}"
            shutil.rmtree(folder, ignore_errors=True)
        else:
            yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'pairwise-test.db'}"
        return
    base = sa.engine.make_url(configured.replace("postgres://", "postgresql://", 1))
    base = base.set(drivername="postgresql+psycopg")
    # Beside the database named, one per worker (`test_gw0`, `test_gw1`), made afresh: a run
    # that was killed may have left its own behind.
    name = f"{base.database or 'pairwise'}_gw{worker_index}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    # Commits don't wait for the server's disk flush: nothing here must survive a crash of
    # the database server, and the suite commits tens of thousands of times.
    fast = base.set(database=name).update_query_dict({"options": "-csynchronous_commit=off"})
    yield fast.render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def redis_url(worker_index: int) -> Iterator[str]:
    """REDIS_URL's database number plus the worker's index (redis://…/6 gives workers 6 and
    7), which the suite flushes before every test; without REDIS_URL, an embedded Redis."""
    configured = os.environ.get("REDIS_URL")
    if configured:
        url = urlsplit(configured)
        number = int(url.path.strip("/") or 0) + worker_index
        yield urlunsplit(url._replace(path=f"/{number}"))
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
    test_state.reset(request.getfixturevalue("app"))
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
    return lambda: test_state.drain(app)


@pytest.fixture(scope="session")
def _service_environment(app: Flask, database_url: str, redis_url: str) -> dict[str, str]:
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


@pytest.fixture
def service_env(_service_environment: dict[str, str]) -> dict[str, str]:
    """The environment a subprocess needs to reach this test's database and Redis (a copy
    the test may change)."""
    return dict(_service_environment)


@pytest.fixture(scope="session")
def live_server(_service_environment: dict[str, str]) -> Iterator[str]:
    """The app under gunicorn with two worker processes (more than one, as in production), on
    the suite's database: started once for the session; each test still starts from empty
    tables and an empty Redis."""
    process, url = start_gunicorn(_service_environment)
    try:
        yield url
    finally:
        stop(process)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A real HTTP receiver on localhost where webhooks arrive, scripted per test."""
    with running_receiver() as box:
        yield box


@pytest.fixture
def make_staff(app: Flask) -> Callable[..., Staff]:
    """Staff made as `pairwise create-user` makes them: make_staff(role, name)."""
    return lambda role="coordinator", name=None: create_staff(app, role, name)


@pytest.fixture
def console_as(app: Flask) -> Callable[[Staff], Console]:
    """A signed-in console session of the staff member given."""
    return lambda staff: signed_in(app, staff)


# The demo generator draws its history back from today, so a test that checks what a
# history shows statistically would check a different history each day (a test tuned on one
# day failed on the next). Such modules run on this day, the clock moving from it.
HISTORY_DAY = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def history_day() -> Iterator[None]:
    with time_machine.travel(HISTORY_DAY, tick=True):
        yield
