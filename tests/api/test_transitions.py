"""POST /pairs/{id}/transitions: 200 with the new state, 202 with a proposal, 409 when not now."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from service.database import db
from service.events.models import OutboxEvent
from service.pairs.models import Pair, TransitionRecord

NEXT_WEEK = (date.today() + timedelta(days=7)).isoformat()

# A body for each trigger that passes validation, so a refusal is about the state.
VALID_BODY = {
    "match": {"mentor_id": None},
    "start_training": {},
    "activate": {},
    "flag_risk": {"signals": ["missed_meetings"]},
    "resolve": {},
    "rematch": {"mentor_id": None},
    "begin_closure": {"final_session_on": NEXT_WEEK},
    "close": {},
    "withdraw": {"closure_reason": "withdrawn", "reason": "moving away"},
    "reopen": {"reason": "resumed"},
}
ALLOWED = {
    "recruited": {"match", "withdraw"},
    "matched": {"start_training", "withdraw"},
    "training": {"activate", "withdraw"},
    "active": {"flag_risk", "begin_closure", "withdraw"},
    "at_risk": {"resolve", "rematch", "begin_closure", "withdraw"},
    "closing": {"close", "withdraw"},
}
NOT_ALLOWED = [
    (state, trigger)
    for state, allowed in ALLOWED.items()
    for trigger in VALID_BODY
    if trigger not in allowed
]


@pytest.mark.parametrize(("state", "trigger"), NOT_ALLOWED)
def test_a_trigger_not_allowed_in_the_current_state_is_a_409(api, world, state, trigger):
    pair = world.drive_to(state)
    body = {key: value or world.mentors[1]["id"] for key, value in VALID_BODY[trigger].items()}
    response = api.trigger(pair["id"], trigger, **body)
    assert response.status_code == 409, response.get_json()
    problem = response.get_json()
    assert problem["type"] == "/problems/trigger-not-allowed"
    assert set(problem["allowed_triggers"]) == ALLOWED[state]
    assert world.pair(pair["id"])["state"] == state


def test_a_closed_pair_accepts_only_reopen(api, world):
    pair = _closed_pair(world)
    response = api.trigger(pair["id"], "flag_risk", signals=["missed_meetings"])
    assert response.status_code == 409
    assert response.get_json()["allowed_triggers"] == ["reopen"]


def test_match_assigns_the_mentor_and_records_who_did_it(app, api, world):
    pair = world.new_pair()
    response = api.trigger(pair["id"], "match", mentor_id=world.mentors[0]["id"])
    assert response.status_code == 200
    result = response.get_json()
    assert result["outcome"] == "applied"
    assert result["pair"]["state"] == "matched"
    assert result["pair"]["mentor_id"] == world.mentors[0]["id"]
    assert result["transition"]["actor"]["kind"] == "token"
    with app.app_context():
        record = db.session.scalars(sa.select(TransitionRecord)).one()
        assert (record.from_state, record.to_state, record.sequence) == ("recruited", "matched", 1)


def test_match_without_a_mentor_is_a_422_naming_mentor_id(api, world):
    pair = world.new_pair()
    response = api.trigger(pair["id"], "match")
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "mentor_id"


def test_match_with_a_mentee_as_mentor_is_refused(api, world):
    pair = world.new_pair(0)
    response = api.trigger(pair["id"], "match", mentor_id=world.mentees[1]["id"])
    assert response.status_code == 422
    assert "is a mentee, not a mentor" in response.get_json()["detail"]


def test_a_mentor_at_capacity_cannot_be_matched(api, world):
    world.drive_to("matched", mentee_index=0, mentor_index=0)
    pair = world.new_pair(1)
    response = api.trigger(pair["id"], "match", mentor_id=world.mentors[0]["id"])
    assert response.status_code == 409
    problem = response.get_json()
    assert problem["type"] == "/problems/guard-failed"
    assert [r["guard"] for r in problem["requirements"]] == ["mentor_has_capacity"]


def test_a_mentor_with_two_places_takes_two_mentees(api, world):
    api.ok("patch", f"/participants/{world.mentors[0]['id']}", {"capacity": 2})
    world.drive_to("matched", mentee_index=0, mentor_index=0)
    assert world.drive_to("matched", mentee_index=1, mentor_index=0)["state"] == "matched"


def test_training_starts_only_when_both_accepted_the_introduction(api, world):
    pair = world.drive_to("matched")
    api.ok("post", f"/pairs/{pair['id']}/acceptances", {"role": "mentor"})
    refused = api.trigger(pair["id"], "start_training")
    assert refused.status_code == 409
    assert refused.get_json()["requirements"][0]["guard"] == "both_accepted_introduction"
    api.ok("post", f"/pairs/{pair['id']}/acceptances", {"role": "mentee"})
    assert api.trigger(pair["id"], "start_training").get_json()["pair"]["state"] == "training"


def test_activation_waits_for_the_required_training_and_says_what_is_missing(api, world):
    mentee = world.add_participant("mentee")
    pair = api.ok("post", "/pairs", {"program_id": world.program["id"], "mentee_id": mentee["id"]})
    api.trigger(pair["id"], "match", mentor_id=world.mentors[0]["id"])
    world.accept_introduction(pair["id"])
    api.trigger(pair["id"], "start_training")
    world.record_training(mentee["id"], "mentee_orientation")
    refused = api.trigger(pair["id"], "activate")
    assert refused.status_code == 409
    assert "the mentee still needs joint_workshop" in refused.get_json()["detail"]
    world.record_training(mentee["id"], "joint_workshop")
    assert api.trigger(pair["id"], "activate").get_json()["pair"]["state"] == "active"


def test_flagging_risk_records_the_signals(app, api, world):
    pair = world.drive_to("active")
    result = api.trigger(pair["id"], "flag_risk", signals=["missed_meetings", "mentee_unprepared"])
    assert result.get_json()["pair"]["state"] == "at_risk"
    assert result.get_json()["transition"]["signals"] == ["missed_meetings", "mentee_unprepared"]


def test_a_flag_with_only_a_reason_is_recorded_as_a_coordinators_flag(api, world):
    pair = world.drive_to("active")
    result = api.trigger(pair["id"], "flag_risk", reason="Mentor sounded worried on the phone")
    assert result.get_json()["transition"]["signals"] == ["coordinator_flag"]


def test_a_flag_with_neither_signal_nor_reason_is_refused(api, world):
    pair = world.drive_to("active")
    response = api.trigger(pair["id"], "flag_risk")
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "signals"


def test_an_unknown_signal_is_refused(api, world):
    pair = world.drive_to("active")
    response = api.trigger(pair["id"], "flag_risk", signals=["bad_vibes"])
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "signals.0"


def test_resolving_needs_an_intervention_recorded_since_the_pair_became_at_risk(api, world):
    pair = world.drive_to("at_risk")
    refused = api.trigger(pair["id"], "resolve")
    assert refused.get_json()["requirements"][0]["guard"] == "intervention_recorded"
    api.ok(
        "post",
        f"/pairs/{pair['id']}/interventions",
        {"description": "Called both; agreed a fixed slot", "approach": "individual"},
    )
    assert api.trigger(pair["id"], "resolve").get_json()["pair"]["state"] == "active"


def test_an_intervention_from_an_earlier_risk_episode_does_not_resolve_a_new_one(api, world):
    pair = world.drive_to("at_risk")
    api.ok("post", f"/pairs/{pair['id']}/interventions", {"description": "First call"})
    api.ok("post", f"/pairs/{pair['id']}/transitions", {"trigger": "resolve"})
    api.trigger(pair["id"], "flag_risk", signals=["no_chemistry"])
    assert api.trigger(pair["id"], "resolve").status_code == 409


def test_begin_closure_waits_for_approval_by_default(api, world):
    pair = world.drive_to("active")
    response = api.trigger(pair["id"], "begin_closure", final_session_on=NEXT_WEEK)
    assert response.status_code == 202
    result = response.get_json()
    assert result["outcome"] == "proposed"
    assert result["proposal"]["status"] == "pending"
    assert response.headers["Location"].endswith(f"/proposals/{result['proposal']['id']}")
    assert world.pair(pair["id"])["state"] == "active"


def test_begin_closure_requires_the_final_session_date(api, world):
    pair = world.drive_to("active")
    response = api.trigger(pair["id"], "begin_closure")
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "final_session_on"


def test_a_final_session_in_the_past_is_refused_before_any_proposal_is_filed(api, world):
    pair = world.drive_to("active")
    yesterday = (date.today() - timedelta(days=2)).isoformat()
    response = api.trigger(pair["id"], "begin_closure", final_session_on=yesterday)
    assert response.status_code == 409
    assert api.ok("get", f"/proposals?pair_id={pair['id']}")["total"] == 0


def test_closing_requires_the_logged_final_session(api, world):
    pair = world.drive_to("closing")
    assert pair["final_session_on"] == NEXT_WEEK
    refused = api.trigger(pair["id"], "close")
    assert refused.get_json()["requirements"][0]["guard"] == "final_session_logged"
    world.log_meeting(pair["id"], is_final_session=True)
    closed = api.trigger(pair["id"], "close").get_json()["pair"]
    assert (closed["state"], closed["closure_reason"]) == ("closed", "completed")
    assert closed["closed_at"] is not None


def test_a_withdrawal_waits_for_approval_but_a_safety_withdrawal_is_immediate(api, world):
    pair = world.drive_to("active")
    withdrawn = api.trigger(pair["id"], "withdraw", closure_reason="withdrawn", reason="moving")
    assert withdrawn.status_code == 202
    safety = api.trigger(pair["id"], "withdraw", closure_reason="safety", reason="report")
    assert safety.status_code == 200
    assert safety.get_json()["pair"]["closure_reason"] == "safety"


def test_a_program_can_require_approval_for_flagging_but_safety_flags_at_once(api, world):
    api.colleague("admin").ok(
        "patch", f"/programs/{world.program['id']}", {"approval_required": ["flag_risk"]}
    )
    first = world.drive_to("active", mentee_index=0, mentor_index=0)
    second = world.drive_to("active", mentee_index=1, mentor_index=1)
    assert api.trigger(first["id"], "flag_risk", signals=["missed_meetings"]).status_code == 202
    urgent = api.trigger(second["id"], "flag_risk", signals=["mentee_feels_unsafe"])
    assert urgent.status_code == 200
    assert urgent.get_json()["pair"]["state"] == "at_risk"


def test_reopening_is_for_admins(api, admin_api, world):
    pair = _closed_pair(world)
    refused = api.trigger(pair["id"], "reopen", reason="They want to continue")
    assert refused.status_code == 403
    reopened = admin_api.trigger(pair["id"], "reopen", reason="They want to continue")
    assert reopened.get_json()["pair"]["state"] == "active"
    assert reopened.get_json()["pair"]["closure_reason"] is None


def test_a_pair_closed_for_safety_is_never_reopened(api, admin_api, world):
    pair = world.drive_to("active")
    api.trigger(pair["id"], "withdraw", closure_reason="safety", reason="report")
    refused = admin_api.trigger(pair["id"], "reopen", reason="mistake?")
    assert refused.status_code == 409
    assert refused.get_json()["requirements"][0]["guard"] == "not_closed_for_safety"


def test_fields_a_trigger_does_not_use_are_refused(api, world):
    pair = world.drive_to("active")
    response = api.trigger(pair["id"], "flag_risk", signals=["no_chemistry"], mentor_id=3)
    assert response.status_code == 422
    assert response.get_json()["errors"][0] == {
        "location": "json",
        "field": "mentor_id",
        "message": "Not used by 'flag_risk'.",
    }


def test_a_failure_inside_a_transition_writes_nothing(app, api, world, monkeypatch):
    from service.events import service as events

    pair = world.drive_to("active")
    with app.app_context():
        before = db.session.scalar(sa.select(sa.func.count(OutboxEvent.id)))
    real_emit = events.emit

    def fail_on_transition(event_type, payload, **kwargs):
        if event_type == "pair.transitioned":
            raise RuntimeError("the outbox is on fire")
        return real_emit(event_type, payload, **kwargs)

    monkeypatch.setattr(events, "emit", fail_on_transition)
    response = api.trigger(pair["id"], "flag_risk", signals=["missed_meetings"])
    assert response.status_code == 500
    with app.app_context():
        stored = db.session.get(Pair, pair["id"])
        assert (stored.state, stored.version) == ("active", 3)
        assert db.session.scalar(sa.select(sa.func.count(TransitionRecord.id))) == 3
        assert db.session.scalar(sa.select(sa.func.count(OutboxEvent.id))) == before


def test_the_history_lists_every_transition_in_order(api, world):
    pair = world.drive_to("closing")
    history = api.ok("get", f"/pairs/{pair['id']}/history")
    assert [(h["sequence"], h["from"], h["to"]) for h in history["items"]] == [
        (1, "recruited", "matched"),
        (2, "matched", "training"),
        (3, "training", "active"),
        (4, "active", "closing"),
    ]
    assert history["items"][3]["proposal_id"] is not None


def _closed_pair(world) -> dict:
    pair = world.drive_to("closing")
    world.log_meeting(pair["id"], is_final_session=True)
    return world.api.trigger(pair["id"], "close").get_json()["pair"]
