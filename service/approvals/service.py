"""Proposals: transitions that wait for a coordinator, decided exactly once."""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from service.actors import Actor, system
from service.approvals.models import Proposal, ProposalStatus
from service.clock import now
from service.database import db, transaction
from service.events import payloads
from service.events import service as events
from service.pairs import lifecycle
from service.pairs import service as pairs
from service.pairs.models import Pair
from service.problems import Problem, not_found
from service.programs.models import Program
from service.schemas import api_link
from workflows import pairing

if TYPE_CHECKING:
    from service.pairs.facts import TransitionRequest


def get(*, proposal_id: int) -> Proposal:
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None:
        raise not_found("proposal", proposal_id)
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
        return _same_or_conflict(pending_for(pair.id, request.trigger), request)
    events.emit("proposal.created", {"proposal": payloads.proposal(proposal)}, pair=pair)
    return proposal


def _same_or_conflict(existing: Proposal, request: TransitionRequest) -> Proposal:
    """Asking again for what is pending is answered with it; asking for something else is
    refused, so nobody believes a different date or mentor was filed."""
    if existing.params == request.params() and (existing.reason or None) == request.reason:
        return existing
    raise Problem(
        "conflict",
        f"Proposal {existing.id} to {existing.trigger} this pair is waiting for a coordinator "
        "with other details; reject it first, or wait for its decision.",
        proposal_id=existing.id,
        proposal=api_link(f"/proposals/{existing.id}"),
    )


def _compare_and_decide(
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
    if claimed.rowcount != 1:
        return False
    set_committed_value(proposal, "status", status)
    set_committed_value(proposal, "decided_at", moment)
    set_committed_value(proposal, "decision_reason", reason)
    for suffix, value in (("kind", ref.kind), ("id", ref.id), ("label", ref.label)):
        set_committed_value(proposal, f"decided_by_{suffix}", value)
    return True


def _claim(proposal: Proposal, status: ProposalStatus, actor: Actor, reason: str | None) -> None:
    """Decide a pending proposal, or tell the caller who decided it first."""
    if not _compare_and_decide(proposal, status, actor, reason):
        db.session.refresh(proposal)
        decider = proposal.decided_by
        who = decider.label if decider else "someone"
        raise Problem(
            "proposal-already-decided",
            f"Proposal {proposal.id} was already {proposal.status} by {who} "
            f"at {proposal.decided_at:%Y-%m-%d %H:%M} UTC.",
            proposal_status=proposal.status,
            decided_by={"kind": decider.kind, "label": decider.label} if decider else None,
            decided_at=proposal.decided_at.isoformat() if proposal.decided_at else None,
        )


def filed_by(proposal: Proposal, actor: Actor) -> bool:
    """Whether `actor` (the same token, or the same member of staff) filed the proposal.
    The system files proposals too (the calendar); it never approves any."""
    ref = proposal.proposed_by
    return ref.id is not None and ref.kind == actor.kind and ref.id == actor.id


def self_approval_refusal(proposal: Proposal, actor: Actor, program: Program) -> str | None:
    """Four-eyes: why `actor` may not approve the proposal, or None when they may.

    Only approval is refused: rejecting one's own proposal withdraws it and changes nothing
    about the pair, so it stays allowed.
    """
    if not filed_by(proposal, actor) or program.allow_self_approval:
        return None
    return (
        f"{actor.label} filed proposal {proposal.id}, so someone else approves it (four eyes). "
        "Rejecting it withdraws it; a program may allow self-approval in its settings."
    )


def approved_by_others(proposals: list[Proposal], actor: Actor) -> set[int]:
    """The ids of the proposals `actor` may not approve themselves (for the console)."""
    mine = [p for p in proposals if filed_by(p, actor)]
    if not mine:
        return set()
    pair_programs = dict(
        db.session.execute(
            sa.select(Pair.id, Pair.program_id).where(Pair.id.in_({p.pair_id for p in mine}))
        ).all()
    )
    programs = {
        program.id: program
        for program in db.session.scalars(
            sa.select(Program).where(Program.id.in_(set(pair_programs.values())))
        )
    }
    return {
        p.id
        for p in mine
        if self_approval_refusal(p, actor, programs[pair_programs[p.pair_id]]) is not None
    }


def approve(*, proposal_id: int, actor: Actor, reason: str | None = None) -> lifecycle.Outcome:
    """Re-check the guards and apply the transition; on refusal the proposal stays pending."""
    from service.pairs.facts import TransitionRequest

    with transaction():
        pair = pairs.lock(get(proposal_id=proposal_id).pair_id)
        proposal = get(proposal_id=proposal_id)
        program = db.session.get(Program, pair.program_id)
        refusal = self_approval_refusal(proposal, actor, program)
        if refusal is not None:
            raise Problem("self-approval", refusal, proposal_id=proposal.id)
        _claim(proposal, ProposalStatus.APPROVED, actor, reason)
        request = TransitionRequest.from_params(
            proposal.trigger, proposal.params, reason=proposal.reason, signals=proposal.signals
        )
        record = lifecycle.apply(
            pair=pair, program=program, request=request, actor=actor, proposal=proposal
        )
        proposal.transition_id = record.id
        events.emit("proposal.decided", {"proposal": payloads.proposal(proposal)}, pair=pair)
        return lifecycle.Outcome(pair=pair, transition=record, proposal=proposal)


def reject(*, proposal_id: int, actor: Actor, reason: str) -> Proposal:
    with transaction():
        pair = pairs.lock(get(proposal_id=proposal_id).pair_id)
        proposal = get(proposal_id=proposal_id)
        _claim(proposal, ProposalStatus.REJECTED, actor, reason)
        events.emit("proposal.decided", {"proposal": payloads.proposal(proposal)}, pair=pair)
    return proposal


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
        if _compare_and_decide(proposal, ProposalStatus.SUPERSEDED, system(), reason):
            events.emit("proposal.decided", {"proposal": payloads.proposal(proposal)}, pair=pair)
