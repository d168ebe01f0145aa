"""The pair lifecycle, declared once: every state, trigger and guard of a mentoring pair.

This module is pure. It imports nothing from `service/` and never touches a database
row: the service layer describes the pair at hand as `PairFacts` and asks `decide()`
where a trigger leads. A fresh `Machine` is built for each decision (under 0.1 ms), so no
machine outlives a request, keeps rows alive, or is shared between threads; the
database's compare-and-set, not the machine, settles races between processes.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from typing import Any, Protocol

from workflows.machine import Refusals, StateMachine
from workflows.signals import is_safety


class State(StrEnum):
    RECRUITED = "recruited"
    MATCHED = "matched"
    TRAINING = "training"
    ACTIVE = "active"
    AT_RISK = "at_risk"
    CLOSING = "closing"
    CLOSED = "closed"
    REMATCHED = "rematched"


TERMINAL_STATES = frozenset({State.CLOSED, State.REMATCHED})
OPEN_STATES = tuple(state for state in State if state not in TERMINAL_STATES)


class Trigger(StrEnum):
    MATCH = "match"
    START_TRAINING = "start_training"
    ACTIVATE = "activate"
    FLAG_RISK = "flag_risk"
    RESOLVE = "resolve"
    REMATCH = "rematch"
    BEGIN_CLOSURE = "begin_closure"
    CLOSE = "close"
    WITHDRAW = "withdraw"
    REOPEN = "reopen"


class ClosureReason(StrEnum):
    COMPLETED = "completed"
    ENDED_EARLY = "ended_early"
    WITHDRAWN = "withdrawn"
    SAFETY = "safety"


class PairFacts(Protocol):
    """What the guards may ask about a pair and the request at hand (read-only: the guards
    ask, never change)."""

    @property
    def today(self) -> date: ...

    @property
    def proposed_mentor_id(self) -> int | None: ...

    @property
    def mentor_open_places(self) -> int: ...

    @property
    def previous_mentor_ids(self) -> frozenset[int]: ...

    @property
    def mentor_accepted_introduction(self) -> bool: ...

    @property
    def mentee_accepted_introduction(self) -> bool: ...

    @property
    def mentor_missing_training(self) -> tuple[str, ...]: ...

    @property
    def mentee_missing_training(self) -> tuple[str, ...]: ...

    @property
    def guardians_missing_training(self) -> tuple[str, ...]: ...

    @property
    def is_successor_pair(self) -> bool: ...

    @property
    def mentor_completed_extra_training(self) -> bool: ...

    @property
    def signals(self) -> tuple[str, ...]: ...

    @property
    def reason(self) -> str | None: ...

    @property
    def interventions_since_at_risk(self) -> int: ...

    @property
    def final_session_on(self) -> date | None: ...

    @property
    def final_session_logged(self) -> bool: ...

    @property
    def actor_is_admin(self) -> bool: ...

    @property
    def current_closure_reason(self) -> ClosureReason | None: ...

    @property
    def last_interaction_on(self) -> date | None: ...

    @property
    def rematch_buffer_days(self) -> int: ...

    @property
    def buffer_override_reason(self) -> str | None: ...


@dataclass(frozen=True)
class Facts:
    """A plain `PairFacts`, for tests and callers that already know everything."""

    today: date = field(default_factory=date.today)
    proposed_mentor_id: int | None = None
    mentor_open_places: int = 0
    previous_mentor_ids: frozenset[int] = frozenset()
    mentor_accepted_introduction: bool = False
    mentee_accepted_introduction: bool = False
    mentor_missing_training: tuple[str, ...] = ()
    mentee_missing_training: tuple[str, ...] = ()
    guardians_missing_training: tuple[str, ...] = ()
    is_successor_pair: bool = False
    mentor_completed_extra_training: bool = False
    signals: tuple[str, ...] = ()
    reason: str | None = None
    interventions_since_at_risk: int = 0
    final_session_on: date | None = None
    final_session_logged: bool = False
    actor_is_admin: bool = False
    current_closure_reason: ClosureReason | None = None
    last_interaction_on: date | None = None
    rematch_buffer_days: int = 0
    buffer_override_reason: str | None = None


Guard = Callable[[PairFacts], bool]


def guard(requirement: str) -> Callable[[Guard], Guard]:
    """Name what a guard requires, in words a coordinator reads in a refusal."""

    def mark(check: Guard) -> Guard:
        check.requirement = requirement  # type: ignore[attr-defined]
        return check

    return mark


@guard("a mentor is chosen")
def mentor_chosen(facts: PairFacts) -> bool:
    return facts.proposed_mentor_id is not None


@guard("the mentor has an open place (capacity not reached)")
def mentor_has_capacity(facts: PairFacts) -> bool:
    return facts.mentor_open_places > 0


@guard("the mentor has never been matched with this mentee before")
def mentor_is_new_to_mentee(facts: PairFacts) -> bool:
    return facts.proposed_mentor_id not in facts.previous_mentor_ids


@guard("both mentor and mentee accepted the introduction")
def both_accepted_introduction(facts: PairFacts) -> bool:
    return facts.mentor_accepted_introduction and facts.mentee_accepted_introduction


@guard("mentor and mentee completed the program's required training")
def both_completed_training(facts: PairFacts) -> bool:
    return not facts.mentor_missing_training and not facts.mentee_missing_training


@guard("the mentee's parents or guardians completed the training the program requires of them")
def guardians_completed_training(facts: PairFacts) -> bool:
    return not facts.guardians_missing_training


@guard("a re-matched mentor completed the extra training session")
def new_mentor_completed_extra_training(facts: PairFacts) -> bool:
    return not facts.is_successor_pair or facts.mentor_completed_extra_training


@guard("at least one signal, or a coordinator's flag with a reason")
def has_signal_or_flag(facts: PairFacts) -> bool:
    return bool(facts.signals) or bool(facts.reason and facts.reason.strip())


@guard(
    "the program's buffer after the final interaction has passed, or a coordinator overrides "
    "it with a reason"
)
def rematch_buffer_respected(facts: PairFacts) -> bool:
    if facts.buffer_override_reason and facts.buffer_override_reason.strip():
        return True
    if facts.last_interaction_on is None:
        return True
    return facts.today >= facts.last_interaction_on + timedelta(days=facts.rematch_buffer_days)


@guard("an intervention was recorded since the pair became at risk")
def intervention_recorded(facts: PairFacts) -> bool:
    return facts.interventions_since_at_risk > 0


@guard("a final-session date, today or later, so the mentee can be told")
def final_session_date_ahead(facts: PairFacts) -> bool:
    return facts.final_session_on is not None and facts.final_session_on >= facts.today


@guard("the final session was logged")
def final_session_logged(facts: PairFacts) -> bool:
    return facts.final_session_logged


@guard("a reason is given")
def reason_given(facts: PairFacts) -> bool:
    return bool(facts.reason and facts.reason.strip())


@guard("the request comes from an admin")
def actor_is_admin(facts: PairFacts) -> bool:
    return facts.actor_is_admin


@guard("the pair was not closed for safety")
def not_closed_for_safety(facts: PairFacts) -> bool:
    return facts.current_closure_reason != ClosureReason.SAFETY


# fmt: off
TRANSITIONS: list[dict[str, Any]] = [
    {"trigger": Trigger.MATCH, "source": State.RECRUITED, "dest": State.MATCHED,
     "conditions": [mentor_chosen, mentor_has_capacity, mentor_is_new_to_mentee]},
    {"trigger": Trigger.START_TRAINING, "source": State.MATCHED, "dest": State.TRAINING,
     "conditions": [both_accepted_introduction]},
    {"trigger": Trigger.ACTIVATE, "source": State.TRAINING, "dest": State.ACTIVE,
     "conditions": [both_completed_training, guardians_completed_training,
                    new_mentor_completed_extra_training]},
    {"trigger": Trigger.FLAG_RISK, "source": State.ACTIVE, "dest": State.AT_RISK,
     "conditions": [has_signal_or_flag]},
    {"trigger": Trigger.RESOLVE, "source": State.AT_RISK, "dest": State.ACTIVE,
     "conditions": [intervention_recorded]},
    {"trigger": Trigger.REMATCH, "source": State.AT_RISK, "dest": State.REMATCHED,
     "conditions": [mentor_chosen, mentor_has_capacity, mentor_is_new_to_mentee,
                    rematch_buffer_respected]},
    {"trigger": Trigger.BEGIN_CLOSURE, "source": [State.ACTIVE, State.AT_RISK],
     "dest": State.CLOSING, "conditions": [final_session_date_ahead]},
    {"trigger": Trigger.CLOSE, "source": State.CLOSING, "dest": State.CLOSED,
     "conditions": [final_session_logged]},
    {"trigger": Trigger.WITHDRAW, "source": list(OPEN_STATES), "dest": State.CLOSED,
     "conditions": [reason_given]},
    {"trigger": Trigger.REOPEN, "source": State.CLOSED, "dest": State.ACTIVE,
     "conditions": [actor_is_admin, reason_given, not_closed_for_safety]},
]
# fmt: on

# Coordinators approve these by default; flag_risk is automatic.
DEFAULT_APPROVAL_REQUIRED = frozenset({Trigger.REMATCH, Trigger.BEGIN_CLOSURE, Trigger.WITHDRAW})


class TransitionRefused(Exception):
    def __init__(self, state: State, trigger: str, message: str) -> None:
        super().__init__(message)
        self.state = state
        self.trigger = trigger


class UnknownTrigger(TransitionRefused):
    def __init__(self, state: State, trigger: str) -> None:
        known = ", ".join(Trigger)
        super().__init__(state, trigger, f"Unknown trigger {trigger!r}; known triggers: {known}.")


class TriggerNotAllowed(TransitionRefused):
    def __init__(self, state: State, trigger: str) -> None:
        self.allowed = allowed_triggers(state)
        allowed = ", ".join(self.allowed) or "none, the pair's lifecycle has ended"
        super().__init__(
            state,
            trigger,
            f"A pair in state '{state}' cannot '{trigger}'; allowed now: {allowed}.",
        )


class GuardFailed(TransitionRefused):
    def __init__(self, state: State, trigger: str, failed: list[Guard]) -> None:
        self.failed = failed
        self.requirements = [check.requirement for check in failed]  # type: ignore[attr-defined]
        super().__init__(
            state,
            trigger,
            f"'{trigger}' requires " + "; and ".join(self.requirements) + ".",
        )


LIFECYCLE: StateMachine[State, Trigger] = StateMachine(
    states=State,
    triggers=Trigger,
    transitions=TRANSITIONS,
    terminal=TERMINAL_STATES,
    title="Pair lifecycle",
)


def decide(state: State | str, trigger: str, facts: PairFacts) -> State:
    """Where `trigger` takes a pair in `state`, or why it cannot go there."""
    return LIFECYCLE.decide(
        state, trigger, facts, Refusals(UnknownTrigger, TriggerNotAllowed, GuardFailed)
    )


def failed_guards(state: State, trigger: Trigger, facts: PairFacts) -> list[Guard]:
    return LIFECYCLE.failed_guards(state, trigger, facts)


def allowed_triggers(state: State | str) -> list[Trigger]:
    """Triggers declared from `state`, whatever their guards say."""
    return LIFECYCLE.allowed_triggers(state)


def needs_approval(
    trigger: Trigger | str,
    approval_required: Collection[str],
    *,
    signals: Iterable[str] = (),
    closure_reason: str | None = None,
) -> bool:
    """Whether a coordinator must approve `trigger` first.

    Safety never waits for a human: a safety signal flags the pair at once, and a
    withdrawal for safety closes it at once, whatever the program's settings.
    """
    if trigger == Trigger.FLAG_RISK and any(is_safety(code) for code in signals):
        return False
    if trigger == Trigger.WITHDRAW and closure_reason == ClosureReason.SAFETY:
        return False
    return trigger in approval_required


def mermaid_diagram() -> str:
    """The lifecycle as a Mermaid state diagram, drawn from the declarations above."""
    return LIFECYCLE.mermaid_diagram()
