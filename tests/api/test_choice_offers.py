"""Mentee choice through the API: an offer sent with an Idempotency-Key (a retry sends no
second e-mail), the pair's offers read back with what became of them, and the refusals."""

from __future__ import annotations

import sqlalchemy as sa

from service.database import db
from service.notifications.models import Notification
from tests.helpers import Api, SurveyTaker, World


def _world(api, **program) -> World:
    world = World.build(api, mentors=3, mentees=1, **{"mentee_choice": True, **program})
    api.ok("patch", f"/participants/{world.mentees[0]['id']}", {"goals": ["Reading"]})
    api.ok("patch", f"/participants/{world.mentors[1]['id']}", {"goals": ["Reading"]})
    return world


def test_an_offer_is_sent_once_however_often_it_is_retried_with_its_key(app, api):
    world = _world(api, mentee_choice_mentors=2)
    pair = world.new_pair(0)
    headers = {"Idempotency-Key": "offer-1", "Authorization": f"Bearer {api.token}"}
    path = f"/api/v1/pairs/{pair['id']}/choice-offers"

    first = api.client.post(path, headers=headers)
    again = api.client.post(path, headers=headers)

    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    offer = first.get_json()
    assert offer == again.get_json()
    assert offer["status"] == "open"
    assert len(offer["options"]) == 2
    assert offer["options"][0]["mentor_id"] == world.mentors[1]["id"]
    assert offer["options"][0]["reasons"][0] == "Shares 1 goal: reading"
    assert offer["url"].startswith("http://pairwise.test/choose/")
    with app.app_context():
        mails = db.session.scalars(
            sa.select(Notification).where(Notification.template == "mentee_choice")
        ).all()
    assert len(mails) == 1


def test_the_pairs_offers_say_what_became_of_each(api, client):
    world = _world(api)
    pair = world.new_pair(0)
    url = api.ok("post", f"/pairs/{pair['id']}/choice-offers", status=201)["url"]
    SurveyTaker(client, url).submit({"mentor_id": str(world.mentors[1]["id"])})

    (offer,) = api.ok("get", f"/pairs/{pair['id']}/choice-offers")["items"]

    assert offer["status"] == "chosen"
    assert offer["chosen_mentor_id"] == world.mentors[1]["id"]
    assert "url" not in offer
    assert world.pair(pair["id"])["state"] == "matched"


def test_an_offer_is_refused_when_the_program_does_not_let_mentees_choose(api):
    world = _world(api, mentee_choice=False)
    pair = world.new_pair(0)

    refused = api.post(f"/pairs/{pair['id']}/choice-offers")

    assert refused.status_code == 409
    assert "does not let mentees choose" in refused.get_json()["detail"]


def test_the_program_setting_is_bounded_as_the_console_bounds_it(api):
    world = _world(api)

    refused = api.patch(f"/programs/{world.program['id']}", {"mentee_choice_mentors": 9})

    assert refused.status_code == 422
    program = api.ok("patch", f"/programs/{world.program['id']}", {"mentee_choice_mentors": 5})
    assert (program["mentee_choice"], program["mentee_choice_mentors"]) == (True, 5)


def test_sending_an_offer_needs_the_pairs_write_scope(api, make_token, client):
    world = _world(api)
    pair = world.new_pair(0)
    reader = Api(client, make_token("pairs:read"))

    assert reader.post(f"/pairs/{pair['id']}/choice-offers").status_code == 403
    assert reader.get(f"/pairs/{pair['id']}/choice-offers").status_code == 200
