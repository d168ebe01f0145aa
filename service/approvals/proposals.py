"""Proposals: transitions that wait for a coordinator. Filing one, finding them, and closing
those a pair's new state made impossible; deciding them is `approvals.decisions`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.orm.attributes import set_committed_value

from service.actors import Actor, system
from service.approvals.models import Proposal, ProposalStatus
from service.clock import now
from service.database import db, rowcount
from service.errors import ConcurrentUpdate, Conflict, NotFound
from service.events import payloads
from service.events import service as events
from service.pairs.models import Pair
from service.schemas import api_link
from workflows import pairing

if TYPE_CHECKING:
    from service.pairs.facts import TransitionRequest


def get(*, proposal_id: int) -> Proposal:
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None:
        raise NotFound.of("proposal", proposal_id)
    return proposal


def list_query(
    *, status: str | None = None, pair_id: int | None = None, program_id: int | None = None
) -> sa.Select:
    query = sa.select(Proposal).order_by(Proposal.id)
    if status:
        query = query.where(Proposal.status == status)
    if pair_id is not None:
        query = query.where(Proposal.pair_id == pair_id)
    if program_id is not None:
        query = query.join(Pair, Pair.id == Proposal.pair_id).where(Pair.program_id == program_id)
    return query


def pending_for(pair_id: int, trigger: str) -> Proposal | None:
    return db.session.scalar(
        sa.select(Proposal).where(
            Proposal.pair_id == pair_id,
            Proposal.trigger == trigger,
            Proposal.status == ProposalStatus.PENDING,
        )
    )


def file(*, pair: Pair, request: TransitionRequest, actor: Actor) -> Proposal:
    """File a proposal in the caller's transaction; the same pending one is never filed twice."""
    existing = pending_for(pair.id, request.trigger)
    if existing is not None:
        return _same_or_conflict(existing, request)
    proposal = Proposal(
        pair_id=pair.id,
        trigger=request.trigger,
        params=request.params(),
        reason=request.reason,
        signals=list(request.signals),
        proposed_by=actor.ref,
    )
    try:
        with db.session.begin_nested():
            db.session.add(proposal)
    except IntegrityError:
        # Another request filed it between our read and our insert.
        existing = pending_for(pair.id, request.trigger)
        if existing is None:  # and it was decided since: the caller may ask again
            raise ConcurrentUpdate(
                f"Another {request.trigger} proposal for pair {pair.id} was filed meanwhile."
            ) from None
        return _same_or_conflict(existing, request)
    events.emit("proposal.created", {"proposal": payloads.proposal(proposal)}, pair=pair)
    return proposal


def _same_or_conflict(existing: Proposal, request: TransitionRequest) -> Proposal:
    """Asking again for what is pending is answered with it; asking for something else is
    refused, so nobody believes a different date or mentor was filed."""
    if existing.params == request.params() and (existing.reason or None) == request.reason:
        return existing
    raise Conflict(
        f"Proposal {existing.id} to {existing.trigger} this pair is waiting for a coordinator "
        "with other details; reject it first, or wait for its decision.",
        proposal_id=existing.id,
        proposal=api_link(f"/proposals/{existing.id}"),
    )


def compare_and_decide(
    proposal: Proposal, status: ProposalStatus, actor: Actor, reason: str | None
) -> bool:
    """Decide a pending proposal with a compare-and-set; False if it was decided already."""
    moment = now()
    ref = actor.ref
    claimed = db.session.execute(
        sa.update(Proposal)
        .where(Proposal.id == proposal.id, Proposal.status == ProposalStatus.PENDING)
        .values(
            status=status,
            decided_by_kind=ref.kind,
            decided_by_id=ref.id,
            decided_by_label=ref.label,
            decided_at=moment,
            decision_reason=reason,
        )
        .execution_options(synchronize_session=False)
    )
    if rowcount(claimed) != 1:
        return False
    set_committed_value(proposal, "status", status)
    set_committed_value(proposal, "decided_at", moment)
    set_committed_value(proposal, "decision_reason", reason)
    for suffix, value in (("kind", ref.kind), ("id", ref.id), ("label", ref.label)):
        set_committed_value(proposal, f"decided_by_{suffix}", value)
    return True


def any_pending(pair_id: sa.ColumnElement[int] | InstrumentedAttribute[int]) -> sa.Exists:
    """Whether the pair has a pending proposal: an EXISTS a query on pairs can ask (through
    the pending proposals' index) without a round trip of its own."""
    return sa.exists().where(Proposal.pair_id == pair_id, Proposal.status == ProposalStatus.PENDING)


def supersede_stale(*, pair: Pair) -> None:
    """Pending proposals the pair's new state no longer allows are closed, not left hanging."""
    allowed = set(pairing.allowed_triggers(pair.state))
    stale = db.session.scalars(
        sa.select(Proposal).where(
            Proposal.pair_id == pair.id,
            Proposal.status == ProposalStatus.PENDING,
            Proposal.trigger.not_in(allowed) if allowed else sa.true(),
        )
    ).all()
    for proposal in stale:
        # Someone may have decided it since we read it; then there is nothing to supersede.
        reason = f"The pair moved to {pair.state}."
        if compare_and_decide(proposal, ProposalStatus.SUPERSEDED, system(), reason):
            events.emit("proposal.decided", {"proposal": payloads.proposal(proposal)}, pair=pair)
