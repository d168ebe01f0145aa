"""The pair lifecycle, declared once: every state, trigger and guard of a mentoring pair.

This module is pure. It imports nothing from `service/` and never touches a database
row: the service layer describes the pair at hand as `PairFacts` and asks `decide()`
where a trigger leads. A fresh `Machine` is built for each decision (under 0.1 ms), so no
machine outlives a request, keeps rows alive, or is shared between threads; the
database's compare-and-set, not the machine, settles races between processes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from typing import Any, Protocol, cast

from transitions import Machine, MachineError

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


class _Pair:
    """The model the machine moves: a state and nothing else."""

    # Bound by the machine that takes the model (declared here for the type checker only:
    # a real attribute of that name would stop the machine from binding its own).
    trigger: Callable[..., bool]
    get_graph: Callable[..., Any]

    def __init__(self, state: State) -> None:
        self.state = state


def _machine(model: object | None, initial: State) -> Machine:
    return Machine(
        model=model,
        states=State,
        transitions=TRANSITIONS,
        initial=initial,
        auto_transitions=False,
    )


def decide(state: State | str, trigger: str, facts: PairFacts) -> State:
    """Where `trigger` takes a pair in `state`, or why it cannot go there."""
    state = State(state)
    try:
        trigger = Trigger(trigger)
    except ValueError:
        raise UnknownTrigger(state, trigger) from None
    pair = _Pair(state)
    _machine(pair, initial=state)
    try:
        moved = pair.trigger(trigger, facts)
    except MachineError:
        raise TriggerNotAllowed(state, trigger) from None
    if not moved:
        raise GuardFailed(state, trigger, failed_guards(state, trigger, facts))
    return State(pair.state)


def failed_guards(state: State, trigger: Trigger, facts: PairFacts) -> list[Guard]:
    declared = _machine(None, initial=state).get_transitions(trigger, source=state)
    # TRANSITIONS names its conditions as Guard functions, never by method name.
    conditions = [cast(Guard, c.func) for t in declared for c in t.conditions]
    return [check for check in conditions if not check(facts)]


# What allowed_triggers found, per state: the declarations above never change.
_ALLOWED: dict[State, tuple[Trigger, ...]] = {}


def allowed_triggers(state: State | str) -> list[Trigger]:
    """Triggers declared from `state`, whatever their guards say.

    Worked out once per state: every pair the API or the console shows asks, and building
    a machine to answer costs about 0.1 ms.
    """
    state = State(state)
    if state not in _ALLOWED:
        triggers = _machine(None, initial=state).get_triggers(state)
        _ALLOWED[state] = tuple(t for t in Trigger if t in triggers)
    return list(_ALLOWED[state])


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
    # The diagram extension is only needed by `pairwise diagram` and its test.
    from transitions.extensions import GraphMachine

    model = _Pair(State.RECRUITED)
    GraphMachine(
        model=model,
        states=State,
        transitions=TRANSITIONS,
        initial=State.RECRUITED,
        auto_transitions=False,
        graph_engine="mermaid",
        show_conditions=True,
        title="Pair lifecycle",
    )
    source = model.get_graph().draw(None)
    # The engine marks the model's current state; a lifecycle overview has none.
    lines = []
    for line in source.splitlines():
        if line.strip().startswith(("classDef ", "Class ")) or not line.strip():
            continue
        label = re.fullmatch(r'  state "(\w+)" as (\w+)', line)
        if label:
            line = f'  state "{State[label[1]].value}" as {label[2]}'
        lines.append(line)
    lines += [f"  {state.name} --> [*]" for state in State if state in TERMINAL_STATES]
    return "\n".join(lines) + "\n"
