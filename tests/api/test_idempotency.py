"""Idempotency-Key: a client may retry a creating request without creating twice."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import httpx
import pytest
import sqlalchemy as sa
import time_machine

from service.clock import now
from service.database import db
from service.idempotency import service as keys
from service.idempotency.jobs import purge_expired_keys
from service.idempotency.models import IdempotencyKey
from service.pairs.models import Intervention
from service.tokens import service as tokens
from tests.helpers.faults import lossy_proxy


def _post(api, path: str, body: dict, key: str):
    return api.client.post(
        f"/api/v1{path}",
        json=body,
        headers={"Authorization": f"Bearer {api.token}", "Idempotency-Key": key},
    )


def _interventions(app, pair_id: int) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).where(Intervention.pair_id == pair_id))


NOTE = {"description": "Called the mentor about the missed meetings.", "approach": "individual"}


def test_a_retry_with_the_same_key_gets_the_first_answer_again_and_creates_nothing(app, api, world):
    pair = world.drive_to("at_risk")
    path = f"/pairs/{pair['id']}/interventions"
    key = str(uuid.uuid4())

    first = _post(api, path, NOTE, key)
    again = _post(api, path, NOTE, key)

    assert first.status_code == 201, first.get_json()
    assert "Idempotent-Replayed" not in first.headers
    assert again.status_code == 201
    assert again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert _interventions(app, pair["id"]) == 1


def test_a_key_in_structured_field_form_is_the_same_key(app, api, world):
    pair = world.drive_to("at_risk")
    path = f"/pairs/{pair['id']}/interventions"
    _post(api, path, NOTE, "abc-123")
    again = _post(api, path, NOTE, '"abc-123"')
    assert again.headers["Idempotent-Replayed"] == "true"
    assert _interventions(app, pair["id"]) == 1


def test_the_same_key_with_another_body_is_refused_with_422(app, api, world):
    pair = world.drive_to("at_risk")
    path = f"/pairs/{pair['id']}/interventions"
    _post(api, path, NOTE, "key-1")

    other = _post(api, path, {**NOTE, "approach": "pair"}, "key-1")

    assert other.status_code == 422
    assert other.get_json()["type"] == "/problems/idempotency-key-reused"
    assert _interventions(app, pair["id"]) == 1


def test_the_same_key_on_another_path_is_refused_with_422(api, world):
    first = world.drive_to("at_risk")
    second = world.drive_to("at_risk", mentee_index=1, mentor_index=1)
    _post(api, f"/pairs/{first['id']}/interventions", NOTE, "key-1")
    other = _post(api, f"/pairs/{second['id']}/interventions", NOTE, "key-1")
    assert other.status_code == 422
    assert other.get_json()["type"] == "/problems/idempotency-key-reused"


def test_json_spacing_and_key_order_do_not_make_another_request(app, api, world):
    pair = world.drive_to("at_risk")
    path = f"/api/v1/pairs/{pair['id']}/interventions"
    headers = {
        "Authorization": f"Bearer {api.token}",
        "Idempotency-Key": "key-1",
        "Content-Type": "application/json",
    }
    api.client.post(path, data=json.dumps(NOTE), headers=headers)
    reordered = json.dumps(dict(reversed(NOTE.items())), indent=2)
    again = api.client.post(path, data=reordered, headers=headers)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert _interventions(app, pair["id"]) == 1


def _owner(app, raw_token: str) -> str:
    with app.app_context():
        return f"token:{tokens.authenticate(raw_token).id}"


def _fingerprint_of(app, path: str, body: dict) -> str:
    from service.idempotency.decorators import _fingerprint

    with app.test_request_context(f"/api/v1{path}", method="POST", json=body):
        return _fingerprint()


def _held_by_a_running_request(app, api, path: str, key: str) -> None:
    """What a first request with `key` leaves while it works: the key taken, no answer yet."""
    with app.app_context():
        claimed = keys.claim(
            owner=_owner(app, api.token), key=key, fingerprint=_fingerprint_of(app, path, NOTE)
        )
    assert isinstance(claimed, keys.Claim)


def test_the_same_key_while_its_first_request_runs_is_a_409_with_retry_after(app, api, world):
    pair = world.drive_to("at_risk")
    path = f"/pairs/{pair['id']}/interventions"
    _held_by_a_running_request(app, api, path, "key-1")

    response = _post(api, path, NOTE, "key-1")

    assert response.status_code == 409
    assert response.get_json()["type"] == "/problems/idempotency-key-in-flight"
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert _interventions(app, pair["id"]) == 0


def test_a_key_whose_request_died_without_an_answer_is_taken_over_after_its_lease(app, api, world):
    pair = world.drive_to("at_risk")
    path = f"/pairs/{pair['id']}/interventions"
    # A request took the key, and its process died before answering: nothing committed.
    _held_by_a_running_request(app, api, path, "key-1")
    assert _post(api, path, NOTE, "key-1").status_code == 409

    with time_machine.travel(now() + keys.LEASE + timedelta(seconds=1)):
        retried = _post(api, path, NOTE, "key-1")

    assert retried.status_code == 201
    assert "Idempotent-Replayed" not in retried.headers
    assert _interventions(app, pair["id"]) == 1


def test_a_refused_request_leaves_its_key_free(app, api, world):
    pair = world.drive_to("at_risk")
    path = f"/pairs/{pair['id']}/interventions"
    refused = _post(api, path, {"approach": "individual"}, "key-1")
    assert refused.status_code == 422
    assert refused.get_json()["type"] == "/problems/validation-error"

    fixed = _post(api, path, NOTE, "key-1")

    assert fixed.status_code == 201
    assert _interventions(app, pair["id"]) == 1


def test_keys_belong_to_the_token_that_sent_them(app, api, world, make_token):
    from tests.helpers import Api

    pair = world.drive_to("at_risk")
    path = f"/pairs/{pair['id']}/interventions"
    other = Api(api.client, make_token("pairs:write"))
    _post(api, path, NOTE, "shared-key")
    theirs = _post(other, path, NOTE, "shared-key")
    assert theirs.status_code == 201
    assert "Idempotent-Replayed" not in theirs.headers
    assert _interventions(app, pair["id"]) == 2


@pytest.mark.parametrize("key", ["", "has space", "x" * 256, "naïve", '"unterminated'])
def test_a_malformed_key_is_a_400(api, world, key):
    response = _post(api, "/programs", {"name": "Program"}, key)
    assert response.status_code == 400
    assert response.get_json()["type"] == "/problems/idempotency-key-invalid"


def test_keys_are_forgotten_after_a_day(app, api, world):
    pair = world.drive_to("at_risk")
    path = f"/pairs/{pair['id']}/interventions"
    _post(api, path, NOTE, "key-1")

    with time_machine.travel(now() + timedelta(hours=24, minutes=1)), app.app_context():
        assert purge_expired_keys() == 1
        again = _post(api, path, {**NOTE, "approach": "pair"}, "key-1")

    assert again.status_code == 201
    assert _interventions(app, pair["id"]) == 2


def test_an_answer_with_a_secret_is_replayed_with_it_and_never_stored(app, api, world):
    body = {"slug": "school-calendar", "name": "School calendar"}
    first = _post(api, "/inbound-sources", body, "key-1")
    again = _post(api, "/inbound-sources", body, "key-1")

    assert first.status_code == 201, first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()
    secret = first.get_json()["secret"]
    with app.app_context():
        stored = db.session.scalars(sa.select(IdempotencyKey.response_body)).all()
    assert stored and all(secret not in text for text in stored)


def test_every_creating_operation_documents_the_header_and_its_problems(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    signed = {"/api/v1/inbound/{slug}/meetings", "/api/v1/inbound/{slug}/calendly"}
    for path, item in spec["paths"].items():
        if "post" not in item or path in signed:
            continue
        names = [p["name"] for p in item["post"].get("parameters", [])]
        assert "Idempotency-Key" in names, f"POST {path} does not take an Idempotency-Key"
        assert {"400", "409", "422"} <= set(item["post"]["responses"]), path


@pytest.mark.slow
def test_a_retry_after_a_lost_answer_gets_it_and_creates_one_row(app, api, world, live_server):
    """The server committed and answered; the answer was lost on the way back."""
    pair = world.drive_to("at_risk")
    path = f"/api/v1/pairs/{pair['id']}/interventions"
    headers = {"Authorization": f"Bearer {api.token}", "Idempotency-Key": str(uuid.uuid4())}
    host, port = live_server.removeprefix("http://").split(":")
    with lossy_proxy(host, int(port)) as proxy:
        proxy.lose_reply_to(f"POST {path}".encode(), reply_marker=b"\r\n\r\n")
        with pytest.raises(httpx.TransportError):
            httpx.post(f"http://127.0.0.1:{proxy.port}{path}", json=NOTE, headers=headers)
        assert proxy.lost.is_set()

        retried = httpx.post(f"http://127.0.0.1:{proxy.port}{path}", json=NOTE, headers=headers)

    assert retried.status_code == 201
    assert retried.headers["Idempotent-Replayed"] == "true"
    assert _interventions(app, pair["id"]) == 1


def test_a_retried_transition_gets_its_first_answer_not_a_refusal(api, world):
    pair = world.drive_to("active")
    body = {"trigger": "flag_risk", "signals": ["no_chemistry"]}
    path = f"/pairs/{pair['id']}/transitions"

    first = _post(api, path, body, "flag-1")
    again = _post(api, path, body, "flag-1")

    assert first.status_code == 200, first.get_json()
    assert again.status_code == 200  # not 409: the pair is at_risk already, by this request
    assert again.get_json() == first.get_json()
    assert len(api.ok("get", f"/pairs/{pair['id']}/history")["items"]) == 4


def test_a_retried_proposal_is_filed_once(app, api, world):
    from datetime import date, timedelta

    from service.approvals.models import Proposal

    pair = world.drive_to("active")
    body = {
        "trigger": "begin_closure",
        "final_session_on": (date.today() + timedelta(days=7)).isoformat(),
    }
    path = f"/pairs/{pair['id']}/transitions"

    first = _post(api, path, body, "close-1")
    again = _post(api, path, body, "close-1")

    assert first.status_code == again.status_code == 202
    assert again.headers["Location"] == first.headers["Location"]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Proposal)) == 1
