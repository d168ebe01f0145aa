"""Committing a cohort's matches: each pair a `match` transition by the one who commits, with
its score and reasons on the transition record.

Commits on purpose one pair at a time, each in a transaction of its own: a pair that is
refused (someone matched it meanwhile, the mentor's last place went) leaves the others
matched, and the report says, item by item, what happened.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from service.actors import Actor
from service.database import db, transaction
from service.errors import DomainError, Invalid, NotFound
from service.events import payloads
from service.events import service as events
from service.matching import suggestions
from service.pairs import lifecycle
from service.pairs import service as pairs
from service.pairs.bounds import REASON_MAX
from service.pairs.facts import TransitionRequest
from service.pairs.models import Pair
from service.participants.models import Participant, Role
from service.programs.models import Program
from workflows.intake import IntakeState
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


def _without_pair(program_id: int) -> sa.Select[Any]:
    """The program's approved, active mentees who have never been in a pair: added in the
    console or the API, or imported, rather than approved from an application (which gives
    them a `recruited` pair at once)."""
    return (
        sa.select(Participant.id)
        .where(
            Participant.program_id == program_id,
            Participant.role == Role.MENTEE,
            Participant.active.is_(True),
            Participant.intake_state == IntakeState.APPROVED,
            ~sa.exists().where(Pair.mentee_id == Participant.id),
        )
        .order_by(Participant.id)
    )


def count_without_pair(*, program_id: int) -> int:
    """How many of the program's mentees wait without a pair, so outside cohort matching."""
    query = _without_pair(program_id).order_by(None).subquery()
    return db.session.scalar(sa.select(sa.func.count()).select_from(query)) or 0


def start_pairs(*, program_id: int) -> int:
    """A `recruited` pair for each mentee `count_without_pair` counts, each announced with
    `pair.created`, in one transaction: they join the cohort to match. Returns how many."""
    with transaction():
        # The program's row lock queues two coordinators clicking at once (PostgreSQL; SQLite
        # serialises writers): the second finds no one left without a pair.
        program = db.session.scalar(
            sa.select(Program).where(Program.id == program_id).with_for_update()
        )
        if program is None:
            raise NotFound.of("program", program_id)
        made = [
            Pair(program_id=program.id, mentee_id=mentee_id, state=State.RECRUITED)
            for mentee_id in db.session.scalars(_without_pair(program.id))
        ]
        db.session.add_all(made)
        db.session.flush()
        for pair in made:
            events.emit("pair.created", {"pair": payloads.pair(pair)}, pair=pair)
    return len(made)


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
