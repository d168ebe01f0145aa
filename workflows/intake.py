"""Intake and screening, declared once: how an applicant becomes a participant who can be
matched (MENTOR's Elements of Effective Practice, Standard 2, Screening).

An application arrives `applied`; the coordinator starts `screening` it, then `approve`s,
`decline`s it, or the applicant `withdraw`s. What screening found is recorded beside the
participant (the application, an interview, references, a background check's result and
expiry date, and a guardian's consent for a minor); the guards below read it as
`IntakeFacts`.

Like `workflows/pairing.py`, this module is pure: a fresh `Machine` per decision, and the
database's compare-and-set, not the machine, settles races between processes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any, Protocol

from workflows.machine import Refusals, StateMachine


class IntakeState(StrEnum):
    APPLIED = "applied"
    SCREENING = "screening"
    APPROVED = "approved"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


# The coordinator's queue: those still to be decided.
PENDING_STATES = (IntakeState.APPLIED, IntakeState.SCREENING)
TERMINAL_STATES = frozenset({IntakeState.APPROVED, IntakeState.DECLINED, IntakeState.WITHDRAWN})


class IntakeTrigger(StrEnum):
    START_SCREENING = "start_screening"
    APPROVE = "approve"
    DECLINE = "decline"
    WITHDRAW = "withdraw"


class CheckResult(StrEnum):
    """A background check's outcome, as recorded: the check itself is done elsewhere."""

    PASSED = "passed"
    FAILED = "failed"


class IntakeFacts(Protocol):
    """What the guards may ask about an applicant and the request at hand."""

    @property
    def today(self) -> date: ...

    @property
    def role(self) -> str: ...

    @property
    def youth_program(self) -> bool: ...

    @property
    def requires_interview(self) -> bool: ...

    @property
    def requires_references(self) -> bool: ...

    @property
    def interview_recorded(self) -> bool: ...

    @property
    def references_recorded(self) -> bool: ...

    @property
    def background_check(self) -> CheckResult | None: ...

    @property
    def background_check_expires_on(self) -> date | None: ...

    @property
    def guardian_consent_recorded(self) -> bool: ...

    @property
    def reason(self) -> str | None: ...


@dataclass(frozen=True)
class Facts:
    """A plain `IntakeFacts`, for tests and callers that already know everything."""

    today: date = field(default_factory=date.today)
    role: str = "mentor"
    youth_program: bool = False
    requires_interview: bool = True
    requires_references: bool = True
    interview_recorded: bool = False
    references_recorded: bool = False
    background_check: CheckResult | None = None
    background_check_expires_on: date | None = None
    guardian_consent_recorded: bool = False
    reason: str | None = None


Guard = Callable[[IntakeFacts], bool]


def guard(requirement: str) -> Callable[[Guard], Guard]:
    """Name what a guard requires, in words a coordinator reads in a refusal."""

    def mark(check: Guard) -> Guard:
        check.requirement = requirement  # type: ignore[attr-defined]
        return check

    return mark


def background_check_current(facts: IntakeFacts) -> bool:
    """A passed check that has not expired (one expiring today still counts today)."""
    return (
        facts.background_check == CheckResult.PASSED
        and facts.background_check_expires_on is not None
        and facts.background_check_expires_on >= facts.today
    )


@guard("a mentor has a passed background check that has not expired")
def mentor_background_check_passed(facts: IntakeFacts) -> bool:
    return facts.role != "mentor" or background_check_current(facts)


@guard("a mentor's interview is recorded (the program requires one)")
def mentor_interviewed(facts: IntakeFacts) -> bool:
    return facts.role != "mentor" or not facts.requires_interview or facts.interview_recorded


@guard("a mentor's references are recorded (the program requires them)")
def mentor_references_checked(facts: IntakeFacts) -> bool:
    return facts.role != "mentor" or not facts.requires_references or facts.references_recorded


@guard("a minor's parent or guardian has given consent (a youth program)")
def minor_has_guardian_consent(facts: IntakeFacts) -> bool:
    return facts.role != "mentee" or not facts.youth_program or facts.guardian_consent_recorded


@guard("a reason is given")
def reason_given(facts: IntakeFacts) -> bool:
    return bool(facts.reason and facts.reason.strip())


# fmt: off
TRANSITIONS: list[dict[str, Any]] = [
    {"trigger": IntakeTrigger.START_SCREENING, "source": IntakeState.APPLIED,
     "dest": IntakeState.SCREENING},
    {"trigger": IntakeTrigger.APPROVE, "source": IntakeState.SCREENING,
     "dest": IntakeState.APPROVED,
     "conditions": [mentor_background_check_passed, mentor_interviewed,
                    mentor_references_checked, minor_has_guardian_consent]},
    {"trigger": IntakeTrigger.DECLINE, "source": list(PENDING_STATES),
     "dest": IntakeState.DECLINED, "conditions": [reason_given]},
    {"trigger": IntakeTrigger.WITHDRAW, "source": list(PENDING_STATES),
     "dest": IntakeState.WITHDRAWN, "conditions": [reason_given]},
]
# fmt: on


class IntakeRefused(Exception):
    def __init__(self, state: IntakeState, trigger: str, message: str) -> None:
        super().__init__(message)
        self.state = state
        self.trigger = trigger


class UnknownTrigger(IntakeRefused):
    def __init__(self, state: IntakeState, trigger: str) -> None:
        known = ", ".join(IntakeTrigger)
        super().__init__(state, trigger, f"Unknown trigger {trigger!r}; known triggers: {known}.")


class TriggerNotAllowed(IntakeRefused):
    def __init__(self, state: IntakeState, trigger: str) -> None:
        self.allowed = allowed_triggers(state)
        allowed = ", ".join(self.allowed) or "none, intake has ended"
        super().__init__(
            state,
            trigger,
            f"An application in state '{state}' cannot '{trigger}'; allowed now: {allowed}.",
        )


class GuardFailed(IntakeRefused):
    def __init__(self, state: IntakeState, trigger: str, failed: list[Guard]) -> None:
        self.failed = failed
        self.requirements = [check.requirement for check in failed]  # type: ignore[attr-defined]
        super().__init__(
            state, trigger, f"'{trigger}' requires " + "; and ".join(self.requirements) + "."
        )


INTAKE: StateMachine[IntakeState, IntakeTrigger] = StateMachine(
    states=IntakeState,
    triggers=IntakeTrigger,
    transitions=TRANSITIONS,
    terminal=TERMINAL_STATES,
    title="Intake and screening",
)


def decide(state: IntakeState | str, trigger: str, facts: IntakeFacts) -> IntakeState:
    """Where `trigger` takes an applicant in `state`, or why it cannot go there."""
    return INTAKE.decide(
        state, trigger, facts, Refusals(UnknownTrigger, TriggerNotAllowed, GuardFailed)
    )


def failed_guards(state: IntakeState, trigger: IntakeTrigger, facts: IntakeFacts) -> list[Guard]:
    return INTAKE.failed_guards(state, trigger, facts)


def unmet_requirements(facts: IntakeFacts) -> list[str]:
    """What approval still needs, in words: shown beside the screening record."""
    failed = failed_guards(IntakeState.SCREENING, IntakeTrigger.APPROVE, facts)
    return [check.requirement for check in failed]  # type: ignore[attr-defined]


def allowed_triggers(state: IntakeState | str) -> list[IntakeTrigger]:
    """Triggers declared from `state`, whatever their guards say."""
    return INTAKE.allowed_triggers(state)


def mermaid_diagram() -> str:
    """Intake as a Mermaid state diagram, drawn from the declarations above."""
    return INTAKE.mermaid_diagram()
