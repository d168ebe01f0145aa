"""Four eyes: whoever filed a proposal does not approve it, unless the program allows it;
and a token cannot loosen approvals to decide its own approval-required triggers."""

from __future__ import annotations

from datetime import date, timedelta

NEXT_WEEK = (date.today() + timedelta(days=7)).isoformat()


def _propose_closure(api, world) -> tuple[dict, dict]:
    pair = world.drive_to("active")
    response = api.trigger(pair["id"], "begin_closure", final_session_on=NEXT_WEEK)
    assert response.status_code == 202, response.get_json()
    return pair, response.get_json()["proposal"]


def test_a_token_cannot_approve_the_proposal_it_filed(api, world):
    pair, proposal = _propose_closure(api, world)

    response = api.post(f"/proposals/{proposal['id']}/approve", {})

    assert response.status_code == 403
    problem = response.get_json()
    assert problem["type"] == "/problems/self-approval"
    assert problem["proposal_id"] == proposal["id"]
    assert api.ok("get", f"/proposals/{proposal['id']}")["status"] == "pending"
    assert world.pair(pair["id"])["state"] == "active"


def test_an_admin_token_cannot_approve_the_proposal_it_filed_either(admin_api):
    from tests.helpers import World

    world = World.build(admin_api, mentors=1, mentees=1)
    _, proposal = _propose_closure(admin_api, world)

    response = admin_api.post(f"/proposals/{proposal['id']}/approve", {})

    assert response.get_json()["type"] == "/problems/self-approval"


def test_another_token_approves_it(api, world):
    _, proposal = _propose_closure(api, world)

    result = api.colleague("proposals:decide").ok(
        "post", f"/proposals/{proposal['id']}/approve", {}
    )

    assert result["pair"]["state"] == "closing"


def test_a_token_may_reject_its_own_proposal_to_withdraw_it(api, world):
    pair, proposal = _propose_closure(api, world)

    rejected = api.ok("post", f"/proposals/{proposal['id']}/reject", {"reason": "Filed too early"})

    assert rejected["status"] == "rejected"
    assert world.pair(pair["id"])["state"] == "active"


def test_a_program_that_allows_self_approval_lets_the_filer_approve(api, world):
    api.colleague("admin").ok(
        "patch", f"/programs/{world.program['id']}", {"allow_self_approval": True}
    )
    _, proposal = _propose_closure(api, world)

    result = api.ok("post", f"/proposals/{proposal['id']}/approve", {})

    assert result["proposal"]["decided_by"] == result["proposal"]["proposed_by"]
    assert result["pair"]["state"] == "closing"


def test_self_approval_is_off_unless_a_program_turns_it_on(world):
    assert world.program["allow_self_approval"] is False


def test_turning_on_self_approval_needs_the_admin_scope(api, world):
    response = api.patch(f"/programs/{world.program['id']}", {"allow_self_approval": True})

    assert response.status_code == 403
    assert response.get_json()["type"] == "/problems/forbidden"
    assert api.ok("get", f"/programs/{world.program['id']}")["allow_self_approval"] is False


def test_a_program_is_not_created_with_self_approval_without_the_admin_scope(api):
    response = api.post("/programs", {"name": "Lenient", "allow_self_approval": True})

    assert response.status_code == 403
    assert api.ok("get", "/programs")["total"] == 0


def test_a_token_cannot_take_a_trigger_out_of_approval_required_and_then_apply_it(api, world):
    pair = world.drive_to("active")

    response = api.patch(f"/programs/{world.program['id']}", {"approval_required": ["rematch"]})

    assert response.status_code == 403
    assert response.get_json()["dropped"] == ["begin_closure", "withdraw"]
    closing = api.trigger(pair["id"], "begin_closure", final_session_on=NEXT_WEEK)
    assert closing.status_code == 202


def test_a_token_may_add_a_trigger_to_approval_required(api, world):
    required = ["begin_closure", "flag_risk", "rematch", "withdraw"]

    program = api.ok("patch", f"/programs/{world.program['id']}", {"approval_required": required})

    assert program["approval_required"] == required


def test_the_setting_is_in_the_program_schema_of_the_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").get_json()

    setting = spec["components"]["schemas"]["Program"]["properties"]["allow_self_approval"]
    assert setting["type"] == "boolean"
    assert "four-eyes" in setting["description"].lower()


def test_the_self_approval_problem_is_described(client):
    page = client.get("/problems/self-approval", headers={"Accept": "application/json"})

    assert page.status_code == 200
