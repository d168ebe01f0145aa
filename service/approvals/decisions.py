"""Deciding proposals: approving applies the transition, rejecting records why; a proposal
is decided exactly once, by a compare-and-set on its status."""

from __future__ import annotations

from service.actors import Actor
from service.approvals.models import Proposal, ProposalStatus
from service.approvals.proposals import compare_and_decide, get
from service.database import db, transaction
from service.errors import AlreadyDecided
from service.events import payloads
from service.events import service as events
from service.pairs import lifecycle
from service.pairs import service as pairs
from service.pairs.facts import TransitionRequest
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


def approve(*, proposal_id: int, actor: Actor, reason: str | None = None) -> lifecycle.Outcome:
    """Re-check the guards and apply the transition; on refusal the proposal stays pending."""
    with transaction():
        pair = pairs.lock(get(proposal_id=proposal_id).pair_id)
        proposal = get(proposal_id=proposal_id)
        _claim(proposal, ProposalStatus.APPROVED, actor, reason)
        program = db.session.get(Program, pair.program_id)
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
