"""Applications, screening and intake decisions through the API."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from service.database import db
from service.events.models import OutboxEvent
from service.pairs.models import Pair
from service.participants.models import IntakeRecord
from tests.helpers import World

NEXT_YEAR = (date.today() + timedelta(days=365)).isoformat()
YESTERDAY = (date.today() - timedelta(days=1)).isoformat()


def _apply(api, world, role="mentor", **fields):
    body = {
        "program_id": world.program["id"],
        "role": role,
        "full_name": f"Applicant {role}",
        "email": f"applicant-{role}@example.org",
        **fields,
    }
    return api.ok("post", "/participants/applications", body, status=201)


def _screened_mentor(api, world, **screening):
    person = _apply(api, world)
    api.ok("post", f"/participants/{person['id']}/intake", {"trigger": "start_screening"})
    record = {
        "interview_on": date.today().isoformat(),
        "references_on": date.today().isoformat(),
        "background_check": "passed",
        "background_check_expires_on": NEXT_YEAR,
        **screening,
    }
    api.ok("patch", f"/participants/{person['id']}/screening", record)
    return person


def test_an_application_joins_the_program_applied(api, world):
    person = _apply(api, world, application="I coached football.")
    assert person["intake_state"] == "applied"
    intake = api.ok("get", f"/participants/{person['id']}/screening")
    assert intake["screening"]["application"] == "I coached football."
    assert intake["allowed_triggers"] == ["start_screening", "decline", "withdraw"]


def test_an_application_emits_participant_applied_without_names(app, api, world):
    person = _apply(api, world)
    with app.app_context():
        event = db.session.scalar(
            sa.select(OutboxEvent).where(OutboxEvent.type == "participant.applied")
        )
        assert event.payload["participant"]["id"] == person["id"]
        assert event.payload["participant"]["intake_state"] == "applied"
        assert "Applicant" not in str(event.payload)


def test_a_guardian_does_not_apply(api, world):
    response = api.post(
        "/participants/applications",
        {
            "program_id": world.program["id"],
            "role": "guardian",
            "full_name": "G",
            "email": "g@example.org",
        },
    )
    assert response.status_code == 422
    assert response.get_json()["type"] == "/problems/validation-error"


def test_a_mentor_is_not_approved_without_a_background_check(api, world):
    person = _screened_mentor(api, world, background_check=None, background_check_expires_on=None)
    response = api.post(f"/participants/{person['id']}/intake", {"trigger": "approve"})
    assert response.status_code == 409
    problem = response.get_json()
    assert problem["type"] == "/problems/guard-failed"
    assert [r["guard"] for r in problem["requirements"]] == ["mentor_background_check_passed"]


def test_a_mentor_whose_check_has_expired_is_not_approved(api, world):
    person = _screened_mentor(api, world, background_check_expires_on=YESTERDAY)
    response = api.post(f"/participants/{person['id']}/intake", {"trigger": "approve"})
    assert response.status_code == 409


def test_a_passed_check_needs_its_expiry_date(api, world):
    person = _apply(api, world)
    response = api.patch(f"/participants/{person['id']}/screening", {"background_check": "passed"})
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "background_check_expires_on"


def test_a_screened_mentor_is_approved_and_the_step_is_recorded(app, api, world):
    person = _screened_mentor(api, world)
    intake = api.ok("post", f"/participants/{person['id']}/intake", {"trigger": "approve"})
    assert intake["intake_state"] == "approved"
    assert [(h["from"], h["to"]) for h in intake["history"]] == [
        (None, "applied"),
        ("applied", "screening"),
        ("screening", "approved"),
    ]
    assert intake["history"][-1]["actor_kind"] == "token"


def test_each_step_emits_participant_transitioned(app, api, world):
    person = _screened_mentor(api, world)
    api.ok("post", f"/participants/{person['id']}/intake", {"trigger": "approve"})
    with app.app_context():
        moves = db.session.scalars(
            sa.select(OutboxEvent)
            .where(OutboxEvent.type == "participant.transitioned")
            .order_by(OutboxEvent.id)
        ).all()
        assert [
            (e.payload["transition"]["from"], e.payload["transition"]["to"]) for e in moves
        ] == [
            ("applied", "screening"),
            ("screening", "approved"),
        ]


def test_an_approved_mentee_gets_a_recruited_pair(app, api, world):
    person = _apply(api, world, role="mentee")
    api.ok("post", f"/participants/{person['id']}/intake", {"trigger": "start_screening"})
    api.ok("post", f"/participants/{person['id']}/intake", {"trigger": "approve"})
    pairs = api.ok("get", f"/pairs?mentee_id={person['id']}")["items"]
    assert [p["state"] for p in pairs] == ["recruited"]


def test_a_minor_is_not_approved_without_a_guardians_consent(api):
    youth = World.build(api, mentors=0, mentees=0, youth=True)
    person = _apply(api, youth, role="mentee")
    api.ok("post", f"/participants/{person['id']}/intake", {"trigger": "start_screening"})
    refused = api.post(f"/participants/{person['id']}/intake", {"trigger": "approve"})
    assert refused.status_code == 409
    assert "guardian" in refused.get_json()["detail"]
    api.ok(
        "patch",
        f"/participants/{person['id']}/screening",
        {"guardian_consent_on": date.today().isoformat(), "guardian_consent_by": "Rita Souza"},
    )
    approved = api.ok("post", f"/participants/{person['id']}/intake", {"trigger": "approve"})
    assert approved["intake_state"] == "approved"


def test_declining_needs_a_reason_and_records_it(app, api, world):
    person = _apply(api, world)
    assert (
        api.post(f"/participants/{person['id']}/intake", {"trigger": "decline"}).status_code == 409
    )
    api.ok(
        "post",
        f"/participants/{person['id']}/intake",
        {"trigger": "decline", "reason": "No places"},
    )
    with app.app_context():
        record = db.session.scalar(
            sa.select(IntakeRecord).where(IntakeRecord.to_state == "declined")
        )
        assert record.reason == "No places"


def test_an_applicant_is_not_paired_before_approval(api, world):
    person = _apply(api, world, role="mentee")
    response = api.post("/pairs", {"program_id": world.program["id"], "mentee_id": person["id"]})
    assert response.status_code == 422
    assert "not been approved" in response.get_json()["detail"]


def test_matching_offers_only_approved_mentors(api, world):
    applicant = _screened_mentor(api, world)
    found = api.ok("get", f"/participants/{world.mentees[0]['id']}/suggestions")
    offered = {s["mentor_id"] for s in found["items"]} | {e["mentor_id"] for e in found["excluded"]}
    assert applicant["id"] not in offered
    assert offered == {m["id"] for m in world.mentors}


def test_participants_added_directly_are_approved(world):
    assert {p["intake_state"] for p in world.mentors + world.mentees} == {"approved"}


def test_the_list_filters_by_intake_state(api, world):
    person = _apply(api, world)
    listed = api.ok("get", f"/participants?intake_state=applied&program_id={world.program['id']}")
    assert [p["id"] for p in listed["items"]] == [person["id"]]


def test_two_decisions_on_one_applicant_count_once(app, api, world):
    person = _apply(api, world)
    api.ok("post", f"/participants/{person['id']}/intake", {"trigger": "withdraw", "reason": "x"})
    again = api.post(f"/participants/{person['id']}/intake", {"trigger": "withdraw", "reason": "x"})
    assert again.status_code == 409
    assert again.get_json()["type"] == "/problems/trigger-not-allowed"
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Pair)) == 0
