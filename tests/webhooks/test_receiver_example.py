"""The webhook receiver the documentation offers integrators works with real deliveries."""

from __future__ import annotations

import importlib.util
from types import ModuleType

import pytest

from tests.helpers.servers import repository_root

EXAMPLE = repository_root() / "docs" / "api" / "webhook_receiver.py"


def _example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("webhook_receiver", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def delivered(api, world, receiver, webhook_settings, drain):
    """Real signed deliveries of a pair's events to a real HTTP receiver, and the secret."""
    endpoint = api.ok("post", "/webhooks", {"url": receiver.url}, status=201)
    pair = world.drive_to("at_risk")
    api.ok("post", f"/pairs/{pair['id']}/interventions", {"description": "Called both"})
    api.trigger(pair["id"], "resolve")
    drain()
    assert len(receiver.requests) >= 5
    return endpoint["secret"], receiver.requests


def _post(client, request, body: bytes | None = None):
    return client.post(
        "/pairwise",
        data=request.body if body is None else body,
        headers={name: value for name, value in request.headers.items() if name != "host"},
    )


def test_the_docs_receiver_accepts_each_real_delivery_once_in_pair_order(delivered):
    secret, requests = delivered
    app = _example().create_app(secret)
    client = app.test_client()

    for request in [*requests, requests[0], requests[-1]]:  # two arrive again, as retries do
        assert _post(client, request).status_code == 204

    received = app.config["RECEIVED"]
    assert len(received) == len({r.headers["webhook-id"] for r in requests})
    sequences = [sequence for _, pair_id, sequence in received if pair_id == received[0][1]]
    assert sequences == sorted(sequences) == list(range(1, len(sequences) + 1))


def test_the_docs_receiver_refuses_a_body_changed_on_the_way(delivered):
    secret, requests = delivered
    app = _example().create_app(secret)
    tampered = requests[0].body.replace(b'"pair_id":', b'"pair_id":9', 1)

    answer = _post(app.test_client(), requests[0], body=tampered)

    assert answer.status_code == 400
    assert app.config["RECEIVED"] == []


def test_the_docs_receiver_refuses_a_delivery_signed_with_another_secret(delivered):
    _, requests = delivered
    app = _example().create_app("whsec_" + "QUJD" * 8)

    answer = _post(app.test_client(), requests[0])

    assert answer.status_code == 400
    assert app.config["RECEIVED"] == []
