"""Every event the service emits matches the schema the OpenAPI document publishes for it."""

from __future__ import annotations

import json

import sqlalchemy as sa

from service.database import db
from service.events.catalog import public_event_types
from service.events.models import OutboxEvent
from service.events.schemas import DATA_SCHEMAS
from service.webhooks.delivery import body_of
from tests.helpers import CALM_MENTEE_CHECKIN, SurveyTaker, invite


def test_every_public_event_type_has_a_schema_in_the_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").get_json()

    assert set(spec["webhooks"]) == set(public_event_types())
    for entry in spec["webhooks"].values():
        ref = entry["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        assert ref.removeprefix("#/components/schemas/") in spec["components"]["schemas"]


def test_real_events_match_their_published_schemas(app, api, world, client):
    pair = world.drive_to("at_risk")
    url = invite(api, "checkin_mentee", pair["mentee_id"], pair["id"])["url"]
    SurveyTaker(client, url).submit(CALM_MENTEE_CHECKIN)
    world.log_meeting(pair["id"])
    api.ok("post", f"/pairs/{pair['id']}/interventions", {"description": "Called"})
    api.trigger(pair["id"], "resolve")

    with app.app_context():
        events = db.session.scalars(sa.select(OutboxEvent)).all()
        checked = set()
        for event in events:
            data = json.loads(body_of(event))["data"]
            errors = DATA_SCHEMAS[event.type]().validate(data)
            assert errors == {}, (event.type, errors)
            checked.add(event.type)

    assert {"pair.created", "pair.transitioned", "survey.submitted", "meeting.logged"} <= checked
