"""Deciding several proposals at once from the proposals list: ticked, read back as what
the decision will do, then, confirmed, each decided on its own, with one reason, and a
report of what happened to each."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from service.approvals.models import Proposal
from service.database import db
from tests.helpers import World

REASON = "Agreed at Monday's case review"


@pytest.fixture
def coordinator(make_staff, console_as):
    return console_as(make_staff("coordinator"))


def _withdrawals(api, count: int) -> list[dict]:
    """`count` pairs, each with a proposal to withdraw it waiting for a decision."""
    world = World.build(api, mentees=count)
    filed = []
    for index in range(count):
        pair = world.new_pair(index)
        response = api.trigger(pair["id"], "withdraw", closure_reason="withdrawn", reason="Moved")
        assert response.status_code == 202, response.get_json()
        filed.append(response.get_json()["proposal"])
    return filed


def _bulk(console, proposals: list[dict], decision: str, *, reason: str = REASON, **extra):
    data = {"proposal": [str(p["id"]) for p in proposals], "decision": decision, **extra}
    return console.post("/console/proposals/bulk", data={**data, "reason": reason})


def _statuses(app, proposals: list[dict]) -> list[str]:
    with app.app_context():
        found = {
            p.id: p
            for p in db.session.scalars(
                sa.select(Proposal).where(Proposal.id.in_([p["id"] for p in proposals]))
            )
        }
        return [found[p["id"]].status for p in proposals]


def test_the_list_lets_a_coordinator_tick_each_proposal(api, coordinator):
    proposals = _withdrawals(api, 2)
    page = coordinator.page("/console/proposals")
    ticked = re.findall(r'<input type="checkbox" form="bulk" name="proposal" value="(\d+)"', page)
    assert [int(n) for n in ticked] == [p["id"] for p in proposals]


def test_ticked_proposals_are_read_back_and_nothing_is_decided_before_it_is_confirmed(
    app, api, coordinator
):
    proposals = _withdrawals(api, 3)
    page = _bulk(coordinator, proposals, "approve").get_data(as_text=True)
    assert "Approve 3 proposals?" in page
    assert all(f"/console/pairs/{p['pair_id']}" in page for p in proposals)
    assert _statuses(app, proposals) == ["pending"] * 3


def test_three_proposals_approved_at_once_each_move_their_pair_with_the_reason(
    app, api, coordinator
):
    proposals = _withdrawals(api, 3)
    page = _bulk(coordinator, proposals, "approve", confirmed="y").get_data(as_text=True)
    assert "3 of 3 approved" in page
    assert page.count("is now closed") == 3
    assert _statuses(app, proposals) == ["approved"] * 3
    with app.app_context():
        reasons = db.session.scalars(
            sa.select(Proposal.decision_reason).where(Proposal.id.in_([p["id"] for p in proposals]))
        ).all()
    assert reasons == [REASON] * 3


def test_a_proposal_decided_meanwhile_is_reported_and_the_others_are_still_decided(
    app, api, world, coordinator
):
    proposals = _withdrawals(api, 3)
    world.approver.ok("post", f"/proposals/{proposals[1]['id']}/reject", {"reason": "No"})
    page = _bulk(coordinator, proposals, "approve", confirmed="y").get_data(as_text=True)
    assert "2 of 3 approved" in page
    assert "Not done:" in page
    assert _statuses(app, proposals) == ["approved", "rejected", "approved"]


def test_several_proposals_are_rejected_at_once_with_one_reason(app, api, coordinator):
    proposals = _withdrawals(api, 2)
    page = _bulk(coordinator, proposals, "reject", confirmed="y").get_data(as_text=True)
    assert "2 of 2 rejected" in page
    assert _statuses(app, proposals) == ["rejected"] * 2


def test_a_rejection_without_a_reason_is_refused_and_decides_nothing(app, api, coordinator):
    proposals = _withdrawals(api, 2)
    response = _bulk(coordinator, proposals, "reject", reason="", confirmed="y")
    assert response.status_code == 302
    assert "Say why you reject it" in coordinator.flashes()
    assert _statuses(app, proposals) == ["pending"] * 2


def test_reviewing_with_nothing_ticked_says_what_to_do(coordinator):
    response = coordinator.post(
        "/console/proposals/bulk", data={"decision": "approve", "reason": ""}
    )
    assert response.status_code == 302
    assert "Tick the proposals to decide." in coordinator.flashes()


def test_support_staff_cannot_decide_proposals_in_bulk(app, api, make_staff, console_as):
    proposals = _withdrawals(api, 1)
    response = _bulk(console_as(make_staff("support")), proposals, "approve", confirmed="y")
    assert response.status_code == 403
    assert _statuses(app, proposals) == ["pending"]
