"""Other services follow the pairs through signed webhooks (Standard Webhooks)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from standardwebhooks.webhooks import Webhook

from service.database import db
from service.events.catalog import public_event_types
from service.events.models import OutboxEvent

CONFIDENTIAL_KEYS = {"answers", "reason", "email", "full_name", "body", "notes", "story"}


def _register(api, receiver, **fields) -> dict:
    return api.ok("post", "/webhooks", {"url": receiver.url, **fields}, status=201)


def _walk_keys(value) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _walk_keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _walk_keys(v)}
    return set()


def _drive_through_the_lifecycle(world, api) -> dict:
    pair = world.drive_to("at_risk")
    api.ok("post", f"/pairs/{pair['id']}/interventions", {"description": "Called both"})
    api.trigger(pair["id"], "resolve")
    final = (datetime.now(UTC) + timedelta(days=3)).date().isoformat()
    proposal = api.trigger(pair["id"], "begin_closure", final_session_on=final).get_json()
    world.approve(proposal["proposal"]["id"])
    world.log_meeting(pair["id"], occurred_at=datetime.now(UTC).isoformat(), is_final_session=True)
    closed = api.trigger(pair["id"], "close")
    assert closed.get_json()["pair"]["state"] == "closed", closed.get_json()
    return pair


def test_a_receiver_gets_every_event_once_signed_in_pair_order_and_without_secrets(
    app, api, world, receiver, webhook_settings, drain
):
    endpoint = _register(api, receiver, description="data warehouse")
    pair = _drive_through_the_lifecycle(world, api)
    other = world.drive_to("active", mentee_index=1, mentor_index=1)

    drain()

    verifier = Webhook(endpoint["secret"])
    seen: dict[str, dict] = {}
    for request in receiver.requests:
        payload = verifier.verify(request.body, request.headers)
        seen.setdefault(request.headers["webhook-id"], payload)
    with app.app_context():
        expected = set(
            db.session.scalars(
                sa.select(OutboxEvent.event_id).where(OutboxEvent.type.in_(public_event_types()))
            )
        )
    assert set(seen) == expected
    assert len(receiver.requests) == len(expected)
    for pair_id in (pair["id"], other["id"]):
        sequences = [
            p["data"]["pair_sequence"] for p in seen.values() if p["data"]["pair_id"] == pair_id
        ]
        assert sequences == sorted(sequences) == list(range(1, len(sequences) + 1))
    types = {p["type"] for p in seen.values()}
    assert {
        "pair.created",
        "pair.transitioned",
        "proposal.created",
        "proposal.decided",
        "pair.closed",
        "meeting.logged",
    } <= types
    for payload in seen.values():
        assert not _walk_keys(payload["data"]) & CONFIDENTIAL_KEYS, payload


def test_a_transition_webhook_says_from_to_trigger_and_actor_kind(
    api, world, receiver, webhook_settings, drain
):
    endpoint = _register(api, receiver, event_types=["pair.transitioned"])
    pair = world.drive_to("active")

    drain()

    payloads = [Webhook(endpoint["secret"]).verify(r.body, r.headers) for r in receiver.requests]
    assert [p["type"] for p in payloads] == ["pair.transitioned"] * 3
    last = payloads[-1]["data"]
    assert last["pair"]["id"] == pair["id"]
    assert (last["transition"]["from"], last["transition"]["to"]) == ("training", "active")
    assert last["transition"]["trigger"] == "activate"
    assert last["transition"]["actor_kind"] == "token"


def test_a_receiver_failing_twice_gets_the_event_on_the_third_attempt_with_the_same_id(
    api, world, receiver, webhook_settings, drain
):
    endpoint = _register(api, receiver, event_types=["pair.created"])
    receiver.answer(500, 500)
    world.new_pair()

    drain()

    assert [r.headers["webhook-id"] for r in receiver.requests] == [
        receiver.requests[0].headers["webhook-id"]
    ] * 3
    (delivery,) = api.ok("get", f"/webhooks/{endpoint['id']}/deliveries")["items"]
    assert delivery["status"] == "delivered"
    assert delivery["attempts"] == 3
    log = api.ok("get", f"/webhook-deliveries/{delivery['id']}")["attempt_log"]
    assert [a["status_code"] for a in log] == [500, 500, 200]
    assert all(a["latency_ms"] >= 0 for a in log)


def test_a_410_gone_disables_the_endpoint_and_tells_the_admins(
    app, api, world, receiver, webhook_settings, drain
):
    from service.accounts import service as accounts
    from service.inbox.models import InboxItem

    with app.app_context():
        admin_id = accounts.create(email="ada@example.org", full_name="Ada", role="admin").id
    endpoint = _register(api, receiver)
    receiver.answer(410)
    world.new_pair()

    drain()

    assert len(receiver.requests) == 1
    state = api.ok("get", f"/webhooks/{endpoint['id']}")
    assert state["enabled"] is False
    assert "410" in state["disabled_reason"]
    with app.app_context():
        (item,) = db.session.scalars(sa.select(InboxItem).where(InboxItem.user_id == admin_id))
        assert item.kind == "webhook_disabled"


def test_retry_after_is_honoured_when_longer_than_the_schedule(
    app, api, world, receiver, webhook_settings, drain
):
    endpoint = _register(api, receiver, event_types=["pair.created"])
    receiver.answer((503, {"Retry-After": "120"}))
    world.new_pair()

    drain()

    (delivery,) = api.ok("get", f"/webhooks/{endpoint['id']}/deliveries")["items"]
    assert delivery["status"] == "pending"
    waits = datetime.fromisoformat(delivery["next_attempt_at"]) - datetime.now(UTC)
    assert timedelta(seconds=100) < waits <= timedelta(seconds=120)


def test_a_redirect_is_not_followed_and_counts_as_a_failure(
    api, world, receiver, webhook_settings, drain, monkeypatch, app
):
    monkeypatch.setitem(app.config, "WEBHOOK_RETRY_SCHEDULE", [3600.0])
    endpoint = _register(api, receiver, event_types=["pair.created"])
    receiver.answer((302, {"Location": "http://169.254.169.254/latest/meta-data"}))
    world.new_pair()

    drain()

    assert len(receiver.requests) == 1
    (delivery,) = api.ok("get", f"/webhooks/{endpoint['id']}/deliveries")["items"]
    assert delivery["last_error"] == "HTTP 302: redirects are not followed"


def test_an_endpoint_that_gives_up_marks_the_delivery_failed_and_it_can_be_redelivered(
    api, world, receiver, webhook_settings, drain, monkeypatch, app
):
    monkeypatch.setitem(app.config, "WEBHOOK_RETRY_SCHEDULE", [0.0])
    endpoint = _register(api, receiver, event_types=["pair.created"])
    receiver.answer(500, 500)
    world.new_pair()
    drain()
    (delivery,) = api.ok("get", f"/webhooks/{endpoint['id']}/deliveries")["items"]
    assert delivery["status"] == "failed"

    api.ok("post", f"/webhook-deliveries/{delivery['id']}/redeliver", status=202)
    drain()

    assert len(receiver.requests) == 3
    assert len({r.headers["webhook-id"] for r in receiver.requests}) == 1
    log = api.ok("get", f"/webhook-deliveries/{delivery['id']}")["attempt_log"]
    assert [(a["status_code"], a["manual"]) for a in log] == [
        (500, False),
        (500, False),
        (200, True),
    ]


def test_every_failed_delivery_in_a_time_range_is_redelivered(
    api, world, receiver, webhook_settings, drain, monkeypatch, app
):
    monkeypatch.setitem(app.config, "WEBHOOK_RETRY_SCHEDULE", [])
    endpoint = _register(api, receiver, event_types=["pair.created"])
    receiver.answer(500, 500)
    world.new_pair(0)
    world.new_pair(1)
    drain()
    start = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    end = (datetime.now(UTC) + timedelta(hours=1)).isoformat()

    result = api.ok(
        "post", f"/webhooks/{endpoint['id']}/redeliver-failed", {"since": start, "until": end}
    )
    drain()

    assert result == {"redelivered": 2}
    statuses = {
        d["status"] for d in api.ok("get", f"/webhooks/{endpoint['id']}/deliveries")["items"]
    }
    assert statuses == {"delivered"}


def test_after_a_rotation_deliveries_carry_both_signatures_for_a_day(
    api, world, receiver, webhook_settings, drain
):
    endpoint = _register(api, receiver, event_types=["pair.created"])
    rotated = api.ok("post", f"/webhooks/{endpoint['id']}/rotate-secret")
    world.new_pair()

    drain()

    (request,) = receiver.requests
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    Webhook(endpoint["secret"]).verify(request.body, request.headers)
    Webhook(rotated["secret"]).verify(request.body, request.headers)
    assert rotated["secret"] != endpoint["secret"]
    expires = datetime.fromisoformat(rotated["previous_secret_expires_at"])
    assert timedelta(hours=23) < expires - datetime.now(UTC) <= timedelta(hours=24)


def test_an_endpoint_only_gets_the_event_types_it_asked_for(
    api, world, receiver, webhook_settings, drain
):
    _register(api, receiver, event_types=["pair.closed"])
    world.drive_to("active")

    drain()

    assert receiver.requests == []


def test_a_disabled_endpoint_gets_nothing(api, world, receiver, webhook_settings, drain):
    endpoint = _register(api, receiver)
    api.ok("patch", f"/webhooks/{endpoint['id']}", {"enabled": False})
    world.new_pair()

    drain()

    assert receiver.requests == []


def test_the_body_is_the_standard_webhooks_envelope(api, world, receiver, webhook_settings, drain):
    _register(api, receiver, event_types=["pair.created"])
    pair = world.new_pair()

    drain()

    body = json.loads(receiver.requests[0].body)
    assert set(body) == {"type", "timestamp", "data"}
    assert body["type"] == "pair.created"
    assert body["data"]["pair"]["id"] == pair["id"]
    assert body["data"]["pair_sequence"] == 1
    assert receiver.requests[0].headers["webhook-id"] == body["data"]["event_id"]


def test_an_endpoint_failing_for_days_is_disabled_and_its_owner_and_the_admins_are_told(
    app, api, world, receiver, webhook_settings, drain, mailbox
):
    from service.accounts import service as accounts
    from service.webhooks.models import Endpoint

    with app.app_context():
        accounts.create(email="ada@example.org", full_name="Ada Admin", role="admin")
    endpoint = _register(api, receiver, event_types=["pair.created"])
    with app.app_context():
        db.session.get(Endpoint, endpoint["id"]).failing_since = datetime.now(UTC) - timedelta(
            days=5, minutes=1
        )
        db.session.commit()
    receiver.answer(500)
    world.new_pair()

    drain()

    state = api.ok("get", f"/webhooks/{endpoint['id']}")
    assert state["enabled"] is False
    assert state["disabled_reason"].startswith("failing since ")
    (message,) = mailbox.to("ada@example.org")
    assert f"Webhook endpoint {endpoint['id']} is disabled" in message["Subject"]


def test_a_success_clears_the_failing_streak(api, world, receiver, webhook_settings, drain):
    endpoint = _register(api, receiver, event_types=["pair.created"])
    receiver.answer(500)
    world.new_pair()

    drain()

    state = api.ok("get", f"/webhooks/{endpoint['id']}")
    assert state["enabled"] is True
    assert state["failing_since"] is None
