"""When to contact whom: the program calendar, as data. Pure: no database.

A policy is a list of contact plans. A plan says who is contacted (participants, by role,
through a survey, or the coordinator in person), from which anchor (the match, activation,
the event, the closure) and how often, in phases ("every two weeks for the first month,
then monthly"). Dates are calendar dates in the program's timezone; `due_at` turns one into
a moment.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from functools import cache
from zoneinfo import ZoneInfo

from workflows.pairing import State

# Contacts go out at nine in the morning, program time.
DUE_HOUR = time(9, 0)


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class Interval:
    months: int = 0
    days: int = 0

    def after(self, day: date) -> date:
        return add_months(day, self.months) + timedelta(days=self.days)


@dataclass(frozen=True)
class Phase:
    every: Interval
    # Measured from the anchor; None: for as long as the pair lasts.
    until: Interval | None = None


class Anchor(StrEnum):
    MATCHED = "matched"
    ACTIVATED = "activated"
    EVENT = "event"
    CLOSED = "closed"


STAFF = "staff"


@dataclass(frozen=True)
class ContactPlan:
    kind: str
    # Roles invited to a survey, or ("staff",) for a coordinator's own check-in.
    audience: tuple[str, ...]
    # The survey each role answers; "{role}" is replaced by the role.
    survey: str | None
    anchor: Anchor = Anchor.MATCHED
    phases: tuple[Phase, ...] = ()
    once_after: Interval | None = None

    @property
    def for_staff(self) -> bool:
        return self.audience == (STAFF,)

    @property
    def tightens_at_risk(self) -> bool:
        """At risk means more contact for every plan: every contact the relationship repeats
        (participants' check-ins and the coordinator's own, in-depth meetings included) comes
        at the policy's at-risk pace while the pair is at risk. One-off contacts (the
        first-meeting check-in, the follow-ups) keep their day."""
        return bool(self.phases) and self.anchor in (Anchor.MATCHED, Anchor.ACTIVATED)

    def occurrences(self, anchor: date) -> Iterator[date]:
        if self.once_after is not None:
            yield self.once_after.after(anchor)
            return
        last = anchor
        for phase in self.phases:
            end = phase.until.after(anchor) if phase.until else None
            while True:
                candidate = phase.every.after(last)
                if end is not None and candidate > end:
                    break
                yield candidate
                last = candidate

    def next_on(self, anchor: date, *, after: date | None, today: date) -> date | None:
        """The next contact date: after the last one made, and not before today (contacts
        missed while the pair was elsewhere in its lifecycle are not sent late)."""
        for day in self.occurrences(anchor):
            if (after is None or day > after) and day >= today:
                return day
        return None

    def spaced_after(self, after: date | None, spacing: int) -> date | None:
        """`after`, moved on so a participant's next contact of this plan keeps `spacing`
        days from the last one: the occurrence that would fall closer merges into it."""
        if after is None or self.for_staff or spacing <= 1:
            return after
        return after + timedelta(days=spacing - 1)

    def survey_for(self, role: str) -> str | None:
        return self.survey.format(role=role) if self.survey else None


@dataclass(frozen=True)
class CadencePolicy:
    name: str
    title: str
    source: str
    contacts: tuple[ContactPlan, ...]
    # Whether parents/guardians are contacted (in youth programs; elsewhere there are none).
    guardians: bool
    at_risk_every: Interval = Interval(days=14)

    def __post_init__(self) -> None:
        # Every policy says whether guardians are contacted, and its repeated participant
        # check-ins say the same.
        for plan in self.contacts:
            repeated = plan.tightens_at_risk and not plan.for_staff
            if repeated and ("guardian" in plan.audience) != self.guardians:
                raise ValueError(
                    f"{self.name}: {plan.kind} must {'' if self.guardians else 'not '}"
                    "include the guardian"
                )


EVERY_TWO_WEEKS = Interval(days=14)
MONTHLY = Interval(months=1)
QUARTERLY = Interval(months=3)
PARTICIPANTS = ("mentee", "mentor", "guardian")

# A short contact with both right after the first meeting.
FIRST_MEETING = ContactPlan(
    "first_meeting", ("mentee", "mentor"), "first_meeting",
    anchor=Anchor.ACTIVATED, once_after=Interval(days=2),
)  # fmt: skip
# Event-based programs (and a good habit after any program): an update six months on.
SIX_MONTHS_AFTER_CLOSURE = ContactPlan(
    "six_month_update", ("mentee", "mentor"), "six_month_update",
    anchor=Anchor.CLOSED, once_after=Interval(months=6),
)  # fmt: skip

POLICIES: dict[str, CadencePolicy] = {
    policy.name: policy
    for policy in (
        CadencePolicy(
            "mentor_eep",
            "MENTOR Elements of Effective Practice",
            "Contact mentor, mentee and, in youth programs, the guardian at least twice in "
            "the first month of the match, then monthly.",
            (
                ContactPlan(
                    "checkin", PARTICIPANTS, "checkin_{role}", anchor=Anchor.ACTIVATED,
                    phases=(Phase(EVERY_TWO_WEEKS, until=MONTHLY), Phase(MONTHLY)),
                ),
                ContactPlan(
                    "staff_contact", (STAFF,), None, anchor=Anchor.ACTIVATED,
                    phases=(Phase(EVERY_TWO_WEEKS, until=MONTHLY), Phase(MONTHLY)),
                ),
                FIRST_MEETING,
                SIX_MONTHS_AFTER_CLOSURE,
            ),
            guardians=True,
        ),
        CadencePolicy(
            "mentor_5th",
            "MENTOR Elements, 5th edition",
            "A quick check-in each month with every participant in the first year, then "
            "quarterly; an in-depth support meeting monthly in the first quarter, then at "
            "least quarterly.",
            (
                ContactPlan(
                    "checkin", PARTICIPANTS, "checkin_{role}", anchor=Anchor.ACTIVATED,
                    phases=(Phase(MONTHLY, until=Interval(months=12)), Phase(QUARTERLY)),
                ),
                ContactPlan(
                    "in_depth", (STAFF,), None, anchor=Anchor.ACTIVATED,
                    phases=(Phase(MONTHLY, until=QUARTERLY), Phase(QUARTERLY)),
                ),
                FIRST_MEETING,
                SIX_MONTHS_AFTER_CLOSURE,
            ),
            guardians=True,
        ),
        CadencePolicy(
            "bimonthly",
            "Every two months",
            "One check-in with each pair about every two months: often enough to pick up "
            "challenges, not so often that they feel watched; more often while at risk.",
            (
                ContactPlan(
                    "checkin", PARTICIPANTS, "checkin_{role}", anchor=Anchor.ACTIVATED,
                    phases=(Phase(Interval(months=2)),),
                ),
                ContactPlan(
                    "staff_contact", (STAFF,), None, anchor=Anchor.ACTIVATED,
                    phases=(Phase(Interval(months=2)),),
                ),
                FIRST_MEETING,
                SIX_MONTHS_AFTER_CLOSURE,
            ),
            guardians=True,
        ),
        CadencePolicy(
            "event_based",
            "Event-based mentoring",
            "A follow-up with the evaluation survey two to three weeks after the event, and "
            "an update six months after it.",
            (
                ContactPlan(
                    "event_followup", ("mentee", "mentor"), "event_followup",
                    anchor=Anchor.EVENT, once_after=Interval(days=17),
                ),
                ContactPlan(
                    "six_month_update", ("mentee", "mentor"), "six_month_update",
                    anchor=Anchor.EVENT, once_after=Interval(months=6),
                ),
            ),
            # A one-day event: the follow-ups go to those who took part.
            guardians=False,
        ),
    )
}  # fmt: skip
DEFAULT_POLICY = "mentor_eep"

# Outcome measures (a program's setting, off unless turned on): the mentee's outcome survey
# when the match becomes active (the baseline), at the months the program chose after it,
# and when the match closes. Each occasion is a contact kind of its own, so the invitation
# it makes says which occasion it is and the report pairs answers by it.
OUTCOME_SURVEY = "outcomes_mentee"
OUTCOME_PREFIX = "outcome_"
BASELINE = "baseline"
CLOSURE = "closure"


def month_occasion(months: int) -> str:
    return f"month_{months}"


def occasion_of(kind: str) -> str | None:
    """The occasion an outcome survey's contact kind stands for ("baseline", "month_6",
    "closure"); None for every other kind."""
    return kind.removeprefix(OUTCOME_PREFIX) if kind.startswith(OUTCOME_PREFIX) else None


def occasion_months(occasion: str) -> int | None:
    """6 for "month_6"; None for the baseline and the closure."""
    number = occasion.removeprefix("month_")
    return int(number) if occasion.startswith("month_") and number.isdigit() else None


def outcome_plans(months: tuple[int, ...]) -> tuple[ContactPlan, ...]:
    survey, mentee = OUTCOME_SURVEY, ("mentee",)
    return (
        ContactPlan(OUTCOME_PREFIX + BASELINE, mentee, survey, anchor=Anchor.ACTIVATED,
                    once_after=Interval()),
        *(
            ContactPlan(OUTCOME_PREFIX + month_occasion(n), mentee, survey,
                        anchor=Anchor.ACTIVATED, once_after=Interval(months=n))
            for n in sorted(set(months))
        ),
        ContactPlan(OUTCOME_PREFIX + CLOSURE, mentee, survey, anchor=Anchor.CLOSED,
                    once_after=Interval()),
    )  # fmt: skip


@cache
def with_outcomes(policy: CadencePolicy, months: tuple[int, ...]) -> CadencePolicy:
    """`policy` with the outcome survey's occasions added to its contacts."""
    return replace(policy, contacts=policy.contacts + outcome_plans(months))


# Which plans run in which states: the relationship's contacts while it runs, follow-ups
# after a closure that was not for safety, and everything anchored on an event regardless.
_RUNNING = frozenset({State.ACTIVE, State.AT_RISK})


def plans_for(
    policy: CadencePolicy, state: State | str, closure_reason: str | None = None
) -> list[ContactPlan]:
    state = State(state)
    active: list[ContactPlan] = []
    for plan in policy.contacts:
        if plan.anchor == Anchor.EVENT:
            runs = state != State.REMATCHED and closure_reason not in ("withdrawn", "safety")
        elif plan.anchor == Anchor.CLOSED:
            runs = state == State.CLOSED and closure_reason in ("completed", "ended_early")
        else:
            runs = state in _RUNNING
        if runs:
            active.append(plan)
    return active


def next_working_day(day: date) -> date:
    """`day`, or the Monday after it when it falls on a weekend."""
    return day + timedelta(days=max(0, 7 - day.weekday())) if day.weekday() >= 5 else day


def next_at_risk(
    *,
    since: date,
    after: date | None,
    today: date,
    every: Interval,
    call_first: bool = False,
) -> date:
    """While at risk, contacts come every `every` from the day the pair became at risk.

    The first step is a call: with `call_first` (the coordinator's own contact) the first
    falls due at once, the day the pair became at risk or the next working day, then every
    `every` from it."""
    if call_first:
        first = next_working_day(since)
        if (after is None or first > after) and first >= today:
            return first
        day = every.after(first)
    else:
        day = every.after(since)
    while (after is not None and day <= after) or day < today:
        day = every.after(day)
    return day


def due_at(day: date, timezone: str) -> datetime:
    """The moment a contact on `day` is due: nine in the morning, program time."""
    return datetime.combine(day, DUE_HOUR, tzinfo=ZoneInfo(timezone))


class Monitor(StrEnum):
    """Checks the calendar runs besides contacts."""

    MEETING_REQUIREMENT = "meeting_requirement"
    NO_MEETING = "no_meeting"
    END_OF_MATCH = "end_of_match"
    FINAL_SESSION_REMINDER = "final_session_reminder"
    CLOSURE_REFLECTION = "closure_reflection"
    # A re-matched mentor's extra session, watched until it is recorded.
    REMATCH_BRIEFING = "rematch_briefing"
    # Follow-ups are kept: an intervention's follow-up date is a due item for the coordinator.
    INTERVENTION_FOLLOW_UP = "intervention_follow_up"
    # A pair still at risk a month after its first intervention, with no improvement: the
    # coordinator is asked to consider a re-match.
    REMATCH_PROMPT = "rematch_prompt"
    # A paused pair resumes on the pause's end date, with a check-in.
    PAUSE_END = "pause_end"


# Drawn when an intervention is recorded, not from the pair's state: a redraw keeps them (in
# the states that want them) but does not make them.
DRAWN_BY_INTERVENTIONS = frozenset({Monitor.INTERVENTION_FOLLOW_UP, Monitor.REMATCH_PROMPT})
REMATCH_PROMPT_AFTER = Interval(days=30)


MONITORS_BY_STATE: dict[State, frozenset[Monitor]] = {
    State.MATCHED: frozenset({Monitor.REMATCH_BRIEFING}),
    State.TRAINING: frozenset({Monitor.REMATCH_BRIEFING}),
    State.ACTIVE: frozenset(
        {
            Monitor.MEETING_REQUIREMENT,
            Monitor.NO_MEETING,
            Monitor.END_OF_MATCH,
            Monitor.INTERVENTION_FOLLOW_UP,
        }
    ),
    State.AT_RISK: frozenset(
        {
            Monitor.MEETING_REQUIREMENT,
            Monitor.NO_MEETING,
            Monitor.END_OF_MATCH,
            Monitor.INTERVENTION_FOLLOW_UP,
            Monitor.REMATCH_PROMPT,
        }
    ),
    State.CLOSING: frozenset(
        {
            Monitor.FINAL_SESSION_REMINDER,
            Monitor.CLOSURE_REFLECTION,
            Monitor.INTERVENTION_FOLLOW_UP,
        }
    ),
}


@dataclass(frozen=True)
class MeetingRequirement:
    """The program's "due diligence": e.g. a meeting a week, or four hours a month."""

    period: str  # "week" or "month"
    meetings: int = 0
    minutes: int = 0

    def period_of(self, day: date) -> tuple[date, date]:
        """The period containing `day`: [start, end)."""
        if self.period == "week":
            start = day - timedelta(days=day.weekday())
            return start, start + timedelta(days=7)
        start = day.replace(day=1)
        return start, add_months(start, 1)

    def met_by(self, meetings: int, minutes: int) -> bool:
        return meetings >= self.meetings and minutes >= self.minutes


# -- pauses ----------------------------------------------------------------------------------
# A pause is a recorded hold, not a state of the machine: the pair stays where it is in its
# lifecycle (an at-risk pair paused for illness is still at risk, and may still be closed or
# withdrawn), and only its calendar changes while it lasts.


class PauseReason(StrEnum):
    SCHOOL_HOLIDAYS = "school_holidays"
    ILLNESS = "illness"
    TRAVEL = "travel"
    # The coordinator asks the pair to step back, e.g. when dependence grows.
    STEP_BACK = "step_back"
    OTHER = "other"


PAUSE_REASON_LABELS: dict[PauseReason, str] = {
    PauseReason.SCHOOL_HOLIDAYS: "School holidays",
    PauseReason.ILLNESS: "Illness",
    PauseReason.TRAVEL: "The mentor or mentee is travelling",
    PauseReason.STEP_BACK: "A step back (for example when dependence grows)",
    PauseReason.OTHER: "Other",
}
# Pairs in these states may be paused; the longest pause, in days.
PAUSABLE_STATES = frozenset({State.ACTIVE, State.AT_RISK})
LONGEST_PAUSE_DAYS = 180
# What a pause suspends: the participants' contacts and the meeting requirement. The
# coordinator's own contact, and the follow-ups they planned, go on.
SUSPENDED_MONITORS = frozenset({Monitor.MEETING_REQUIREMENT, Monitor.NO_MEETING})


def suspended_by_pause(plan: ContactPlan | None, kind: str) -> bool:
    """Does a pause suspend `kind` (its contact plan, if it has one)?"""
    if plan is not None:
        if plan.kind.startswith(OUTCOME_PREFIX):
            return False  # a measure missed during a pause would leave a hole in the report
        return not plan.for_staff and plan.anchor in (Anchor.MATCHED, Anchor.ACTIVATED)
    return kind in SUSPENDED_MONITORS


def paused_on(day: date, paused_from: date | None, paused_until: date | None) -> bool:
    """Is a pair paused from `paused_from` until (not including) `paused_until` on `day`?"""
    return (
        paused_from is not None and paused_until is not None and paused_from <= day < paused_until
    )
