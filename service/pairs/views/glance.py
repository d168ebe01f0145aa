"""The pair page's header: the pair at a glance, from what the page has read already (no
query of its own): the signals now, days in state, last meeting, next due contact, the
pulse ratings of both sides as a small chart, and what can be done now, or why not yet."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from markupsafe import Markup, escape

from service.calendar.models import Schedule
from service.console import labels
from service.meetings.models import Meeting, MeetingStatus
from service.pairs.models import Pair
from service.surveys.models import SurveyResponse
from workflows import pairing
from workflows.pairing import PairFacts, State, Trigger

# Checks the calendar runs for itself: not a contact anyone makes, so never "next due".
INTERNAL_CHECKS = frozenset({"no_meeting", "meeting_requirement"})

# Requirements a form on the page fills in (a mentor chosen, a reason, a date): an action
# that needs only these is open; the others are facts about the pair, met or not yet.
ASKED_ON_THE_FORM = frozenset(
    {
        pairing.mentor_chosen,
        pairing.mentor_has_capacity,
        pairing.mentor_is_new_to_mentee,
        pairing.rematch_buffer_respected,
        pairing.has_signal_or_flag,
        pairing.final_session_date_ahead,
        pairing.reason_given,
    }
)

# What each action is called on the page, and where on it (or on which page) it is done.
ACTION_LABELS: dict[Trigger, str] = {
    Trigger.MATCH: "Match with a mentor",
    Trigger.START_TRAINING: "Start training",
    Trigger.ACTIVATE: "Activate",
    Trigger.FLAG_RISK: "Flag at risk",
    Trigger.RESOLVE: "Resolve",
    Trigger.REMATCH: "Re-match",
    Trigger.BEGIN_CLOSURE: "Begin the closure",
    Trigger.CLOSE: "Close the pair",
    Trigger.WITHDRAW: "Withdraw",
    Trigger.REOPEN: "Reopen",
}


@dataclass(frozen=True)
class Action:
    trigger: Trigger
    label: str
    # What is still missing before it can be done (empty: it can be done now).
    missing: tuple[str, ...]

    @property
    def open(self) -> bool:
        return not self.missing


def actions(state: State | str, allowed: Sequence[Trigger], facts: PairFacts) -> list[Action]:
    """Each action the state allows, with the requirements about the pair that are not met
    yet (the guards' own words); requirements a form asks for do not count here."""
    found = []
    for trigger in allowed:
        missing = tuple(
            getattr(check, "requirement", check.__name__.replace("_", " "))
            for check in _conditions(State(state), trigger)
            if check not in ASKED_ON_THE_FORM and not check(facts)
        )
        found.append(Action(trigger, ACTION_LABELS[trigger], missing))
    return found


def _conditions(state: State, trigger: Trigger) -> list:
    """The guards declared for `trigger` from `state` (read from the declarations, so a
    requirement a form fills in is never asked of the database here)."""
    found = []
    for declared in pairing.TRANSITIONS:
        sources = declared["source"]
        sources = sources if isinstance(sources, list) else [sources]
        if declared["trigger"] == trigger and state in sources:
            found.extend(declared["conditions"])
    return found


def days_in_state(pair: Pair, moment: datetime) -> int:
    return max((moment - pair.state_changed_at).days, 0)


def last_meeting(meetings: Sequence[Meeting]) -> Meeting | None:
    """The latest meeting held (meetings come oldest first)."""
    return next((m for m in reversed(meetings) if m.status == MeetingStatus.HELD), None)


def next_due(upcoming: Sequence[Schedule]) -> str | None:
    """'Mentee and mentor check-ins, 13 Dec': the next contact or step the calendar has."""
    for item in upcoming:
        if item.kind not in INTERNAL_CHECKS:
            return labels.contact(item.kind, item.next_due_on)
    return None


@dataclass(frozen=True)
class Rating:
    on: date
    rating: int


@dataclass(frozen=True)
class Pulse:
    """The last few pulse ratings (1-10) of each side, oldest first."""

    mentee: list[Rating]
    mentor: list[Rating]

    @property
    def any(self) -> bool:
        return bool(self.mentee or self.mentor)

    def summary(self) -> str:
        """'Mentee 7 (was 5), mentor 6': the text the chart stands for."""
        said = []
        for role, ratings in (("mentee", self.mentee), ("mentor", self.mentor)):
            if not ratings:
                said.append(f"no {role} rating yet")
                continue
            text = f"{role} {ratings[-1].rating}"
            if len(ratings) > 1:
                text += f" (was {ratings[-2].rating})"
            said.append(text)
        return ", ".join(said).capitalize()


PULSE_POINTS = 8


def pulse(responses: Sequence[SurveyResponse]) -> Pulse:
    """Both sides' latest pulse ratings, from the pair's responses (oldest first)."""
    by_role: dict[str, list[Rating]] = {"mentee": [], "mentor": []}
    for response in responses:
        if response.pulse_rating is not None and response.respondent_role in by_role:
            by_role[response.respondent_role].append(
                Rating(response.submitted_at.date(), response.pulse_rating)
            )
    return Pulse(by_role["mentee"][-PULSE_POINTS:], by_role["mentor"][-PULSE_POINTS:])


# The chart's size in its own units; it scales to the width it is given.
WIDTH, HEIGHT, PAD = 280, 112, 18
LINES = {"mentee": ("#0b4f94", ""), "mentor": ("#b45309", ' stroke-dasharray="5 3"')}


def pulse_svg(series: Pulse) -> Markup:
    """A small line chart of both sides' ratings over time: 1 at the bottom, 10 at the top.
    Decoration for screen readers: the page gives the same ratings as text and a table."""
    days = [r.on for r in (*series.mentee, *series.mentor)]
    if not days:
        return Markup("")
    first, last = min(days), max(days)
    span = max((last - first).days, 1)

    def x(day: date) -> float:
        if first == last:
            return WIDTH / 2
        return PAD + (WIDTH - 2 * PAD) * (day - first).days / span

    def y(rating: int) -> float:
        return HEIGHT - PAD - (HEIGHT - 2 * PAD) * (rating - 1) / 9

    parts = [
        f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" aria-hidden="true" focusable="false" '
        'xmlns="http://www.w3.org/2000/svg">'
    ]
    for rating in (1, 5, 10):
        parts.append(
            f'<line x1="{PAD}" x2="{WIDTH - PAD}" y1="{y(rating):.1f}" y2="{y(rating):.1f}" '
            f'stroke="#dfe3ea"/><text x="2" y="{y(rating) + 4:.1f}" font-size="10" '
            f'fill="#5b6673">{rating}</text>'
        )
    for role, (colour, dash) in LINES.items():
        ratings: list[Rating] = getattr(series, role)
        if not ratings:
            continue
        points = " ".join(f"{x(r.on):.1f},{y(r.rating):.1f}" for r in ratings)
        if len(ratings) > 1:
            parts.append(
                f'<polyline points="{points}" fill="none" stroke="{colour}" '
                f'stroke-width="2.5"{dash}/>'
            )
        for r in ratings:
            parts.append(
                f'<circle cx="{x(r.on):.1f}" cy="{y(r.rating):.1f}" r="3.5" fill="{colour}">'
                f"<title>{escape(role)} {r.rating}, {labels.short_day(r.on)}</title></circle>"
            )
    parts.append("</svg>")
    return Markup("".join(parts))
