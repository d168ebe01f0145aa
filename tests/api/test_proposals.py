"""Proposals: approved (guards re-checked) or rejected, exactly once."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from service.approvals.models import Proposal
from service.database import db
from tests.helpers import Api

NEXT_WEEK = (date.today() + timedelta(days=7)).isoformat()


def _propose_closure(world, **kwargs) -> tuple[dict, dict]:
    pair = world.drive_to("active", **kwargs)
    response = world.api.trigger(pair["id"], "begin_closure", final_session_on=NEXT_WEEK)
    assert response.status_code == 202
    return pair, response.get_json()["proposal"]


def test_pending_proposals_are_listed_for_coordinators(api, world):
    _, proposal = _propose_closure(world)
    pending = api.ok("get", "/proposals?status=pending")
    assert [p["id"] for p in pending["items"]] == [proposal["id"]]
    assert pending["items"][0]["params"] == {"final_session_on": NEXT_WEEK}


def test_approving_applies_the_transition_and_records_the_decision(api, world):
    pair, proposal = _propose_closure(world)
    result = world.approver.ok(
        "post", f"/proposals/{proposal['id']}/approve", {"reason": "Year end"}
    )
    assert result["pair"]["state"] == "closing"
    assert result["pair"]["final_session_on"] == NEXT_WEEK
    decided = result["proposal"]
    assert (decided["status"], decided["decision_reason"]) == ("approved", "Year end")
    assert decided["decided_by"]["kind"] == "token"
    assert decided["transition_id"] is not None
    history = api.ok("get", f"/pairs/{pair['id']}/history")["items"]
    assert history[-1]["proposal_id"] == proposal["id"]


def test_approving_without_a_body_is_refused_and_changes_nothing(api, world):
    pair, proposal = _propose_closure(world)
    response = world.approver.post(f"/proposals/{proposal['id']}/approve")
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["type"] == "/problems/validation-error"
    assert api.ok("get", f"/proposals/{proposal['id']}")["status"] == "pending"
    assert world.pair(pair["id"])["state"] == "active"


def test_rejecting_records_why_and_changes_nothing(api, world):
    pair, proposal = _propose_closure(world)
    rejected = api.ok("post", f"/proposals/{proposal['id']}/reject", {"reason": "Not yet"})
    assert (rejected["status"], rejected["decision_reason"]) == ("rejected", "Not yet")
    assert world.pair(pair["id"])["state"] == "active"


def test_rejecting_needs_a_reason(api, world):
    _, proposal = _propose_closure(world)
    response = api.post(f"/proposals/{proposal['id']}/reject", {})
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "reason"


def test_a_proposal_is_decided_once_and_the_second_decider_learns_who_was_first(api, world):
    _, proposal = _propose_closure(world)
    api.ok("post", f"/proposals/{proposal['id']}/reject", {"reason": "Not yet"})
    response = world.approver.post(f"/proposals/{proposal['id']}/approve", {})
    assert response.status_code == 409
    problem = response.get_json()
    assert problem["type"] == "/problems/proposal-already-decided"
    assert problem["proposal_status"] == "rejected"
    assert problem["decided_by"]["kind"] == "token"
    assert problem["decided_at"]


def test_approval_re_checks_the_guards_and_leaves_the_proposal_pending_if_refused(app, api, world):
    at_risk = world.drive_to("at_risk", mentee_index=0, mentor_index=0)
    proposed = api.trigger(at_risk["id"], "rematch", mentor_id=world.mentors[1]["id"])
    assert proposed.status_code == 202
    world.drive_to("matched", mentee_index=1, mentor_index=1)  # takes the new mentor's place
    response = world.approver.post(
        f"/proposals/{proposed.get_json()['proposal']['id']}/approve", {}
    )
    assert response.status_code == 409
    assert response.get_json()["requirements"][0]["guard"] == "mentor_has_capacity"
    assert api.ok("get", f"/proposals/{proposed.get_json()['proposal']['id']}")["status"] == (
        "pending"
    )


def test_the_same_proposal_is_filed_once(api, world):
    pair, proposal = _propose_closure(world)
    again = api.trigger(pair["id"], "begin_closure", final_session_on=NEXT_WEEK)
    assert again.status_code == 202
    assert again.get_json()["proposal"]["id"] == proposal["id"]
    assert api.ok("get", f"/proposals?pair_id={pair['id']}")["total"] == 1


def test_pending_proposals_the_new_state_does_not_allow_are_superseded(api, world):
    pair, proposal = _propose_closure(world)
    api.trigger(pair["id"], "withdraw", closure_reason="safety", reason="report")
    superseded = api.ok("get", f"/proposals/{proposal['id']}")
    assert superseded["status"] == "superseded"
    assert superseded["decided_by"]["kind"] == "system"


def test_deciding_needs_the_decide_scope(client, make_token, world):
    _, proposal = _propose_closure(world)
    writer = Api(client, make_token("pairs:write", "pairs:read"))
    response = writer.post(f"/proposals/{proposal['id']}/approve", {})
    assert response.status_code == 403
    assert response.get_json()["required_scope"] == "proposals:decide"


def test_rematch_creates_the_successor_pair_linked_both_ways(app, api, world):
    at_risk = world.drive_to("at_risk", mentee_index=0, mentor_index=0)
    proposed = api.trigger(at_risk["id"], "rematch", mentor_id=world.mentors[1]["id"])
    result = world.approve(proposed.get_json()["proposal"]["id"])
    old = result["pair"]
    assert old["state"] == "rematched"
    successor = world.pair(old["successor_id"])
    assert successor["state"] == "matched"
    assert successor["mentor_id"] == world.mentors[1]["id"]
    assert successor["mentee_id"] == at_risk["mentee_id"]
    assert successor["predecessor_id"] == old["id"]
    assert result["transition"]["details"]["successor_pair_id"] == successor["id"]


def test_the_new_mentor_needs_the_extra_training_before_activation(api, world):
    at_risk = world.drive_to("at_risk", mentee_index=0, mentor_index=0)
    proposed = api.trigger(at_risk["id"], "rematch", mentor_id=world.mentors[1]["id"])
    successor_id = world.approve(proposed.get_json()["proposal"]["id"])["pair"]["successor_id"]
    world.accept_introduction(successor_id)
    api.trigger(successor_id, "start_training")
    refused = api.trigger(successor_id, "activate")
    assert refused.get_json()["requirements"][0]["guard"] == "new_mentor_completed_extra_training"
    world.record_training(world.mentors[1]["id"], "rematch_briefing", pair_id=successor_id)
    assert api.trigger(successor_id, "activate").get_json()["pair"]["state"] == "active"


def test_a_previous_mentor_cannot_be_chosen_again(api, world):
    at_risk = world.drive_to("at_risk", mentee_index=0, mentor_index=0)
    response = api.trigger(at_risk["id"], "rematch", mentor_id=world.mentors[0]["id"])
    assert response.status_code == 409
    guards = [r["guard"] for r in response.get_json()["requirements"]]
    assert "mentor_is_new_to_mentee" in guards


def test_two_proposals_cannot_be_pending_for_one_trigger_even_if_filed_at_once(app, world):
    from service.actors import system
    from service.approvals import proposals as approvals
    from service.pairs.facts import TransitionRequest
    from service.pairs.models import Pair
    from workflows.pairing import Trigger

    pair = world.drive_to("active")
    request = TransitionRequest(Trigger.BEGIN_CLOSURE, final_session_on=date.today())
    with app.app_context():
        approvals.file(pair=db.session.get(Pair, pair["id"]), request=request, actor=system())
        db.session.commit()
    with app.app_context():
        # A second writer that did not see the first one's row.
        duplicate = Proposal(pair_id=pair["id"], trigger="begin_closure", proposed_by=system().ref)
        db.session.add(duplicate)
        try:
            db.session.commit()
            stored = "committed"
        except sa.exc.IntegrityError:
            db.session.rollback()
            stored = "refused"
    assert stored == "refused"


def test_asking_for_the_same_transition_with_other_details_is_refused_not_dropped(api, world):
    pair, proposal = _propose_closure(world)
    later = (date.today() + timedelta(days=21)).isoformat()
    response = api.trigger(pair["id"], "begin_closure", final_session_on=later)
    assert response.status_code == 409
    problem = response.get_json()
    assert problem["proposal_id"] == proposal["id"]
    assert "reject it first" in problem["detail"]
    assert api.ok("get", f"/proposals/{proposal['id']}")["params"]["final_session_on"] == NEXT_WEEK
