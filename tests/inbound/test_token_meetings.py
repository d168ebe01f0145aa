"""POST /api/v1/inbound/meetings: the same events from a service holding an API token."""

from __future__ import annotations

from tests.helpers import Api
from tests.helpers.inbound import cancellation, meetings_of


def test_a_token_with_the_inbound_scope_posts_meeting_events(client, make_token, api, world):
    pair = world.drive_to("active")
    crm = Api(client, make_token("meetings:inbound", name="crm"))

    response = crm.post("/inbound/meetings", cancellation(pair["id"]))

    assert response.status_code == 201, response.get_json()
    assert response.get_json()["sender"] == "token:crm"
    (meeting,) = meetings_of(api, pair["id"])
    assert (meeting["status"], meeting["recorded_by"]["label"]) == ("cancelled", "crm")


def test_three_token_posted_cancellations_flag_the_pair(client, make_token, api, world):
    pair = world.drive_to("active")
    crm = Api(client, make_token("meetings:inbound", name="crm"))
    for days_ago in (9, 5, 1):
        crm.ok("post", "/inbound/meetings", cancellation(pair["id"], days_ago=days_ago))

    assert api.ok("get", f"/pairs/{pair['id']}")["state"] == "at_risk"


def test_event_ids_are_unique_per_token(client, make_token, world):
    pair = world.drive_to("active")
    body = cancellation(pair["id"])
    first = Api(client, make_token("meetings:inbound", name="crm"))
    second = Api(client, make_token("meetings:inbound", name="lms"))

    assert first.post("/inbound/meetings", body).status_code == 201
    assert first.post("/inbound/meetings", body).status_code == 409
    assert second.post("/inbound/meetings", body).status_code == 201


def test_a_token_without_the_scope_is_forbidden(client, make_token, world):
    reader = Api(client, make_token("pairs:read"))

    response = reader.post("/inbound/meetings", cancellation(1))

    assert response.status_code == 403
    assert response.get_json()["required_scope"] == "meetings:inbound"


def test_no_token_is_401(client, world):
    assert Api(client, None).post("/inbound/meetings", cancellation(1)).status_code == 401


def test_missing_fields_are_a_422(api):
    response = api.post("/inbound/meetings", {"id": "x", "type": "meeting.held"})

    assert response.status_code == 422
    assert {e["field"] for e in response.get_json()["errors"]} >= {"starts_at"}
