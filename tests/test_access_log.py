"""A survey link is a credential: logs name its route (`/s/<token>`), never the token - in
gunicorn's access and error logs, in `pairwise run`'s request lines, in the app's own logs
and in the metrics."""

from __future__ import annotations

import logging
import subprocess
import sys

import httpx
import pytest

from service.web import credentials
from tests.helpers import invite
from tests.helpers.servers import free_port, repository_root, wait_for_http

pytestmark = pytest.mark.slow


@pytest.fixture
def link(api, world) -> tuple[str, str]:
    """A live survey link: its path and its token."""
    pair = world.drive_to("active")
    url = invite(api, "checkin_mentee", pair["mentee_id"], pair["id"])["url"]
    path = "/s/" + url.rsplit("/s/", 1)[1]
    return path, path.removeprefix("/s/")


def _visit(base: str, path: str, token: str) -> None:
    """What a participant's browser and a careless client do with a link."""
    with httpx.Client(base_url=base, timeout=10) as http:
        assert http.get(path, headers={"Referer": f"{base}{path}"}).status_code == 200
        http.get(f"{path}/received")
        http.post(f"{path}/new-link")
        http.get(f"{path}/", headers={"Referer": f"{base}{path}?token={token}"})
        http.get(f"/api/v1/pairs?token={token}")
        http.get("/static/pairwise.css", headers={"Referer": f"{base}{path}"})


def test_gunicorn_logs_the_route_of_a_survey_link_never_its_token(service_env, link, tmp_path):
    path, token = link
    port = free_port()
    env = {**service_env, "PAIRWISE_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "1"}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    out, err = tmp_path / "stdout", tmp_path / "stderr"
    with out.open("w") as stdout, err.open("w") as stderr:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "service.wsgi:app"],
            env=env,
            cwd=repository_root(),
            stdout=stdout,
            stderr=stderr,
        )
        try:
            wait_for_http(f"http://127.0.0.1:{port}/healthz", server)
            _visit(f"http://127.0.0.1:{port}", path, token)
        finally:
            server.terminate()
            server.wait(timeout=30)
    logged = out.read_text() + err.read_text()

    assert '"GET /s/<token> HTTP/1.1" 200' in logged
    assert '"POST /s/<token>/new-link HTTP/1.1"' in logged
    assert "token=<redacted>" in logged
    assert token not in logged


def test_pairwise_run_logs_the_route_of_a_survey_link_never_its_token(service_env, link):
    path, token = link
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "run", "--no-worker", "--port", str(port)],
        env=service_env,
        cwd=repository_root(),
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for_http(f"http://127.0.0.1:{port}/healthz", server, timeout=60)
        _visit(f"http://127.0.0.1:{port}", path, token)
    finally:
        server.terminate()
        _, logged = server.communicate(timeout=30)

    assert '"GET /s/<token> HTTP/1.1" 200' in logged
    assert token not in logged


def test_an_error_on_a_survey_page_is_logged_with_the_route(client, link, monkeypatch, caplog):
    path, token = link

    def broken(invitation):
        raise RuntimeError(f"cannot read the survey of {path}")

    monkeypatch.setattr("service.surveys.views._context", broken)

    with caplog.at_level(logging.ERROR):
        response = client.get(path)

    assert response.status_code == 500
    assert "unhandled error on GET /s/<token>" in caplog.text
    handler = logging.StreamHandler()
    handler.addFilter(credentials.CredentialFilter())
    for record in caplog.records:
        handler.filter(record)
        assert token not in record.getMessage() + (record.exc_text or "")


def test_the_metrics_name_the_survey_route_not_the_token(client, link):
    path, token = link
    client.get(path)

    metrics = client.get("/metrics").get_data(as_text=True)

    assert 'endpoint="surveys.show"' in metrics
    assert token not in metrics
