"""Every event the service emits matches the schema the OpenAPI document publishes for it."""

from __future__ import annotations

import json

import sqlalchemy as sa
from jsonschema import Draft202012Validator

from service.database import db
from service.events.catalog import public_event_types
from service.events.models import OutboxEvent
from service.webhooks.delivery import body_of
from tests.helpers import CALM_MENTEE_CHECKIN, SurveyTaker, invite

# Made by the calendar over weeks (a pair flagged at risk has its coordinator's call due at
# once, so one may appear here); the calendar's tests drive those.
CALENDAR_EVENTS = {"checkin.due", "checkin.overdue"}


def test_every_public_event_type_has_a_schema_in_the_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").get_json()

    assert set(spec["webhooks"]) == set(public_event_types())
    for entry in spec["webhooks"].values():
        ref = entry["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        assert ref.removeprefix("#/components/schemas/") in spec["components"]["schemas"]


def _published_body(spec: dict, event_type: str) -> Draft202012Validator:
    """The schema a subscriber reads in the OpenAPI document for one event's webhook body."""
    body = spec["webhooks"][event_type]["post"]["requestBody"]["content"]["application/json"]
    return Draft202012Validator({**body["schema"], "components": spec["components"]})


def test_the_bodies_subscribers_receive_match_the_published_schemas(app, api, world, client):
    closed = world.drive_to("closing")
    world.log_meeting(closed["id"], is_final_session=True)
    api.trigger(closed["id"], "close")
    unsafe = world.drive_to("active", mentee_index=1, mentor_index=1)
    url = invite(api, "checkin_mentee", unsafe["mentee_id"], unsafe["id"])["url"]
    SurveyTaker(client, url).submit(
        {**CALM_MENTEE_CHECKIN, "feels_unsafe": "yes", "safety_details": "Shouted at me"}
    )
    applicant = api.ok(
        "post",
        "/participants/applications",
        {
            "program_id": world.program["id"],
            "role": "mentor",
            "full_name": "Ana Souza",
            "email": "ana@example.org",
        },
        status=201,
    )
    api.ok("post", f"/participants/{applicant['id']}/intake", {"trigger": "start_screening"})
    api.ok("patch", f"/programs/{world.program['id']}", {"mentee_choice": True})
    waiting = world.new_pair(2)
    api.ok("post", f"/pairs/{waiting['id']}/choice-offers", status=201)
    spec = client.get("/api/v1/openapi.json").get_json()

    with app.app_context():
        events = db.session.scalars(sa.select(OutboxEvent)).all()
        checked = set()
        for event in events:
            body = json.loads(body_of(event))
            errors = [e.message for e in _published_body(spec, event.type).iter_errors(body)]
            assert errors == [], (event.type, body, errors)
            checked.add(event.type)

    assert checked - CALENDAR_EVENTS == set(public_event_types()) - CALENDAR_EVENTS
