"""Four eyes in the console: a member of staff who filed a proposal sees why someone else
approves it, and the program settings page can allow self-approval."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from service.accounts.models import User
from service.approvals.models import Proposal
from service.database import db
from service.programs.models import Program

NEXT_WEEK = (date.today() + timedelta(days=7)).isoformat()


def _flashes(page: str) -> list[str]:
    return [html.unescape(m) for m in re.findall(r'<p class="flash[^"]*">([^<]+)</p>', page)]


@pytest.fixture
def filed(app, world, make_staff, console_as):
    """Sam, support staff on the pair, proposes its closure; later Sam becomes a coordinator
    (support staff never decide, coordinators apply without proposing: this is how one
    person comes to hold a proposal of their own)."""
    pair = world.drive_to("active")
    admin = console_as(make_staff("admin", "Ada Admin"))
    sam = make_staff("support", "Sam Support")
    admin.post(
        f"/console/pairs/{pair['id']}/staff", data={"coordinator_id": "", "support": [str(sam.id)]}
    )
    as_sam = console_as(sam)
    as_sam.post(
        f"/console/pairs/{pair['id']}/transition",
        data={"trigger": "begin_closure", "final_session_on": NEXT_WEEK},
    )
    assert _flashes(as_sam.flashes()) == ["Filed for a coordinator's approval: begin closure."]
    with app.app_context():
        proposal = db.session.scalar(sa.select(Proposal).where(Proposal.pair_id == pair["id"]))
        assert proposal.proposed_by.label == "Sam Support"
        db.session.get(User, sam.id).role = "coordinator"
        db.session.commit()
        proposal_id = proposal.id
    return {"pair": pair, "proposal_id": proposal_id, "sam": as_sam, "admin": admin}


def _status(app, proposal_id: int) -> str:
    with app.app_context():
        return db.session.get(Proposal, proposal_id).status


def _decide(console, filed, decision: str, reason: str = ""):
    back = f"/console/pairs/{filed['pair']['id']}"
    return console.post(
        f"/console/proposals/{filed['proposal_id']}/decide",
        data={"decision": decision, "reason": reason, "back": back},
    )


def test_a_member_of_staff_cannot_approve_a_proposal_they_filed(app, filed, world):
    _decide(filed["sam"], filed, "approve")

    page = filed["sam"].page(f"/console/pairs/{filed['pair']['id']}")
    assert _flashes(page) == [
        f"Sam Support filed proposal {filed['proposal_id']}, so someone else approves it "
        "(four eyes). Rejecting it withdraws it; a program may allow self-approval in its "
        "settings."
    ]
    assert _status(app, filed["proposal_id"]) == "pending"
    assert world.pair(filed["pair"]["id"])["state"] == "active"


def test_the_pair_page_offers_the_filer_only_to_withdraw_their_proposal(filed):
    page = filed["sam"].page(f"/console/pairs/{filed['pair']['id']}")
    card = page[page.index('id="proposals-title"') : page.index('id="actions-title"')]

    assert "You filed this proposal, so someone else approves it (four eyes)." in card
    assert 'value="approve"' not in card
    assert 'value="reject"' in card


def test_the_filer_may_reject_their_own_proposal(app, filed):
    _decide(filed["sam"], filed, "reject", reason="Filed too early")

    assert _status(app, filed["proposal_id"]) == "rejected"


def test_someone_else_approves_it(app, filed, world):
    _decide(filed["admin"], filed, "approve")

    assert _status(app, filed["proposal_id"]) == "approved"
    assert world.pair(filed["pair"]["id"])["state"] == "closing"


def test_a_program_that_allows_self_approval_lets_the_filer_approve(app, filed, world):
    with app.app_context():
        db.session.get(Program, world.program["id"]).allow_self_approval = True
        db.session.commit()

    _decide(filed["sam"], filed, "approve")

    assert _status(app, filed["proposal_id"]) == "approved"


def _settings_form(page: str) -> dict:
    """The program settings form as the page fills it in."""
    form: dict = {}
    for name, value in re.findall(
        r'<input type="text" inputmode="numeric" id="[^"]+" name="([^"]+)" value="([^"]*)"', page
    ):
        form[name] = value
    form["cadence_policy"] = re.search(
        r'name="cadence_policy" value="([^"]+)" checked', page
    ).group(1)
    form["approval_required"] = re.findall(
        r'name="approval_required" value="([^"]+)" checked', page
    )
    return form


def test_the_program_settings_page_explains_and_turns_on_self_approval(
    app, world, make_staff, console_as
):
    admin = console_as(make_staff("admin"))
    path = f"/console/programs/{world.program['id']}"
    page = admin.page(path)
    assert "Let whoever filed a proposal approve it" in page
    assert "someone else (four eyes)" in page

    admin.post(path, data={**_settings_form(page), "allow_self_approval": "yes"})

    with app.app_context():
        assert db.session.get(Program, world.program["id"]).allow_self_approval is True
    assert 'id="allow_self_approval" name="allow_self_approval" value="yes" checked' in admin.page(
        path
    )
