"""One safety-read rule for the console and the API: admins and the pair's assigned
coordinator read safety answers; another coordinator does not, nor does a token without the
admin scope, whatever else it may read."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from service.database import db
from service.notes.models import AccessRecord
from service.surveys.models import SurveyResponse
from tests.helpers import CALM_MENTEE_CHECKIN, Api, SurveyTaker, invite

SAFETY_DETAILS = "He shouted at me in the car park"


@pytest.fixture
def answered(app, api, world, make_staff, console_as):
    pair = world.drive_to("active")
    cora = make_staff("coordinator", "Cora Ordinator")
    colin = make_staff("coordinator", "Colin Colleague")
    api.colleague("admin").ok("patch", f"/pairs/{pair['id']}", {"coordinator_id": cora.id})
    invitation = invite(api, "checkin_mentee", pair["mentee_id"], pair["id"])
    SurveyTaker(api.client, invitation["url"]).submit(
        {**CALM_MENTEE_CHECKIN, "feels_unsafe": "yes", "safety_details": SAFETY_DETAILS}
    )
    with app.app_context():
        response_id = db.session.scalar(sa.select(SurveyResponse.id))
    return {
        "pair": pair,
        "path": f"/console/pairs/{pair['id']}/responses/{response_id}",
        "cora": console_as(cora),
        "cora_id": cora.id,
        "colin": console_as(colin),
    }


def _reads(app) -> list[tuple[int, str]]:
    with app.app_context():
        return [(r.user_id, r.subject) for r in db.session.scalars(sa.select(AccessRecord))]


def test_the_pairs_coordinator_reads_the_safety_answers_and_the_read_is_logged(app, answered):
    page = answered["cora"].page(answered["path"])

    assert SAFETY_DETAILS in page
    assert [user for user, _ in _reads(app)] == [answered["cora_id"]]


def test_another_coordinator_does_not_read_the_safety_answers(app, answered):
    page = answered["colin"].page(answered["path"])

    assert SAFETY_DETAILS not in page
    assert "A safety answer, for admins and this pair's coordinator only." in page
    assert _reads(app) == []


def test_a_token_without_the_admin_scope_does_not_read_safety_answers(client, make_token, answered):
    from service.tokens.service import SCOPES

    everything_but_admin = Api(client, make_token(*(s for s in SCOPES if s != "admin")))

    [response] = everything_but_admin.ok("get", f"/pairs/{answered['pair']['id']}/responses")[
        "items"
    ]

    assert {"feels_unsafe", "safety_details"}.isdisjoint(a["key"] for a in response["answers"])


def test_a_token_with_the_admin_scope_reads_them(client, make_token, answered):
    admin = Api(client, make_token("admin"))

    [response] = admin.ok("get", f"/pairs/{answered['pair']['id']}/responses")["items"]

    assert {a["key"]: a["display"] for a in response["answers"]}["safety_details"] == (
        SAFETY_DETAILS
    )
