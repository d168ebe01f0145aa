"""Deciding proposals: approving applies the transition, rejecting records why; a proposal
is decided exactly once, by a compare-and-set on its status."""

from __future__ import annotations

import sqlalchemy as sa

from service.actors import Actor
from service.approvals.models import Proposal, ProposalStatus
from service.approvals.proposals import compare_and_decide, get
from service.database import db, transaction
from service.errors import AlreadyDecided, DomainError
from service.events import payloads
from service.events import service as events
from service.pairs import lifecycle
from service.pairs import service as pairs
from service.pairs.facts import TransitionRequest
from service.pairs.models import Pair
from service.programs.models import Program


def _claim(proposal: Proposal, status: ProposalStatus, actor: Actor, reason: str | None) -> None:
    """Decide a pending proposal, or tell the caller who decided it first."""
    if not compare_and_decide(proposal, status, actor, reason):
        db.session.refresh(proposal)
        decider = proposal.decided_by
        who = decider.label if decider else "someone"
        raise AlreadyDecided(
            f"Proposal {proposal.id} was already {proposal.status} by {who} "
            f"at {proposal.decided_at:%Y-%m-%d %H:%M} UTC.",
            proposal_status=proposal.status,
            decided_by={"kind": decider.kind, "label": decider.label} if decider else None,
            decided_at=proposal.decided_at.isoformat() if proposal.decided_at else None,
        )


class SelfApproval(DomainError):
    """Four-eyes: whoever filed a proposal does not approve it (unless the program allows)."""

    problem_type = "self-approval"


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
    with transaction():
        pair = pairs.lock(get(proposal_id=proposal_id).pair_id)
        proposal = get(proposal_id=proposal_id)
        program = pair.program
        refusal = self_approval_refusal(proposal, actor, program)
        if refusal is not None:
            raise SelfApproval(refusal, proposal_id=proposal.id)
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
