"""Applying the lifecycle of `workflows.pairing` to pair rows.

A transition checks its guards, moves the pair with a compare-and-set, and writes its
transition record, its side effects and its outbox events in the caller's transaction:
all of it commits, or none of it does. Then it announces `PairMoved`: what other domains do
about it (the calendar, approvals, closure) is theirs, wired in `service/reactions.py`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from service import bus
from service.actors import Actor
from service.approvals import proposals
from service.approvals.models import Proposal
from service.clock import now, today_in
from service.closure import service as closure
from service.database import add_inserted, db, transaction
from service.errors import DomainError, Forbidden, GuardFailed, Invalid, TriggerNotAllowed
from service.events import payloads
from service.events import service as events
from service.pairs import service as pairs
from service.pairs.domain_events import PairMoved
from service.pairs.facts import DatabaseFacts, TransitionRequest
from service.pairs.models import Pair, TransitionRecord
from service.participants import service as participants
from service.participants.models import Role
from service.programs.models import Program
from workflows import pairing
from workflows.cadence import add_months
from workflows.pairing import ClosureReason, State, Trigger


@dataclass
class Outcome:
    pair: Pair
    transition: TransitionRecord | None = None
    proposal: Proposal | None = None

    @property
    def applied(self) -> bool:
        return self.transition is not None


# Whether the pair has pending proposals to supersede, asked by the query that locks it
# (built once: `lock_with_program` keeps its statement).
_ANY_PENDING = proposals.any_pending(Pair.id)


def request_transition(*, pair_id: int, request: TransitionRequest, actor: Actor) -> Outcome:
    """Apply the trigger now, or file a proposal when the program wants a coordinator."""
    # The pair is locked and written here, the record and proposal made here: what is in hand
    # is what commits, so the answer is built from it without reading them again.
    with transaction(keep_loaded=True):
        pair, program, pending = pairs.lock_with_program(pair_id, asking=_ANY_PENDING)
        return request_transition_within(
            pair=pair, request=request, actor=actor, program=program, pending_proposals=pending
        )


def request_transition_within(
    *,
    pair: Pair,
    request: TransitionRequest,
    actor: Actor,
    program: Program | None = None,
    pending_proposals: bool | None = None,
) -> Outcome:
    """`request_transition`, inside the caller's transaction (`program`: the pair's, when
    the caller holds it already; `pending_proposals`: whether it has any, when the caller
    read it under the pair's lock)."""
    program = program or pair.program
    if not actor.decides_directly and pairing.needs_approval(
        request.trigger,
        program.approval_required,
        signals=request.signals,
        closure_reason=request.closure_reason,
    ):
        # Refuse now what could never be approved, rather than file it.
        decide(pair=pair, program=program, request=request, actor=actor, placing=False)
        proposal = proposals.file(pair=pair, request=request, actor=actor)
        return Outcome(pair=pair, proposal=proposal)
    record = apply(
        pair=pair,
        program=program,
        request=request,
        actor=actor,
        pending_proposals=pending_proposals is not False,
    )
    return Outcome(pair=pair, transition=record)


def decide(
    *,
    pair: Pair,
    program: Program,
    request: TransitionRequest,
    actor: Actor,
    placing: bool = True,
) -> State:
    """Where the request takes the pair, or the problem that refuses it.

    `placing` locks the chosen mentor's row first, so concurrent placements cannot both take
    the last open place; filing a proposal places nobody and takes no lock.
    """
    if request.trigger in (Trigger.MATCH, Trigger.REMATCH):
        if request.mentor_id is None:
            raise Invalid("mentor_id", f"{request.trigger} needs the new mentor's id")
        mentor = participants.get_in_program(
            participant_id=request.mentor_id,
            program_id=program.id,
            role=Role.MENTOR,
            field="mentor_id",
        )
        if placing:
            participants.lock_for_placement(mentor)
    facts = DatabaseFacts(pair, program, request, actor)
    try:
        return pairing.decide(pair.state, request.trigger, facts)
    except pairing.TransitionRefused as refusal:
        raise _refusal_error(refusal, facts) from None


def apply(
    *,
    pair: Pair,
    program: Program,
    request: TransitionRequest,
    actor: Actor,
    proposal: Proposal | None = None,
    pending_proposals: bool = True,
) -> TransitionRecord:
    """Apply a transition inside the caller's transaction, and announce it
    (`pending_proposals`: False when the caller knows the pair has none)."""
    target = decide(pair=pair, program=program, request=request, actor=actor)
    from_state = State(pair.state)
    moment = now()
    # The pair's own events are numbered by the compare-and-set that moves it.
    announced = ["pair.transitioned"] + (["pair.closed"] if target == State.CLOSED else [])
    sequence, numbers = pairs.compare_and_set_state(pair, target, moment, events=len(announced))
    effect = _EFFECTS.get(request.trigger, _no_effect)(pair, program, request, moment)
    record = TransitionRecord(
        pair_id=pair.id,
        sequence=sequence,
        trigger=request.trigger,
        from_state=from_state,
        to_state=target,
        actor=actor.ref,
        reason=request.reason,
        signals=list(request.signals),
        details=effect.details,
        proposal_id=proposal.id if proposal is not None else None,
        created_at=moment,
    )
    add_inserted(record)
    transitioned = {"pair": payloads.pair(pair), "transition": payloads.transition(record)}
    events.emit("pair.transitioned", transitioned, pair=pair, sequence=numbers[0])
    if target == State.CLOSED:
        closed = {"pair": payloads.pair(pair), "closure_reason": pair.closure_reason}
        reasons = closure.public_reasons(pair)
        if reasons is not None:
            closed["ending_reasons"] = reasons
        events.emit("pair.closed", closed, pair=pair, sequence=numbers[1])
    bus.announce(
        PairMoved(
            pair=pair,
            program=program,
            record=record,
            request=request,
            actor=actor,
            from_state=from_state,
            to_state=target,
            successor=effect.successor,
            pending_proposals=pending_proposals,
        )
    )
    return record


def _refusal_error(refusal: pairing.TransitionRefused, facts: DatabaseFacts) -> DomainError:
    if isinstance(refusal, pairing.UnknownTrigger):
        return Invalid("trigger", str(refusal))
    if isinstance(refusal, pairing.TriggerNotAllowed):
        return TriggerNotAllowed(
            str(refusal),
            state=refusal.state,
            trigger=refusal.trigger,
            allowed_triggers=[str(t) for t in refusal.allowed],
        )
    assert isinstance(refusal, pairing.GuardFailed)
    if pairing.actor_is_admin in refusal.failed:
        # Who may do it is an authorisation question, answered as one.
        return Forbidden(f"Only an admin may {refusal.trigger} a pair.")
    detail = str(refusal)
    if {pairing.both_completed_training, pairing.guardians_completed_training} & set(
        refusal.failed
    ):
        missing = [
            f"{role} still needs {', '.join(sessions)}"
            for role, sessions in (
                ("the mentor", facts.mentor_missing_training),
                ("the mentee", facts.mentee_missing_training),
                ("a parent or guardian", facts.guardians_missing_training),
            )
            if sessions
        ]
        detail += " (" + "; ".join(missing) + ")"
    return GuardFailed(
        detail,
        state=refusal.state,
        trigger=refusal.trigger,
        requirements=[
            {"guard": check.__name__, "requirement": check.requirement}  # type: ignore[attr-defined]
            for check in refusal.failed
        ],
    )


@dataclass(frozen=True)
class Effect:
    """What a trigger did besides moving the pair: kept on the transition record."""

    details: dict[str, Any] = field(default_factory=dict)
    successor: Pair | None = None


EffectOf = Callable[[Pair, Program, TransitionRequest, datetime], Effect]


def _no_effect(
    pair: Pair, program: Program, request: TransitionRequest, moment: datetime
) -> Effect:
    return Effect()


def _assign_mentor(
    pair: Pair, program: Program, request: TransitionRequest, moment: datetime
) -> Effect:
    pair.mentor_id = request.mentor_id
    pair.matched_at = moment
    return Effect({"mentor_id": request.mentor_id})


def _activate(pair: Pair, program: Program, request: TransitionRequest, moment: datetime) -> Effect:
    """The relationship starts running: its calendar counts from here, and it gets a
    planned end from the program's match length unless it has one."""
    if pair.activated_at is None:
        pair.activated_at = moment
    if pair.planned_end_on is None and program.match_length_months:
        start = today_in(program.timezone)
        pair.planned_end_on = add_months(start, program.match_length_months)
    return Effect(
        {"planned_end_on": pair.planned_end_on.isoformat()} if pair.planned_end_on else {}
    )


def _plan_final_session(
    pair: Pair, program: Program, request: TransitionRequest, moment: datetime
) -> Effect:
    if request.final_session_on is None:  # a guard requires it; this keeps the promise local
        raise Invalid("final_session_on", f"{request.trigger} needs the final session's date")
    pair.final_session_on = request.final_session_on
    pair.closure_reason = request.closure_reason or ClosureReason.COMPLETED
    return Effect(
        {
            "final_session_on": request.final_session_on.isoformat(),
            "closure_reason": pair.closure_reason,
        }
    )


def _close(pair: Pair, program: Program, request: TransitionRequest, moment: datetime) -> Effect:
    # The closure procedure as it stood is added to the details by closure's reaction.
    pair.closure_reason = pair.closure_reason or ClosureReason.COMPLETED
    pair.closed_at = moment
    return Effect({"closure_reason": pair.closure_reason})


def _withdraw(pair: Pair, program: Program, request: TransitionRequest, moment: datetime) -> Effect:
    pair.closure_reason = request.closure_reason or ClosureReason.WITHDRAWN
    pair.closed_at = moment
    return Effect({"closure_reason": pair.closure_reason})


def _reopen(pair: Pair, program: Program, request: TransitionRequest, moment: datetime) -> Effect:
    pairs.ensure_mentee_free(pair.mentee_id, except_pair_id=pair.id)
    previous = pair.closure_reason
    pair.closure_reason = None
    pair.closed_at = None
    pair.final_session_on = None
    return Effect({"previous_closure_reason": previous})


def _start_successor(
    pair: Pair, program: Program, request: TransitionRequest, moment: datetime
) -> Effect:
    """A re-match: the mentee starts again with a new mentor, in a new linked pair (whose
    staff and calendar the reactions give it)."""
    successor = Pair(
        program_id=pair.program_id,
        mentee_id=pair.mentee_id,
        mentor_id=request.mentor_id,
        state=State.MATCHED,
        predecessor_id=pair.id,
        state_changed_at=moment,
        created_at=moment,
        matched_at=moment,
    )
    db.session.add(successor)
    db.session.flush()
    pair.successor_id = successor.id
    events.emit("pair.created", {"pair": payloads.pair(successor)}, pair=successor)
    details: dict[str, Any] = {"successor_pair_id": successor.id, "mentor_id": request.mentor_id}
    if request.buffer_override_reason:
        details["buffer_override_reason"] = request.buffer_override_reason
    return Effect(details, successor=successor)


_EFFECTS: dict[Trigger, EffectOf] = {
    Trigger.MATCH: _assign_mentor,
    Trigger.ACTIVATE: _activate,
    Trigger.BEGIN_CLOSURE: _plan_final_session,
    Trigger.CLOSE: _close,
    Trigger.WITHDRAW: _withdraw,
    Trigger.REOPEN: _reopen,
    Trigger.REMATCH: _start_successor,
}
