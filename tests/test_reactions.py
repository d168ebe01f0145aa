"""What follows a change, wired in service/reactions.py: in its documented order, and inside
the change's own transaction."""

from __future__ import annotations

import sqlalchemy as sa

from service.database import db
from service.pairs.models import Pair, TransitionRecord


def test_a_failing_reaction_rolls_the_whole_transition_back(app, api, world, monkeypatch):
    from service.approvals import proposals

    pair = world.drive_to("active")
    # A pending proposal, so the transition has proposals to look at.
    filed = api.trigger(pair["id"], "withdraw", closure_reason="withdrawn", reason="Moving")
    assert filed.status_code == 202, filed.get_json()

    def broken(*args, **kwargs):
        raise RuntimeError("superseding the proposals failed")

    monkeypatch.setattr(proposals, "supersede_stale", broken)
    response = api.post(
        f"/pairs/{pair['id']}/transitions", {"trigger": "flag_risk", "signals": ["no_chemistry"]}
    )
    assert response.status_code == 500
    with app.app_context():
        assert db.session.get(Pair, pair["id"]).state == "active"
        flagged = db.session.scalar(
            sa.select(TransitionRecord).where(
                TransitionRecord.pair_id == pair["id"], TransitionRecord.trigger == "flag_risk"
            )
        )
        assert flagged is None


def test_the_reactions_to_a_moving_pair_run_in_their_documented_order(app):
    from service import bus
    from service.pairs.domain_events import PairMoved

    assert [reaction.name for reaction in bus.reactions_to(PairMoved)] == [
        "service.closure.reactions.keep_closure_snapshot",
        "service.approvals.reactions.supersede_stale_proposals",
        "service.pairs.staffing.hand_successor_its_staff",
        "service.calendar.reactions.start_successor_calendar",
        "service.calendar.reactions.reassure_after_rematch",
        "service.calendar.reactions.tell_final_session_date",
        "service.calendar.actions.reflect_after_final_session",
    ]
