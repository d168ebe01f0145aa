"""When the database connection dies, the answer is honest: a 503 that says nothing was
changed only when nothing was, and never a plain 500 page."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import flask
import pytest
import sqlalchemy as sa

from service import create_app
from service.database import db
from service.pairs.models import Intervention
from tests.helpers import SurveyTaker, invite
from tests.helpers.faults import PG_COMMIT, PG_COMMIT_DONE, lossy_proxy
from tests.helpers.state import TEST_SECRET

NOTE = {"description": "Called the mentor about the missed meetings.", "approach": "individual"}


@pytest.fixture
def postgresql(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip(
            "needs a connection to lose between the app and its database: SQLite runs in this "
            "process (the lost answer in tests/api/test_idempotency.py covers SQLite)"
        )


def _interventions(app, pair_id: int) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).where(Intervention.pair_id == pair_id))


def _kill(app, dbapi_connection) -> None:
    """End a connection from outside, as a restarted or failed-over database does."""
    if db.engine.dialect.name != "postgresql":
        dbapi_connection.close()  # SQLite: the connection is in this process
        return
    admin = sa.create_engine(db.engine.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        pid = dbapi_connection.info.backend_pid
        connection.execute(sa.text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid})
    admin.dispose()


def _pooled_connections(app) -> list:
    """Every connection idle in this app's pool (and only this app's: the suite's live
    server shares the database and must keep its own)."""
    held = [db.engine.connect() for _ in range(db.engine.pool.checkedin())]
    try:
        return [connection.connection.dbapi_connection for connection in held]
    finally:
        for connection in held:
            connection.close()


@contextmanager
def connection_dies_after_the_answer(app) -> Iterator[None]:
    """The request's connection dies once its answer is made, before the request ends."""

    def kill(sender, response, **extra):
        session = db.session()
        if session.in_transaction():
            _kill(app, session.connection().connection.dbapi_connection)

    flask.request_finished.connect(kill, app)
    try:
        yield
    finally:
        flask.request_finished.disconnect(kill, app)


def test_an_api_answer_stands_when_the_connection_dies_before_the_request_ends(app, api, world):
    pair = world.new_pair()
    with connection_dies_after_the_answer(app):
        response = api.get(f"/pairs/{pair['id']}")
    assert response.status_code == 200
    assert response.get_json()["id"] == pair["id"]


def test_a_console_page_stands_when_the_connection_dies_before_the_request_ends(
    app, world, console_as, make_staff
):
    pair = world.new_pair()
    console = console_as(make_staff("admin"))
    with connection_dies_after_the_answer(app):
        page = console.get(f"/console/pairs/{pair['id']}")
    assert page.status_code == 200
    assert f"Pair #{pair['id']}" in page.get_data(as_text=True)


def test_a_survey_page_stands_when_the_connection_dies_before_the_request_ends(
    app, api, world, client
):
    pair = world.drive_to("active")
    link = invite(api, "checkin_mentee", pair["mentee_id"], pair["id"])["url"]
    with connection_dies_after_the_answer(app):
        page = SurveyTaker(client, link).open()
    assert page.status_code == 200
    assert 'name="csrf_token"' in page.get_data(as_text=True)


def test_a_failure_after_commit_never_says_nothing_was_changed(app, api, world, postgresql):
    pair = world.drive_to("at_risk")
    api.get("/pairs")  # the token's last use is noted; from here on, only the request writes
    engine = _engine(app)
    armed = {"commit": False}

    @sa.event.listens_for(db.session, "after_commit")
    def arm(session):
        armed["commit"] = True

    @sa.event.listens_for(engine, "before_cursor_execute")
    def kill_the_next_statement(connection, cursor, statement, *args):
        if armed.pop("commit", False):
            _kill(app, connection.connection.dbapi_connection)

    try:
        response = api.post(f"/pairs/{pair['id']}/interventions", NOTE)
    finally:
        sa.event.remove(db.session, "after_commit", arm)
        sa.event.remove(engine, "before_cursor_execute", kill_the_next_statement)

    assert _interventions(app, pair["id"]) == 1  # it was saved
    assert response.status_code == 503
    body = response.get_json()
    assert body["type"] == "/problems/outcome-unknown"
    assert "nothing was changed" not in body["detail"]
    assert "Idempotency-Key" in body["detail"]


def _engine(app) -> sa.Engine:
    with app.app_context():
        return db.engine


def test_a_commit_whose_acknowledgement_is_lost_is_unknown_and_a_retry_creates_one_row(
    app, api, world, database_url, postgresql
):
    pair = world.drive_to("at_risk")
    url = sa.make_url(database_url)
    with lossy_proxy(url.host or "127.0.0.1", url.port or 5432) as proxy:
        proxied = url.set(host="127.0.0.1", port=proxy.port, query={"sslmode": "disable"})
        proxied_app = create_app(
            {
                "PAIRWISE_ENV": "test",
                "SECRET_KEY": TEST_SECRET,
                "SQLALCHEMY_DATABASE_URI": proxied.render_as_string(hide_password=False),
                "REDIS_URL": app.config["REDIS_URL"],
                "PUBLIC_URL": app.config["PUBLIC_URL"],
            }
        )
        client = proxied_app.test_client()
        headers = {"Authorization": f"Bearer {api.token}", "Idempotency-Key": str(uuid.uuid4())}
        path = f"/api/v1/pairs/{pair['id']}/interventions"
        # PostgreSQL commits the intervention; its acknowledgement never reaches the app.
        proxy.lose_reply_to(PG_COMMIT, after=b"response_body=", reply_marker=PG_COMMIT_DONE)
        lost = client.post(path, json=NOTE, headers=headers)
        assert proxy.lost.is_set()
        retried = client.post(path, json=NOTE, headers=headers)
        with proxied_app.app_context():
            db.engine.dispose()

    assert lost.status_code == 503
    assert lost.get_json()["type"] == "/problems/outcome-unknown"
    assert "nothing was changed" not in lost.get_json()["detail"]
    assert retried.status_code == 201
    assert retried.headers["Idempotent-Replayed"] == "true"
    assert _interventions(app, pair["id"]) == 1


def test_a_failure_before_commit_says_nothing_was_changed_even_under_an_idempotency_key(
    app, api, world, postgresql
):
    pair = world.drive_to("at_risk")
    engine = _engine(app)

    @sa.event.listens_for(engine, "before_cursor_execute")
    def kill_the_insert(connection, cursor, statement, *args):
        if statement.startswith("INSERT INTO interventions"):
            _kill(app, connection.connection.dbapi_connection)

    try:
        response = api.client.post(
            f"/api/v1/pairs/{pair['id']}/interventions",
            json=NOTE,
            headers={"Authorization": f"Bearer {api.token}", "Idempotency-Key": "key-1"},
        )
    finally:
        sa.event.remove(engine, "before_cursor_execute", kill_the_insert)

    assert response.status_code == 503
    assert response.get_json()["type"] == "/problems/service-unavailable"
    assert _interventions(app, pair["id"]) == 0
    retried = api.client.post(
        f"/api/v1/pairs/{pair['id']}/interventions",
        json=NOTE,
        headers={"Authorization": f"Bearer {api.token}", "Idempotency-Key": "key-1"},
    )
    assert retried.status_code == 201  # the key was freed: the retry does the work
    assert _interventions(app, pair["id"]) == 1


def test_connections_the_database_dropped_while_pooled_cost_one_refused_request(
    app, api, world, postgresql
):
    """No ping before each transaction (PAIRWISE_DATABASE_PRE_PING is off): after a restart
    the first request finds its pooled connection dead and is refused as changing nothing;
    the pool is renewed with it, and the next request is served."""
    pair = world.new_pair()
    assert api.get(f"/pairs/{pair['id']}").status_code == 200
    with app.app_context():
        for dbapi_connection in _pooled_connections(app):
            _kill(app, dbapi_connection)

    refused = api.get(f"/pairs/{pair['id']}")
    assert refused.status_code == 503, refused.get_json()
    assert "nothing was changed" in refused.get_json()["detail"]
    served = api.get(f"/pairs/{pair['id']}")
    assert served.status_code == 200
    assert served.get_json()["id"] == pair["id"]
