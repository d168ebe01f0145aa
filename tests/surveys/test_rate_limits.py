"""Survey pages are rate limited per client: over the limit, a page saying how long to wait,
with Retry-After; other participants go on."""

from __future__ import annotations

from datetime import timedelta

import time_machine

from service.clock import now
from tests.helpers import SurveyTaker, invite
from tests.helpers.forms import csrf_token_in

PHONE = "203.0.113.50"
ANOTHER_PHONE = "198.51.100.60"


def _link(api, world) -> str:
    pair = world.drive_to("active")
    return invite(api, "checkin_mentee", pair["mentee_id"], pair["id"])["url"]


def _from(app, url: str, address: str) -> SurveyTaker:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return SurveyTaker(client, url)


def test_a_client_opening_survey_pages_too_fast_is_asked_to_wait(app, api, world, monkeypatch):
    monkeypatch.setitem(app.config, "LIMIT_SURVEY", "3 per minute")
    url = _link(api, world)
    taker = _from(app, url, PHONE)
    assert [taker.open().status_code for _ in range(3)] == [200, 200, 200]

    response = taker.open()

    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= 60
    page = response.get_data(as_text=True)
    assert "<h1>Please wait a moment</h1>" in page
    assert "Please wait a minute, then go back and try again." in page
    assert _from(app, url, ANOTHER_PHONE).open().status_code == 200


def test_a_limited_submission_stores_nothing(app, api, world, monkeypatch):
    monkeypatch.setitem(app.config, "LIMIT_SURVEY", "1 per minute")
    url = _link(api, world)
    taker = _from(app, url, PHONE)
    token = taker.csrf_token()  # the one request allowed

    response = taker.submit({"meetings_held": "3"}, token=token)

    assert response.status_code == 429
    monkeypatch.setitem(app.config, "LIMIT_SURVEY", "10 per minute")
    assert taker.open().status_code == 200  # still unanswered


def test_asking_for_fresh_links_is_limited_per_client(app, api, world, monkeypatch):
    monkeypatch.setitem(app.config, "LIMIT_SURVEY_NEW_LINK", "1 per hour")
    taker = _from(app, _link(api, world), PHONE)
    with time_machine.travel(now() + timedelta(days=15)):
        page = taker.open().get_data(as_text=True)
        token = csrf_token_in(page, "the expired link's page")
        first = taker.client.post(f"{taker.path}/new-link", data={"csrf_token": token})
        second = taker.client.post(f"{taker.path}/new-link", data={"csrf_token": token})

    assert first.status_code == 200
    assert second.status_code == 429
    assert 60 < int(second.headers["Retry-After"]) <= 3600
