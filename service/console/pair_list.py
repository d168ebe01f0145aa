"""The pairs list a coordinator works from: search, filters, a sort, and the columns that
say how each pair is doing, a page at a time by key, in two statements however long the
page is; and the same rows, every page of them, for an export.

Each column that is not on the pair (last meeting, next contact due, the latest rating of
each side) is a correlated subquery on an index of its own table: on a page in pair order
it is read for the page's rows only; sorted by it, for every pair the filters keep (a
coordinator's pairs, or a program's), which is what a sort by it means.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import InstrumentedAttribute, aliased

from service.accounts.models import User
from service.actors import Actor
from service.calendar.models import Schedule
from service.clock import now
from service.console import queries
from service.console.listing import containing
from service.database import UTCDateTime, db
from service.meetings.models import Meeting, MeetingStatus
from service.pagination import after_in_order, every_page, ordered_by
from service.pairs.models import Pair
from service.participants.models import Participant
from service.surveys.models import SurveyResponse
from workflows.cadence import Monitor

Mentee = aliased(Participant, name="mentee")
Mentor = aliased(Participant, name="mentor")
Coordinator = aliased(User, name="coordinator")

# Beyond any real value, for a pair that has none: it sorts first or last, on purpose.
_LATEST = sa.literal(datetime(9999, 1, 1, tzinfo=UTC), UTCDateTime())
_EARLIEST = sa.literal(datetime(1900, 1, 1, tzinfo=UTC), UTCDateTime())
_NO_RATING = 99


def _last_meeting() -> sa.ScalarSelect[Any]:
    return (
        sa.select(sa.func.max(Meeting.occurred_at))
        .where(Meeting.pair_id == Pair.id, Meeting.status == MeetingStatus.HELD)
        .scalar_subquery()
    )


def _next_due() -> sa.ScalarSelect[Any]:
    """The next contact the calendar makes (its checks, such as the end of the match, are
    not contacts)."""
    return (
        sa.select(sa.func.min(Schedule.next_due_at))
        .where(Schedule.pair_id == Pair.id, Schedule.kind.not_in([m.value for m in Monitor]))
        .scalar_subquery()
    )


def _pulse(role: str) -> sa.ScalarSelect[Any]:
    """The latest relationship rating `role` gave."""
    return (
        sa.select(SurveyResponse.pulse_rating)
        .where(
            SurveyResponse.pair_id == Pair.id,
            SurveyResponse.respondent_role == role,
            SurveyResponse.pulse_rating.is_not(None),
        )
        .order_by(SurveyResponse.submitted_at.desc(), SurveyResponse.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def _lower_rating() -> sa.ColumnElement[Any]:
    """The lower of the two sides' latest ratings (the one that is there, if one is)."""
    mentee = sa.func.coalesce(_pulse("mentee"), _NO_RATING)
    mentor = sa.func.coalesce(_pulse("mentor"), _NO_RATING)
    return sa.case((mentee < mentor, mentee), else_=mentor)


@dataclass(frozen=True)
class Sort:
    label: str
    # The expression rows are ordered by, with a pair's missing value replaced so that it
    # comes last either way.
    key: sa.ColumnElement[Any] | InstrumentedAttribute[Any]
    descending: bool = False

    @property
    def order(self) -> list[tuple[Any, bool]]:
        """The sort's key, then the pair number (ties go by it)."""
        return [(self.key, self.descending), (Pair.id, False)]


SORTS: dict[str, Sort] = {
    "number": Sort("Pair number", Pair.id),
    "longest_in_state": Sort("Longest in their state", Pair.state_changed_at),
    "last_meeting": Sort("Longest since a meeting", sa.func.coalesce(_last_meeting(), _EARLIEST)),
    "next_due": Sort("Next contact due", sa.func.coalesce(_next_due(), _LATEST)),
    "lowest_pulse": Sort("Lowest rating first", _lower_rating()),
    "mentee": Sort("Mentee's name", sa.func.lower(Mentee.full_name)),
}


@dataclass(frozen=True)
class Criteria:
    """What the list shows: the dashboard's filters, a search and a sort."""

    filters: queries.Filters = field(default_factory=queries.Filters)
    search: str = ""
    sort: str = "number"
    # Only these pairs (those ticked on the list), when given.
    only: frozenset[int] | None = None

    def __post_init__(self) -> None:
        if self.sort not in SORTS:
            object.__setattr__(self, "sort", "number")


@dataclass
class PairRow:
    pair: Pair
    mentee: str
    mentee_email: str
    mentor: str | None
    mentor_email: str | None
    coordinator: str | None
    last_meeting: datetime | None
    next_due: datetime | None
    mentee_pulse: int | None
    mentor_pulse: int | None
    signals: list[str] = field(default_factory=list)

    @property
    def days_in_state(self) -> int:
        return (now() - self.pair.state_changed_at).days


@dataclass(frozen=True)
class Page:
    rows: list[PairRow]
    next_after: int | None


def _query(user: User, criteria: Criteria) -> sa.Select:
    query = (
        sa.select(
            Pair,
            Mentee.full_name,
            Mentee.email,
            Mentor.full_name,
            Mentor.email,
            Coordinator.full_name,
            _last_meeting(),
            _next_due(),
            _pulse("mentee"),
            _pulse("mentor"),
        )
        .join(Mentee, Mentee.id == Pair.mentee_id)
        .outerjoin(Mentor, Mentor.id == Pair.mentor_id)
        .outerjoin(Coordinator, Coordinator.id == Pair.coordinator_id)
    )
    query = queries.narrowed(query, user, criteria.filters)
    if criteria.only is not None:
        query = query.where(Pair.id.in_(criteria.only))
    if criteria.search.strip():
        query = query.where(
            containing(
                criteria.search, (Mentee.full_name, Mentee.email, Mentor.full_name, Mentor.email)
            )
        )
    return query


def page(
    user: User, actor: Actor, criteria: Criteria, *, after: int = 0, per_page: int = 50
) -> Page:
    """The page of rows after pair `after` in the sort's order (then by pair number); the
    pair `after` itself says where in the order the page starts."""
    sort = SORTS[criteria.sort]
    query = _query(user, criteria)
    if after:
        mark = db.session.scalar(
            sa.select(sort.key)
            .select_from(Pair)
            .join(Mentee, Mentee.id == Pair.mentee_id)
            .where(Pair.id == after)
        )
        if mark is not None:
            query = query.where(after_in_order(sort.order, (mark, after)))
    found = db.session.execute(query.order_by(*ordered_by(sort.order)).limit(per_page + 1)).all()
    rows = [_row(found_row) for found_row in found[:per_page]]
    _add_signals(rows, actor)  # one or two statements more for the page
    return Page(rows, rows[-1].pair.id if len(found) > per_page else None)


def every_row(
    user: User, actor: Actor, criteria: Criteria, *, batch: int = 500
) -> Iterator[PairRow]:
    """Every row the criteria keep, in order, read a page at a time (for an export)."""
    for listed in every_page(
        lambda after: page(user, actor, criteria, after=after or 0, per_page=batch)
    ):
        yield from listed.rows


def _row(found: sa.Row[Any]) -> PairRow:
    (pair, mentee, mentee_email, mentor, mentor_email, coordinator, *rest) = tuple(found)
    last_meeting, next_due, mentee_pulse, mentor_pulse = rest
    return PairRow(
        pair=pair,
        mentee=mentee,
        mentee_email=mentee_email,
        mentor=mentor,
        mentor_email=mentor_email,
        coordinator=coordinator,
        last_meeting=last_meeting,
        next_due=next_due,
        mentee_pulse=mentee_pulse,
        mentor_pulse=mentor_pulse,
    )


def _add_signals(rows: list[PairRow], actor: Actor) -> None:
    signals = queries.signals_now([row.pair for row in rows], actor)
    for row in rows:
        row.signals = signals[row.pair.id]
