"""Deciding several proposals at once, with one reason: each decided on its own, in its own
transaction, so that one refused (someone decided it meanwhile, a guard no longer holds, you
filed it yourself) leaves the others decided, and the report says so, item by item."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa

from service.actors import Actor
from service.approvals import decisions
from service.approvals.models import Proposal
from service.database import db
from service.errors import DomainError
from service.problems import Problem

# One page of proposals, and then some: a bulk decision is read before it is confirmed.
MAX_AT_ONCE = 200


@dataclass(frozen=True)
class Decided:
    proposal_id: int
    pair_id: int | None
    trigger: str | None
    done: bool
    detail: str


def decide_many(
    *, proposal_ids: Iterable[int], decision: str, reason: str | None, actor: Actor
) -> list[Decided]:
    """Approve (or reject) each proposal in turn; `reason` is recorded on each."""
    ids = list(dict.fromkeys(proposal_ids))
    known = {
        p.id: (p.pair_id, p.trigger)
        for p in db.session.scalars(sa.select(Proposal).where(Proposal.id.in_(ids)))
    }
    db.session.rollback()  # each decision reads its proposal afresh, under its own lock
    report = []
    for proposal_id in ids:
        pair_id, trigger = known.get(proposal_id, (None, None))
        if pair_id is None:
            report.append(Decided(proposal_id, None, None, False, "No such proposal."))
            continue
        try:
            detail = _decide(proposal_id, decision, reason, actor)
        except (DomainError, Problem) as refusal:
            report.append(Decided(proposal_id, pair_id, trigger, False, refusal.detail or ""))
        else:
            report.append(Decided(proposal_id, pair_id, trigger, True, detail))
    return report


def _decide(proposal_id: int, decision: str, reason: str | None, actor: Actor) -> str:
    if decision == "approve":
        outcome = decisions.approve(proposal_id=proposal_id, actor=actor, reason=reason)
        return f"Approved: pair #{outcome.pair.id} is now {outcome.pair.state.replace('_', ' ')}."
    decisions.reject(proposal_id=proposal_id, actor=actor, reason=reason or "")
    return "Rejected."
