"""Health, readiness, metrics and request ids: what an operator's tools read."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from service.database import db
from service.observability import logs
from tests.helpers.servers import local_http, start_gunicorn, stop


def test_healthz_answers_without_dependencies(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_readyz_is_ready_when_database_redis_and_migrations_are(client):
    response = client.get("/readyz")

    assert response.status_code == 200
    body = response.get_json()
    assert body["checks"]["database"]["ok"] and body["checks"]["redis"]["ok"]


@contextmanager
def _schema_at(app, version: str) -> Iterator[None]:
    """The database claims to be at `version` for a while."""

    def set_version(value: str) -> None:
        db.session.execute(sa.text("UPDATE alembic_version SET version_num = :v"), {"v": value})
        db.session.commit()

    with app.app_context():
        current = db.session.scalar(sa.text("SELECT version_num FROM alembic_version"))
        set_version(version)
    try:
        yield
    finally:
        with app.app_context():
            set_version(current)


def test_readyz_is_503_while_the_schema_is_behind_the_code(app, client):
    with _schema_at(app, "0001"):
        response = client.get("/readyz")

    assert response.status_code == 503
    assert "run `pairwise db upgrade`" in response.get_json()["checks"]["database"]["detail"]


def test_readyz_is_503_when_redis_is_unreachable(app, client, monkeypatch):
    monkeypatch.setitem(app.extensions, "pairwise.redis", __import__("redis").Redis(port=1))

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.get_json()["checks"]["redis"]["ok"] is False


def test_readyz_says_why_redis_is_unreachable(app, client, monkeypatch):
    monkeypatch.setitem(app.extensions, "pairwise.redis", __import__("redis").Redis(port=1))

    detail = client.get("/readyz").get_json()["checks"]["redis"]["detail"]

    assert detail.startswith("unreachable: ")
    assert "connecting to localhost:1" in detail


def test_a_request_id_is_answered_and_a_given_one_is_kept(client):
    assert re.fullmatch(r"[0-9a-f]{32}", client.get("/healthz").headers["X-Request-ID"])
    given = client.get("/healthz", headers={"X-Request-ID": "trace-abc-12345"})
    assert given.headers["X-Request-ID"] == "trace-abc-12345"
    bad = client.get("/healthz", headers={"X-Request-ID": "<script>"})
    assert bad.headers["X-Request-ID"] != "<script>"


def test_json_logs_carry_the_request_id():
    record = logging.LogRecord("pairwise.test", logging.INFO, __file__, 1, "hello", (), None)
    handler = logging.StreamHandler()
    from pythonjsonlogger.json import JsonFormatter

    handler.setFormatter(JsonFormatter("{levelname}{message}{request_id}", style="{"))
    with logs.request_id_context("req-1234567890"):
        logs.RequestIdFilter().filter(record)
    line = json.loads(handler.format(record))

    assert line["request_id"] == "req-1234567890"
    assert line["message"] == "hello"


def test_metrics_expose_pairs_per_state_and_queue_depths(api, world, client):
    world.drive_to("active")

    text = client.get("/metrics").get_data(as_text=True)

    assert 'pairwise_pairs{state="active"} 1.0' in text
    assert re.search(r'pairwise_queue_depth\{queue="pairwise"\} \d', text)
    assert "pairwise_jobs_failed" in text
    assert "pairwise_webhook_deliveries" in text


@pytest.mark.slow
def test_request_counts_add_up_across_gunicorn_processes(service_env, tmp_path):
    env = {**service_env, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    process, base = start_gunicorn(env, workers=3)
    try:
        with local_http(base_url=base) as http:
            for _ in range(30):
                http.get("/healthz", headers={"Connection": "close"})
            scrapes = [http.get("/metrics").text for _ in range(3)]
    finally:
        stop(process)

    pattern = (
        r"pairwise_http_request_duration_seconds_count"
        r'\{endpoint="health.healthz",method="GET",status="200"\} (\d+)'
    )
    counts = [float(re.search(pattern, scrape).group(1)) for scrape in scrapes]
    assert all(count >= 30 for count in counts)
    assert len(set(counts)) == 1


def test_readyz_stays_ready_when_a_newer_release_has_migrated_already(app, client):
    with _schema_at(app, "9999"):
        response = client.get("/readyz")

    assert response.status_code == 200
    assert "newer than this code" in response.get_json()["checks"]["database"]["detail"]


def test_the_request_id_follows_a_change_into_the_jobs_it_causes(
    app, api, world, drain, monkeypatch
):
    from service.events import subscribers

    seen: list[str | None] = []
    monkeypatch.setattr(
        subscribers, "_subscribers", {"*": [lambda event: seen.append(logs.current_request_id())]}
    )

    response = api.client.post(
        "/api/v1/pairs",
        json={"program_id": world.program["id"], "mentee_id": world.mentees[0]["id"]},
        headers={"X-Request-ID": "crm-import-000042", **api._headers()},
    )
    drain()

    assert response.headers["X-Request-ID"] == "crm-import-000042"
    assert seen == ["crm-import-000042"]
