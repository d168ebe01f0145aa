"""The API is rate limited per token, and inbound events per source: over the limit, a 429
problem document with Retry-After, and nothing done."""

from __future__ import annotations

import pytest

from tests.helpers import Api
from tests.helpers.inbound import StandardSender, meeting_event


@pytest.fixture
def source(admin_api) -> dict:
    return admin_api.ok(
        "post", "/inbound-sources", {"slug": "school-calendar", "name": "School calendar"}
    )


def _assert_rate_limited(response) -> None:
    assert response.status_code == 429
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["type"] == "/problems/rate-limited"
    assert 0 < int(response.headers["Retry-After"]) <= 60
    assert problem["retry_after"] == int(response.headers["Retry-After"])


def test_a_token_over_its_limit_gets_429_and_others_go_on(client, make_token, monkeypatch, app):
    monkeypatch.setitem(app.config, "LIMIT_API", "3 per minute")
    busy, calm = Api(client, make_token("pairs:read")), Api(client, make_token("pairs:read"))

    statuses = [busy.get("/pairs").status_code for _ in range(3)]

    assert statuses == [200, 200, 200]
    _assert_rate_limited(busy.get("/pairs"))
    assert calm.get("/pairs").status_code == 200


def test_a_limited_write_changes_nothing(client, make_token, monkeypatch, app):
    monkeypatch.setitem(app.config, "LIMIT_API", "1 per minute")
    api = Api(client, make_token("programs:read", "programs:write"))
    api.ok("post", "/programs", {"name": "First"})

    _assert_rate_limited(api.post("/programs", {"name": "Second"}))

    monkeypatch.setitem(app.config, "LIMIT_API", "10 per minute")
    assert [p["name"] for p in api.ok("get", "/programs")["items"]] == ["First"]


def test_a_source_over_its_limit_gets_429_and_others_go_on(
    client, admin_api, source, monkeypatch, app
):
    other = admin_api.ok("post", "/inbound-sources", {"slug": "club-diary", "name": "Club"})
    monkeypatch.setitem(app.config, "LIMIT_INBOUND", "2 per minute")
    busy, calm = StandardSender(client, source), StandardSender(client, other)

    statuses = [busy.post(meeting_event("held", pair_id=999)).status_code for _ in range(2)]

    assert statuses == [202, 202]
    _assert_rate_limited(busy.post(meeting_event("held", pair_id=999)))
    assert calm.post(meeting_event("held", pair_id=999)).status_code == 202


def test_unsigned_requests_never_use_up_a_sources_allowance(client, source, monkeypatch, app):
    monkeypatch.setitem(app.config, "LIMIT_INBOUND", "2 per minute")
    sender = StandardSender(client, source)
    forged = [
        sender.post(meeting_event("held", pair_id=999), secret="whsec_" + "A" * 32).status_code
        for _ in range(5)
    ]

    assert forged == [401] * 5
    assert sender.post(meeting_event("held", pair_id=999)).status_code == 202
