"""The drift detector in service: which running pairs are fading (and which are in acute
trouble), and for each fading one a proposal of a planned, celebrated closure that a
coordinator approves or declines. Nothing here moves a pair."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import pairwise

import sqlalchemy as sa

from service import actors
from service.approvals import proposals
from service.database import db
from service.errors import NotFound
from service.insights import features as ft
from service.insights.risk import SCORED_STATES, moment_of
from service.pairs.facts import TransitionRequest
from service.pairs.models import Pair
from service.programs.models import Program
from workflows.drift import Drift, Trajectory, classify
from workflows.pairing import ClosureReason, Trigger

MONTH = timedelta(days=30)
PROPOSAL_REASON = (
    "This match is fading: the pair meets half as often as it did, and check-ins go "
    "unanswered or ratings stay flat. Rather than let it dissolve, plan a last session that "
    "celebrates what they did together (or decline, and help them pick up again)."
)


@dataclass(frozen=True)
class Drifting:
    pair_id: int
    drift: Drift
    proposal_id: int | None  # the planned closure proposed, for a fading pair


def trajectory(record: ft.Record, pair_id: int, moment: datetime) -> Trajectory:
    held = record.held.get(pair_id, [])
    months = [
        ft.between(held, moment - (4 - i) * MONTH, moment - (3 - i) * MONTH) for i in range(4)
    ]
    ratings: list[int] = []
    drop = 0
    for given in record.ratings.get(pair_id, {}).values():
        recent = [(at, r) for at, r in given if moment - 4 * MONTH <= at < moment]
        ratings.extend(r for _, r in recent)
        lately = [r for at, r in recent if at >= moment - 2 * MONTH]
        drop = max([drop, *(a - b for a, b in pairwise(lately))])
    return Trajectory(
        meetings_by_month=months,
        unanswered_checkins=ft.unanswered(record.checkins_due.get(pair_id, []), moment),
        ratings=ratings,
        safety_signals=ft.between(record.safety.get(pair_id, []), moment - MONTH, moment),
        sharpest_drop=drop,
    )


def detect(*, program_id: int, as_of: date) -> list[Drifting]:
    """Classify the program's running pairs; propose a planned closure for each fading one
    (once: a pending proposal is never filed twice). Commits."""
    program = db.session.get(Program, program_id)
    if program is None:
        raise NotFound(f"There is no program {program_id}.")
    moment = moment_of(as_of)
    record = ft.read(program_id, moment)
    pairs = list(
        db.session.scalars(
            sa.select(Pair)
            .where(Pair.program_id == program_id, Pair.state.in_(SCORED_STATES))
            .order_by(Pair.id)
        )
    )
    actor = actors.system("drift detector")
    found = []
    for pair in pairs:
        drift = classify(trajectory(record, pair.id, moment), program.rating_drop_threshold)
        if drift is None:
            continue
        proposal_id = None
        if drift is Drift.FADING:
            request = TransitionRequest(
                Trigger.BEGIN_CLOSURE,
                reason=PROPOSAL_REASON,
                final_session_on=as_of + timedelta(days=program.closure_notice_days),
                closure_reason=ClosureReason.ENDED_EARLY,
            )
            proposal_id = proposals.file(pair=pair, request=request, actor=actor).id
        found.append(Drifting(pair.id, drift, proposal_id))
    db.session.commit()
    return found
