"""Committing a cohort's matches: each pair a `match` transition by the one who commits, with
its score and reasons on the transition record.

Commits on purpose one pair at a time, each in a transaction of its own: a pair that is
refused (someone matched it meanwhile, the mentor's last place went) leaves the others
matched, and the report says, item by item, what happened.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from service.actors import Actor
from service.database import db, transaction
from service.errors import DomainError, Invalid
from service.matching import suggestions
from service.pairs import lifecycle
from service.pairs import service as pairs
from service.pairs.bounds import REASON_MAX
from service.pairs.facts import TransitionRequest
from workflows.pairing import State, Trigger


@dataclass
class Committed:
    pair_id: int
    mentor_id: int
    outcome: str  # "matched", "proposed" (waits for an approval), or "refused"
    detail: str
    score: float | None = None
    reasons: list[str] = field(default_factory=list)
    transition_id: int | None = None
    proposal_id: int | None = None


def reason_for(score: float, reasons: list[str]) -> str:
    """What the transition record says about the choice, in words."""
    said = f"Cohort matching, score {score:g}: " + "; ".join(reasons or ["no preference met"])
    return said[:REASON_MAX]


def commit(*, program_id: int, matches: Iterable[tuple[int, int]], actor: Actor) -> list[Committed]:
    """Match each (pair id, mentor id), in order, each in its own transaction."""
    report = []
    for pair_id, mentor_id in matches:
        try:
            report.append(_commit_one(program_id, pair_id, mentor_id, actor))
        except DomainError as refusal:  # its transaction (or savepoint) is rolled back
            report.append(Committed(pair_id, mentor_id, "refused", refusal.detail))
    return report


def _commit_one(program_id: int, pair_id: int, mentor_id: int, actor: Actor) -> Committed:
    with transaction(keep_loaded=True):
        pair, program, _ = pairs.lock_with_program(pair_id)
        if pair.program_id != program_id:
            raise Invalid("pair_id", f"pair {pair_id} belongs to another program")
        if pair.state != State.RECRUITED or pair.mentor_id is not None:
            return Committed(
                pair_id, mentor_id, "refused", f"Pair #{pair_id} is {pair.state} already."
            )
        # The hard constraints as they stand now, not as they stood when it was proposed.
        why = suggestions.explain_couple(mentee_id=pair.mentee_id, mentor_id=mentor_id)
        if why.failures:
            return Committed(
                pair_id, mentor_id, "refused", "; ".join(why.failures) + ".", why.score
            )
        outcome = lifecycle.request_transition_within(
            pair=pair,
            program=program,
            actor=actor,
            request=TransitionRequest(
                Trigger.MATCH, mentor_id=mentor_id, reason=reason_for(why.score, why.reasons)
            ),
        )
        if outcome.transition is None:
            assert outcome.proposal is not None
            return Committed(
                pair_id,
                mentor_id,
                "proposed",
                "Filed for a coordinator's approval.",
                why.score,
                why.reasons,
                proposal_id=outcome.proposal.id,
            )
        record = outcome.transition
        record.details = {
            **record.details,
            "matching": {"score": why.score, "reasons": why.reasons},
        }
        db.session.flush()
        return Committed(
            pair_id,
            mentor_id,
            "matched",
            "Matched.",
            why.score,
            why.reasons,
            transition_id=record.id,
        )
