"""What the closure-risk model knows about a pair on a given day, read from the program's own
record and nothing after that day: its meetings, check-ins, ratings, signals, state and the
coordinator's contacts. Read-only.

Every table is read once for the whole program (a query per table, however many pairs), then
each pair is measured on each day asked for ("landmarks": for the fit, points in each
match's life; for scoring, today).
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import sqlalchemy as sa

from service.calendar.models import Contact, ContactStatus
from service.database import db
from service.meetings.models import Meeting, MeetingStatus
from service.pairs.models import Pair, TransitionRecord
from service.signals.models import Signal
from service.surveys.models import SurveyResponse
from workflows.pairing import State
from workflows.signals import SignalCategory

# The signal the model itself raises is never one of its features.
OWN_SIGNAL = "closure_risk_high"
RECENT = timedelta(days=60)  # "lately": the last two months
BEFORE = timedelta(days=60)  # the two months before those
WINDOW = timedelta(days=90)
# A check-in counts as unanswered once a week has passed since it was due.
ANSWER_DAYS = 7

# The features, in the model's order, with what a value above or below most pairs' means.
FEATURES: dict[str, tuple[str, str]] = {
    "meetings_recent": (
        "more meetings a month lately than most pairs",
        "fewer meetings a month lately than most pairs",
    ),
    "meetings_change": (
        "meeting more often than in the two months before",
        "meeting less often than in the two months before",
    ),
    "missed_meetings": (
        "meetings cancelled or missed in the last three months",
        "fewer cancelled or missed meetings than most pairs",
    ),
    "unanswered_checkins": (
        "check-ins left unanswered in the last three months",
        "check-ins answered more than most pairs",
    ),
    "lowest_rating": (
        "rates the relationship higher than most pairs",
        "a low latest rating of the relationship (the lower of the two sides)",
    ),
    "rating_change": (
        "the rating rose at the latest check-in",
        "the rating fell at the latest check-in",
    ),
    "signals_raised": (
        "warning signs raised in the last three months",
        "fewer warning signs than most pairs",
    ),
    "days_in_state": (
        "a long time in the same state",
        "a short time in the same state",
    ),
    "missed_staff_contacts": (
        "the coordinator's own check-ins missed in the last three months",
        "the coordinator's check-ins kept more than for most pairs",
    ),
}
NAMES = tuple(FEATURES)


def describe(feature: str, deviation: float) -> str:
    """The plain words for a factor: which way the pair differs from most pairs."""
    above, below = FEATURES[feature]
    return above if deviation > 0 else below


@dataclass
class Match:
    pair_id: int
    matched_at: datetime
    activated_at: datetime | None
    ended_at: datetime | None  # before the as-of day
    ended_early: bool
    planned_end: datetime | None
    state: str


@dataclass
class Record:
    """The program's record up to a day, by pair, each list in time order."""

    matches: list[Match]
    held: dict[int, list[datetime]]
    missed: dict[int, list[datetime]]
    checkins_due: dict[int, list[tuple[datetime, datetime | None]]]
    staff_due: dict[int, list[tuple[datetime, datetime | None]]]
    ratings: dict[int, dict[str, list[tuple[datetime, int]]]]
    signals: dict[int, list[datetime]]
    safety: dict[int, list[datetime]]  # the safety signals among them
    moves: dict[int, list[datetime]]


def read(program_id: int, as_of: datetime) -> Record:
    """Everything the features need, up to `as_of`: a query per table."""
    in_program = sa.select(Pair.id).where(Pair.program_id == program_id).scalar_subquery()
    matches = []
    for row in db.session.execute(
        sa.select(
            Pair.id, Pair.matched_at, Pair.activated_at, Pair.closed_at, Pair.state_changed_at,
            Pair.state, Pair.closure_reason, Pair.planned_end_on,
        )
        .where(Pair.program_id == program_id, Pair.matched_at < as_of)
        .order_by(Pair.id)
    ):  # fmt: skip
        ended_at = (
            row.closed_at if row.state == State.CLOSED
            else row.state_changed_at if row.state == State.REMATCHED
            else None
        )  # fmt: skip
        if ended_at is not None and ended_at >= as_of:
            ended_at = None
        planned = (
            datetime.combine(row.planned_end_on, datetime.min.time(), tzinfo=as_of.tzinfo)
            if row.planned_end_on
            else None
        )
        matches.append(
            Match(
                pair_id=row.id,
                matched_at=row.matched_at,
                activated_at=row.activated_at
                if row.activated_at and row.activated_at < as_of
                else None,
                ended_at=ended_at,
                ended_early=ended_at is not None and row.closure_reason != "completed",
                planned_end=planned,
                state=row.state,
            )
        )
    held: dict[int, list[datetime]] = defaultdict(list)
    missed: dict[int, list[datetime]] = defaultdict(list)
    for pair_id, at, status in db.session.execute(
        sa.select(Meeting.pair_id, Meeting.occurred_at, Meeting.status)
        .where(Meeting.pair_id.in_(in_program), Meeting.occurred_at < as_of)
        .order_by(Meeting.occurred_at)
    ):
        (held if status == MeetingStatus.HELD else missed)[pair_id].append(at)
    checkins: dict[int, list[tuple[datetime, datetime | None]]] = defaultdict(list)
    staff: dict[int, list[tuple[datetime, datetime | None]]] = defaultdict(list)
    for pair_id, recipient, due_at, done_at in db.session.execute(
        sa.select(Contact.pair_id, Contact.recipient, Contact.due_at, Contact.done_at)
        .where(
            Contact.pair_id.in_(in_program),
            Contact.due_at < as_of,
            Contact.status != ContactStatus.CANCELLED,
        )
        .order_by(Contact.due_at)
    ):
        done = done_at if done_at is not None and done_at < as_of else None
        (staff if recipient == "staff" else checkins)[pair_id].append((due_at, done))
    ratings: dict[int, dict[str, list[tuple[datetime, int]]]] = defaultdict(
        lambda: {"mentee": [], "mentor": []}
    )
    for owner, role, at, rating in db.session.execute(
        sa.select(
            SurveyResponse.pair_id, SurveyResponse.respondent_role,
            SurveyResponse.submitted_at, SurveyResponse.pulse_rating,
        )
        .where(
            SurveyResponse.pair_id.in_(in_program),
            SurveyResponse.pulse_rating.is_not(None),
            SurveyResponse.respondent_role.in_(("mentee", "mentor")),
            SurveyResponse.submitted_at < as_of,
        )
        .order_by(SurveyResponse.submitted_at, SurveyResponse.id)
    ):  # fmt: skip
        if owner is not None and rating is not None:  # both asked for by the query
            ratings[owner][role].append((at, rating))
    signals: dict[int, list[datetime]] = defaultdict(list)
    safety: dict[int, list[datetime]] = defaultdict(list)
    for pair_id, at, category in db.session.execute(
        sa.select(Signal.pair_id, Signal.raised_at, Signal.category)
        .where(Signal.pair_id.in_(in_program), Signal.raised_at < as_of, Signal.code != OWN_SIGNAL)
        .order_by(Signal.raised_at)
    ):
        signals[pair_id].append(at)
        if category == SignalCategory.SAFETY:
            safety[pair_id].append(at)
    moves: dict[int, list[datetime]] = defaultdict(list)
    for pair_id, at in db.session.execute(
        sa.select(TransitionRecord.pair_id, TransitionRecord.created_at)
        .where(TransitionRecord.pair_id.in_(in_program), TransitionRecord.created_at < as_of)
        .order_by(TransitionRecord.created_at)
    ):
        moves[pair_id].append(at)
    return Record(matches, held, missed, checkins, staff, ratings, signals, safety, moves)


def between(times: list[datetime], start: datetime, end: datetime) -> int:
    return bisect_left(times, end) - bisect_left(times, start)


def unanswered(due: list[tuple[datetime, datetime | None]], day: datetime) -> int:
    start, last_due = day - WINDOW, day - timedelta(days=ANSWER_DAYS)
    return sum(1 for at, done in due if start <= at < last_due and (done is None or done >= day))


def measure(record: Record, pair_id: int, day: datetime) -> list[float | None]:
    """The pair's features on `day` (None for a rating nobody has given yet)."""
    held = record.held.get(pair_id, [])
    recent = between(held, day - RECENT, day) / 2
    before = between(held, day - RECENT - BEFORE, day - RECENT) / 2
    lowest: float | None = None
    change = 0.0
    sides = record.ratings.get(pair_id)
    if sides is not None:
        latest = []
        changes = []
        for given in sides.values():
            upto = given[: bisect_left(given, (day,))]
            if upto:
                latest.append(upto[-1][1])
                if len(upto) > 1:
                    changes.append(upto[-1][1] - upto[-2][1])
        lowest = float(min(latest)) if latest else None
        change = float(min(changes)) if changes else 0.0
    moves = record.moves.get(pair_id, [])
    last_move = moves[bisect_left(moves, day) - 1] if bisect_left(moves, day) else None
    return [
        float(recent),
        float(recent - before),
        float(between(record.missed.get(pair_id, []), day - WINDOW, day)),
        float(unanswered(record.checkins_due.get(pair_id, []), day)),
        lowest,
        change,
        float(between(record.signals.get(pair_id, []), day - WINDOW, day)),
        float((day - last_move).days) if last_move else 0.0,
        float(unanswered(record.staff_due.get(pair_id, []), day)),
    ]


def matrix(rows: list[list[float | None]], fill_rating: float | None = None) -> np.ndarray:
    """The features as a matrix; a missing rating takes `fill_rating` (by default the
    average of the ratings given), so a pair nobody has rated yet counts as typical."""
    index = NAMES.index("lowest_rating")
    given = [float(v) for row in rows if (v := row[index]) is not None]
    if fill_rating is None:
        fill_rating = float(np.mean(given)) if given else 0.0
    return np.array(
        [[fill_rating if v is None else v for v in row] for row in rows], dtype=float
    ).reshape(len(rows), len(NAMES))
