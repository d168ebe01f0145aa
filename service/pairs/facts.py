"""`PairFacts` answered from the database, each fact queried only if a guard asks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from service.actors import Actor
from service.clock import today_in
from service.database import db
from service.meetings.models import Meeting, MeetingStatus
from service.pairs.models import Intervention, Pair
from service.participants.models import Participant
from service.programs.models import Program
from service.training import service as training
from workflows.pairing import ClosureReason, State, Trigger


@dataclass(frozen=True)
class TransitionRequest:
    """What a caller asks of a pair: a trigger and the details it needs."""

    trigger: Trigger
    reason: str | None = None
    signals: tuple[str, ...] = ()
    mentor_id: int | None = None
    final_session_on: date | None = None
    closure_reason: ClosureReason | None = None
    # rematch: re-match before the program's buffer has passed, and why.
    buffer_override_reason: str | None = None
    # rematch: what the mentee and the old mentor are told when it happens, if anything.
    reassurance: str | None = None

    def __post_init__(self) -> None:
        # A flag without a signal is a coordinator's flag, and is recorded as one.
        if self.trigger == Trigger.FLAG_RISK and not self.signals and self.reason:
            object.__setattr__(self, "signals", ("coordinator_flag",))

    def params(self) -> dict[str, Any]:
        """The trigger's details as JSON, kept on a proposal until it is decided."""
        params = asdict(self)
        for key in ("trigger", "reason", "signals"):
            params.pop(key)
        if self.final_session_on is not None:
            params["final_session_on"] = self.final_session_on.isoformat()
        return {key: value for key, value in params.items() if value is not None}

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> TransitionRequest:
        """From a transition request's body, as the API's schema loaded it."""
        return cls.from_params(
            body["trigger"], body, reason=body.get("reason"), signals=body.get("signals", ())
        )

    @classmethod
    def from_params(
        cls, trigger: str, params: dict[str, Any], *, reason: str | None, signals: Sequence[str]
    ) -> TransitionRequest:
        """From stored proposal params, or from a validated request body."""
        final = params.get("final_session_on")
        if isinstance(final, str):
            final = date.fromisoformat(final)
        closure = params.get("closure_reason")
        return cls(
            trigger=Trigger(trigger),
            reason=reason,
            signals=tuple(signals),
            mentor_id=params.get("mentor_id"),
            final_session_on=final,
            closure_reason=ClosureReason(closure) if closure else None,
            buffer_override_reason=params.get("buffer_override_reason"),
            reassurance=params.get("reassurance"),
        )


class DatabaseFacts:
    def __init__(self, pair: Pair, program: Program, request: TransitionRequest, actor: Actor):
        self.pair = pair
        self.program = program
        self.request = request
        self.actor = actor

    @cached_property
    def today(self) -> date:
        return today_in(self.program.timezone)

    @property
    def proposed_mentor_id(self) -> int | None:
        return self.request.mentor_id

    @cached_property
    def mentor_open_places(self) -> int:
        if self.request.mentor_id is None:
            return 0
        mentor = db.session.get(Participant, self.request.mentor_id)
        if mentor is None:
            return 0
        taken = db.session.scalar(
            sa.select(sa.func.count(Pair.id)).where(
                Pair.mentor_id == mentor.id, Pair.state.not_in([State.CLOSED, State.REMATCHED])
            )
        )
        return mentor.capacity - (taken or 0)

    @cached_property
    def previous_mentor_ids(self) -> frozenset[int]:
        mentor_ids = db.session.scalars(
            sa.select(Pair.mentor_id).where(
                Pair.mentee_id == self.pair.mentee_id, Pair.mentor_id.is_not(None)
            )
        )
        return frozenset(m for m in mentor_ids if m is not None)

    @property
    def mentor_accepted_introduction(self) -> bool:
        return self.pair.mentor_accepted_at is not None

    @property
    def mentee_accepted_introduction(self) -> bool:
        return self.pair.mentee_accepted_at is not None

    def _missing(self, participant_id: int | None, role: str) -> tuple[str, ...]:
        required = list(self.program.required_training.get(role, []))
        participant = db.session.get(Participant, participant_id) if participant_id else None
        if participant is None:
            return tuple(required) or ("a " + role,)
        return training.missing_sessions(participant, required)

    @cached_property
    def mentor_missing_training(self) -> tuple[str, ...]:
        return self._missing(self.pair.mentor_id, "mentor")

    @cached_property
    def mentee_missing_training(self) -> tuple[str, ...]:
        return self._missing(self.pair.mentee_id, "mentee")

    @cached_property
    def guardians_missing_training(self) -> tuple[str, ...]:
        """What the program requires of parents and guardians that one of the mentee's has not
        attended yet (nothing when the mentee has no guardian on file)."""
        required = list(self.program.required_training.get("guardian", []))
        if not required:
            return ()
        guardians = db.session.scalars(
            sa.select(Participant).where(Participant.guardian_of_id == self.pair.mentee_id)
        )
        missing = [s for g in guardians for s in training.missing_sessions(g, required)]
        return tuple(dict.fromkeys(missing))

    @property
    def is_successor_pair(self) -> bool:
        return self.pair.predecessor_id is not None

    @cached_property
    def mentor_completed_extra_training(self) -> bool:
        if self.pair.mentor_id is None:
            return False
        return training.completed_rematch_briefing(
            mentor_id=self.pair.mentor_id, pair_id=self.pair.id
        )

    @property
    def signals(self) -> tuple[str, ...]:
        return self.request.signals

    @property
    def reason(self) -> str | None:
        return self.request.reason

    @cached_property
    def interventions_since_at_risk(self) -> int:
        return (
            db.session.scalar(
                sa.select(sa.func.count(Intervention.id)).where(
                    Intervention.pair_id == self.pair.id,
                    Intervention.created_at >= self.pair.state_changed_at,
                )
            )
            or 0
        )

    @property
    def final_session_on(self) -> date | None:
        return self.request.final_session_on

    @cached_property
    def final_session_logged(self) -> bool:
        return (
            db.session.scalar(
                sa.select(Meeting.id).where(
                    Meeting.pair_id == self.pair.id,
                    Meeting.is_final_session.is_(True),
                    Meeting.status == MeetingStatus.HELD,
                )
            )
            is not None
        )

    @property
    def actor_is_admin(self) -> bool:
        return self.actor.is_admin

    @cached_property
    def last_interaction_on(self) -> date | None:
        last = db.session.scalar(
            sa.select(sa.func.max(Meeting.occurred_at)).where(
                Meeting.pair_id == self.pair.id, Meeting.status == MeetingStatus.HELD
            )
        )
        return last.astimezone(ZoneInfo(self.program.timezone)).date() if last else None

    @property
    def rematch_buffer_days(self) -> int:
        return self.program.rematch_buffer_days

    @property
    def buffer_override_reason(self) -> str | None:
        return self.request.buffer_override_reason

    @property
    def current_closure_reason(self) -> ClosureReason | None:
        reason = self.pair.closure_reason
        return ClosureReason(reason) if reason else None
