"""A program's insights over a period: the rows read in a few queries, the figures computed
by `workflows.insights`. Read-only.

Which matches count: those of the program matched within the period (optionally those of
one coordinator). Each is followed from its match until it ended (closed, or re-matched) or
until the end of the period, whichever came first: a match still open then is censored,
never counted as an ending. Ratings, meetings and contacts are those of these matches within
the period.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, cast

import numpy as np
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import aggregate_order_by

from service.calendar.models import Compliance, Contact, ContactStatus
from service.clock import now
from service.closure.models import EndingReasons
from service.database import among, db, is_postgresql, plain_day, plain_rows, read, utc_moment
from service.errors import Invalid, NotFound
from service.insights import outcomes as measures
from service.insights import rules
from service.insights.outcomes import OutcomeRow
from service.meetings.models import Meeting, MeetingStatus
from service.pairs.models import Pair, Pause
from service.participants.models import Participant
from service.programs.models import Program
from service.surveys.models import SurveyResponse
from workflows import insights as stats
from workflows.cadence import DEFAULT_POLICY, POLICIES
from workflows.pairing import State

# The lengths the early-closure shares are given for, in months.
EARLY_MONTHS = (3, 6, 12)
SIDES = ("mentee", "mentor")


@dataclass(frozen=True)
class Period:
    """From the first day to the last, both included; the figures never look past `until`
    (nor past today)."""

    since: date | None
    until: date

    def __post_init__(self) -> None:
        if self.since is not None and self.since > self.until:
            raise Invalid("from", "The period must start on or before its last day.")

    @property
    def start(self) -> datetime | None:
        return datetime.combine(self.since, time.min, tzinfo=UTC) if self.since else None

    @property
    def end(self) -> datetime:
        """The moment just after the period's last day (or now, if sooner)."""
        return min(datetime.combine(self.until + timedelta(days=1), time.min, tzinfo=UTC), now())


@dataclass
class MatchRow:
    pair_id: int
    coordinator_id: int | None
    mentee_id: int
    created_at: datetime
    matched_at: datetime
    activated_at: datetime | None
    ended_at: datetime | None  # within the period
    planned_end_on: date | None
    state: str
    closure_reason: str | None
    first_of_mentee: bool  # not a re-match's successor

    def days(self, end: datetime) -> int:
        return ((self.ended_at or end).date() - self.matched_at.date()).days

    @property
    def ended_early(self) -> bool:
        """Ended for any reason but completion: closed early, withdrawn, re-matched."""
        if self.ended_at is None:
            return False
        return self.state == State.REMATCHED or self.closure_reason != "completed"

    def followup(self, end: datetime) -> int:
        """Days from the match to the end of what is observed, ended or not."""
        return (end.date() - self.matched_at.date()).days


@dataclass(frozen=True)
class Counted:
    """A figure with the size of the group it comes from; `value` is None when that group is
    smaller than the program's minimum (or empty)."""

    value: float | None
    n: int
    suppressed: bool
    # Left out though its group is large enough: shown, it would let a reader work out a
    # small group's figure from the total (see `_shield_the_hidden`).
    shields: bool = False


def counted(value: float | None, n: int, minimum: int) -> Counted:
    if not stats.shown(n, minimum):
        return Counted(None, n, True)
    return Counted(value, n, False)


def share(part: stats.Share, minimum: int) -> Counted:
    return counted(part.value, part.total, minimum)


@dataclass
class Insights:
    program_id: int
    program_name: str
    period: Period
    coordinator_id: int | None
    minimum: int
    policy: str
    matches: int
    # Match duration.
    survival: list[stats.SurvivalStep]
    survival_shown: bool
    median_days: Counted
    closed_before_months: dict[int, Counted]
    closed_before_planned_end: Counted
    # Why matches end.
    endings: dict[str, int]
    ending_reasons: dict[str, int]
    ended: int
    rematch_rate: Counted
    waiting_days_median: Counted
    waiting_now: int
    # Relationship quality: per month, per side, the mean pulse and its respondents.
    pulse: list[dict[str, Any]]
    rating_fell: dict[str, Counted]
    # Engagement.
    meetings_per_month: list[dict[str, Any]]
    meetings_per_pair_month: Counted
    response_rates: list[dict[str, Any]]
    response_rate: Counted
    answered_without_reminder: Counted
    # Staff practice.
    staff_contacts: dict[str, int]
    staff_on_time: Counted
    meeting_requirement_met: Counted
    # Fidelity to the cadence policy.
    fidelity: list[dict[str, Any]]
    fidelity_overall: Counted
    pairs_fully_served: Counted
    pairs_short: list[dict[str, int]] = field(default_factory=list)
    by_cohort: list[dict[str, Any]] = field(default_factory=list)
    by_coordinator: list[dict[str, Any]] = field(default_factory=list)
    # Do the rules work: the pairs that kept them against those that did not.
    evidence: rules.Evidence = field(default_factory=rules.Evidence)
    # Outcome measures: the change per scale since the baseline, per occasion.
    outcomes: list[OutcomeRow] = field(default_factory=list)


def compute(*, program_id: int, period: Period, coordinator_id: int | None = None) -> Insights:
    """The program's figures over `period` (only the matches `coordinator_id` looks after,
    when given)."""
    # What is read below goes straight to the connection: changes not yet flushed would not
    # be seen (the session's own queries flush first).
    db.session.flush()
    program = db.session.get(Program, program_id)
    if program is None:
        raise NotFound(f"There is no program {program_id}.")
    minimum = program.insights_min_group
    end = period.end
    matches = _matches(program_id, period, coordinator_id, end)
    ids = [m.pair_id for m in matches]
    durations = [m.days(end) for m in matches]
    ended = [m.ended_at is not None for m in matches]
    followups = [m.followup(end) for m in matches]
    steps = stats.kaplan_meier(durations, ended)
    n = len(matches)
    policy = POLICIES.get(program.cadence_policy, POLICIES[DEFAULT_POLICY])

    insights = Insights(
        program_id=program.id,
        program_name=program.name,
        period=period,
        coordinator_id=coordinator_id,
        minimum=minimum,
        policy=policy.name,
        matches=n,
        survival=steps if stats.shown(n, minimum) else [],
        survival_shown=stats.shown(n, minimum),
        median_days=_median(durations, ended, minimum),
        closed_before_months={
            months: share(
                stats.closed_before(durations, ended, followups, months * stats.MONTH_DAYS),
                minimum,
            )
            for months in EARLY_MONTHS
        },
        closed_before_planned_end=share(
            stats.closed_before_planned_end(
                stats.PlannedEnd(
                    m.planned_end_on,
                    m.ended_at.date() if m.ended_at else None,
                    (end - timedelta(microseconds=1)).date(),
                )
                for m in matches
                if m.planned_end_on is not None
            ),
            minimum,
        ),
        endings=_endings(matches),
        ending_reasons=_ending_reasons([m.pair_id for m in matches if m.ended_at]),
        ended=sum(ended),
        rematch_rate=share(
            stats.Share(
                sum(m.state == State.REMATCHED and m.ended_at is not None for m in matches), n
            ),
            minimum,
        ),
        waiting_days_median=_waiting(matches, minimum),
        waiting_now=_waiting_now(program_id, coordinator_id),
        pulse=[],
        rating_fell={},
        meetings_per_month=[],
        meetings_per_pair_month=Counted(None, 0, True),
        response_rates=[],
        response_rate=Counted(None, 0, True),
        answered_without_reminder=Counted(None, 0, True),
        staff_contacts={},
        staff_on_time=Counted(None, 0, True),
        meeting_requirement_met=Counted(None, 0, True),
        fidelity=[],
        fidelity_overall=Counted(None, 0, True),
        pairs_fully_served=Counted(None, 0, True),
    )
    ratings = _quality(insights, ids, period, end)
    _engagement(insights, matches, period, end)
    judged = _staff_practice(insights, ids, period, end, program.staff_contact_grace_days)
    cadence = _fidelity(insights, program, matches, end)
    insights.evidence = rules.compute(
        pair_ids=ids,
        early={m.pair_id for m in matches if m.ended_early},
        ratings=ratings,
        judged=judged,
        cadence=cadence,
        start=period.start,
        end=end,
        minimum=minimum,
    )
    insights.outcomes = measures.compute(
        program_id=program.id,
        outcome_months=program.outcome_months or (),
        pair_ids=ids,
        end=end,
        minimum=minimum,
    )
    insights.by_cohort = _breakdown(matches, end, minimum, key=_quarter)
    if coordinator_id is None:
        insights.by_coordinator = _breakdown(matches, end, minimum, key=lambda m: m.coordinator_id)
    return insights


# -- the matches ----------------------------------------------------------------------------


def _matches(
    program_id: int, period: Period, coordinator_id: int | None, end: datetime
) -> list[MatchRow]:
    query = sa.select(
        Pair.id,
        Pair.coordinator_id,
        Pair.mentee_id,
        Pair.created_at,
        Pair.matched_at,
        Pair.activated_at,
        Pair.closed_at,
        Pair.state_changed_at,
        Pair.planned_end_on,
        Pair.state,
        Pair.closure_reason,
        Pair.predecessor_id,
    ).where(Pair.program_id == program_id, Pair.matched_at.is_not(None), Pair.matched_at < end)
    if period.start is not None:
        query = query.where(Pair.matched_at >= period.start)
    if coordinator_id is not None:
        query = query.where(Pair.coordinator_id == coordinator_id)
    rows: list[MatchRow] = []
    # The driver's rows, each moment made aware here (`plain_rows`): SQLAlchemy's conversion
    # of five moments a match cost more than the rest of this.
    moment = utc_moment
    for (
        pair_id,
        coordinator_id,
        mentee_id,
        created_at,
        matched_at,
        activated_at,
        closed_at,
        state_changed_at,
        planned_end_on,
        state,
        closure_reason,
        predecessor_id,
    ) in plain_rows(query.order_by(Pair.id)):
        if state == State.CLOSED:
            ended_at = moment(closed_at)
        elif state == State.REMATCHED:
            ended_at = moment(state_changed_at)
        else:
            ended_at = None
        if ended_at is not None and ended_at >= end:
            ended_at = None  # after the period: still open as far as it can tell
        activated = moment(activated_at)
        rows.append(
            MatchRow(
                pair_id=pair_id,
                coordinator_id=coordinator_id,
                mentee_id=mentee_id,
                created_at=cast(datetime, moment(created_at)),
                matched_at=cast(datetime, moment(matched_at)),
                activated_at=activated if activated and activated < end else None,
                ended_at=ended_at,
                planned_end_on=plain_day(planned_end_on),
                state=state,
                closure_reason=closure_reason if ended_at else None,
                first_of_mentee=predecessor_id is None,
            )
        )
    return rows


def _median(durations: list[int], ended: list[bool], minimum: int) -> Counted:
    median = stats.median_duration(stats.kaplan_meier(durations, ended))
    return counted(float(median) if median is not None else None, len(durations), minimum)


def _endings(matches: Iterable[MatchRow]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for match in matches:
        if match.ended_at is None:
            continue
        counts[
            "rematched" if match.state == State.REMATCHED else match.closure_reason or "completed"
        ] += 1
    return dict(sorted(counts.items()))


def _ending_reasons(pair_ids: list[int]) -> dict[str, int]:
    """The coordinator's primary reason for each ended match that has one."""
    counts: dict[str, int] = defaultdict(int)
    if pair_ids:
        for (reason,) in read(
            sa.select(EndingReasons.primary_reason).where(
                among(EndingReasons.pair_id, pair_ids), EndingReasons.viewpoint == "coordinator"
            )
        ):
            counts[reason] += 1
    return dict(sorted(counts.items()))


def _waiting(matches: Iterable[MatchRow], minimum: int) -> Counted:
    waits = sorted(
        (m.matched_at - m.created_at).total_seconds() / 86400 for m in matches if m.first_of_mentee
    )
    if not waits:
        return counted(None, 0, minimum)
    middle = len(waits) // 2
    median = waits[middle] if len(waits) % 2 else (waits[middle - 1] + waits[middle]) / 2
    return counted(round(median, 1), len(waits), minimum)


def _waiting_now(program_id: int, coordinator_id: int | None) -> int:
    query = sa.select(sa.func.count()).where(
        Pair.program_id == program_id, Pair.state == State.RECRUITED
    )
    if coordinator_id is not None:
        query = query.where(Pair.coordinator_id == coordinator_id)
    return db.session.scalar(query) or 0


# -- relationship quality -------------------------------------------------------------------


def _quality(insights: Insights, ids: list[int], period: Period, end: datetime) -> dict[int, float]:
    """Fills in the relationship figures; returns each rated pair's mean rating (both sides)."""
    minimum = insights.minimum
    scope = [
        among(SurveyResponse.pair_id, ids),
        SurveyResponse.pulse_rating.is_not(None),
        SurveyResponse.respondent_role.in_(SIDES),
        SurveyResponse.submitted_at < end,
    ]
    if period.start is not None:
        scope.append(SurveyResponse.submitted_at >= period.start)
    # Every rating as five numbers, in each pair's order: its pair, its side (0 or 1), the
    # rating, its UTC month (year * 12 + month - 1) and who gave it. One read serves the
    # months' means, whether a side's rating fell and each pair's mean: the months were a
    # second scan of the ratings, grouped and counted distinct by the database.
    query = sa.select(
        SurveyResponse.pair_id,
        sa.case((SurveyResponse.respondent_role == SIDES[0], 0), else_=1),
        SurveyResponse.pulse_rating,
        _month_number(SurveyResponse.submitted_at),
        sa.func.coalesce(SurveyResponse.participant_id, -SurveyResponse.pair_id),
    ).where(*scope)
    in_order = (SurveyResponse.pair_id, SurveyResponse.submitted_at, SurveyResponse.id)
    ratings = _integers(query, order_by=in_order) if ids else np.zeros((0, 5), dtype=np.int64)
    pair, by_side, rating, month, respondent = ratings.T
    _pulse(insights, by_side, rating, month, respondent)
    # Each pair's ratings from each side, still in order: a stable sort on (pair, side).
    order = np.argsort(pair * 2 + by_side, kind="stable")
    sorted_keys = (pair * 2 + by_side)[order]
    starts = np.flatnonzero(np.diff(sorted_keys, prepend=-1))
    stops = np.append(starts[1:], len(sorted_keys)) if len(starts) else starts
    first, last = rating[order][starts], rating[order][stops - 1]
    compared = stops - starts >= 2  # a side's rating fell: its last below its first
    for number, name in enumerate(SIDES):
        known = compared & (sorted_keys[starts] % 2 == number)
        insights.rating_fell[name] = share(
            stats.Share(int((last[known] < first[known]).sum()), int(known.sum())), minimum
        )
    # Each rated pair's mean over both sides (the rows are in pair order).
    pairs_at = np.flatnonzero(np.diff(pair, prepend=-1))
    if not len(pairs_at):
        return {}
    totals = np.add.reduceat(rating, pairs_at).tolist()
    counts = np.diff(np.append(pairs_at, len(pair))).tolist()
    return {
        pair_id: total / count
        for pair_id, total, count in zip(pair[pairs_at].tolist(), totals, counts, strict=True)
    }


def _pulse(
    insights: Insights,
    by_side: np.ndarray,
    rating: np.ndarray,
    month: np.ndarray,
    respondent: np.ndarray,
) -> None:
    """Each month's mean rating by side, from as many respondents as gave one that month."""
    minimum = insights.minimum
    if not len(month):
        return
    # A group per month and side: (month - first) * 2 + side.
    first_month = int(month.min())
    group = (month - first_month) * 2 + by_side
    size = (int(month.max()) - first_month + 1) * 2
    count = np.bincount(group, minlength=size)
    total = np.bincount(group, weights=rating, minlength=size)  # whole numbers, exactly
    # Respondents: the distinct (group, respondent) pairs, counted by group.
    low = int(respondent.min())
    span = int(respondent.max()) - low + 1
    people = np.bincount(np.unique(group * span + (respondent - low)) // span, minlength=size)
    for offset in np.flatnonzero(np.bincount(group // 2)).tolist():
        number = first_month + offset
        row: dict[str, Any] = {"month": f"{number // 12:04d}-{number % 12 + 1:02d}"}
        for side, name in enumerate(SIDES):
            cell = offset * 2 + side
            n = int(count[cell])
            row[name] = counted(float(total[cell]) / n if n else None, int(people[cell]), minimum)
        insights.pulse.append(row)


# -- engagement -----------------------------------------------------------------------------


def _months(since: date, until: date) -> list[date]:
    months, day = [], since.replace(day=1)
    while day <= until:
        months.append(day)
        day = (day + timedelta(days=32)).replace(day=1)
    return months


def _engagement(insights: Insights, matches: list[MatchRow], period: Period, end: datetime) -> None:
    minimum = insights.minimum
    running = [m for m in matches if m.activated_at is not None]
    if running:
        first = min(m.activated_at for m in running if m.activated_at)
        since = max(first.date(), period.since) if period.since else first.date()
        last = (end - timedelta(microseconds=1)).date()
        held: dict[str, int] = defaultdict(int)
        month = _month(Meeting.occurred_at)
        for key, count in read(
            sa.select(month, sa.func.count())
            .where(
                among(Meeting.pair_id, [m.pair_id for m in running]),
                Meeting.status == MeetingStatus.HELD,
                Meeting.occurred_at < end,
                Meeting.occurred_at >= datetime.combine(since, time.min, tzinfo=UTC),
            )
            .group_by(month)
        ):
            held[key] += count
        total_meetings = total_pair_months = 0
        months = _months(since, last)
        # Pairs running in each month: +1 in the month a pair starts, -1 after it ends.
        index = {(day.year, day.month): i for i, day in enumerate(months)}
        change = [0] * (len(months) + 1)
        for m in running:
            assert m.activated_at is not None
            start = m.activated_at.date()
            begin = 0 if start < months[0] else index.get((start.year, start.month), len(months))
            stop = len(months)
            if m.ended_at is not None:
                ended = m.ended_at.date()
                stop = -1 if ended < months[0] else index.get((ended.year, ended.month), stop - 1)
                stop += 1
            if begin < stop:
                change[begin] += 1
                change[stop] -= 1
        running_in = list(itertools.accumulate(change))
        for i, month in enumerate(months):
            pairs = running_in[i]
            key = month.strftime("%Y-%m")
            total_meetings += held.get(key, 0)
            total_pair_months += pairs
            insights.meetings_per_month.append(
                {
                    "month": key,
                    "pairs": pairs,
                    "meetings": held.get(key, 0),
                    "per_pair": counted(
                        held.get(key, 0) / pairs if pairs else None, pairs, minimum
                    ),
                }
            )
        insights.meetings_per_pair_month = counted(
            total_meetings / total_pair_months if total_pair_months else None,
            len(running),
            minimum,
        )
    # Survey response rates: participants' contacts due in the period, counted by the database.
    by_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # answered, asked, no reminder
    respondents: dict[str, int] = defaultdict(int)
    answered_status = Contact.status == ContactStatus.ANSWERED
    ids = [m.pair_id for m in matches]
    if ids:
        # By kind: on PostgreSQL first by participant, then those rows counted (see
        # `_quality`).
        answered_case = sa.case((answered_status, 1), else_=0)
        unreminded_case = sa.case(
            (sa.and_(answered_status, Contact.reminders_sent == 0), 1), else_=0
        )
        scope = [
            among(Contact.pair_id, ids),
            Contact.recipient != "staff",
            Contact.status.in_(
                (ContactStatus.ANSWERED, ContactStatus.OVERDUE, ContactStatus.INVITED)
            ),
            Contact.due_at < end,
        ]
        if period.since is not None:
            scope.append(Contact.due_on >= period.since)
        query: Any
        if is_postgresql():
            inner = (
                sa.select(
                    Contact.kind.label("kind"),
                    Contact.participant_id.label("participant_id"),
                    sa.func.count().label("asked"),
                    sa.func.sum(answered_case).label("answered"),
                    sa.func.sum(unreminded_case).label("unreminded"),
                )
                .where(*scope)
                .group_by(Contact.kind, Contact.participant_id)
                .subquery()
            )
            query = sa.select(
                inner.c.kind,
                sa.cast(sa.func.sum(inner.c.asked), sa.Integer),
                sa.cast(sa.func.sum(inner.c.answered), sa.Integer),
                sa.cast(sa.func.sum(inner.c.unreminded), sa.Integer),
                # The participants asked, leaving out none (as a count of distinct ones did).
                sa.func.count(inner.c.participant_id),
            ).group_by(inner.c.kind)
        else:
            query = (
                sa.select(
                    Contact.kind,
                    sa.func.count(),
                    sa.func.sum(answered_case),
                    sa.func.sum(unreminded_case),
                    sa.func.count(sa.distinct(Contact.participant_id)),
                )
                .where(*scope)
                .group_by(Contact.kind)
            )
        for kind, asked, answered_count, unreminded_count, people in read(query):
            counts = by_kind[kind]
            counts[0] += answered_count or 0
            counts[1] += asked
            counts[2] += unreminded_count or 0
            respondents[kind] += people
    answered = sum(c[0] for c in by_kind.values())
    asked = sum(c[1] for c in by_kind.values())
    # The most people asked any one kind of survey: never more than were asked in all, so a
    # group too small to show is never shown.
    people = max(respondents.values(), default=0)
    for kind, (yes, total, _unreminded) in sorted(by_kind.items()):
        insights.response_rates.append(
            {
                "survey": kind,
                "asked": total,
                "answered": yes,
                "rate": counted(yes / total if total else None, respondents[kind], minimum),
            }
        )
    insights.response_rate = counted(answered / asked if asked else None, people, minimum)
    insights.answered_without_reminder = counted(
        sum(c[2] for c in by_kind.values()) / answered if answered else None, people, minimum
    )


# -- staff practice -------------------------------------------------------------------------


def _staff_practice(
    insights: Insights, ids: list[int], period: Period, end: datetime, grace_days: int
) -> dict[int, tuple[int, int]]:
    """Fills in the staff practice figures; returns, by pair, the periods in which it met
    the meeting requirement and those judged."""
    minimum = insights.minimum
    tally = {"due": 0, "on_time": 0, "late": 0, "overdue": 0, "not_yet_late": 0}
    done = sa.and_(Contact.status == ContactStatus.DONE, Contact.done_at.is_not(None))
    if db.engine.dialect.name == "postgresql":
        in_time = Contact.done_at <= Contact.due_at + sa.func.make_interval(0, 0, 0, grace_days)
    else:
        in_time = (
            sa.func.julianday(Contact.done_at) <= sa.func.julianday(Contact.due_at) + grace_days
        )

    def number(condition: Any) -> Any:
        return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)

    pairs_seen = 0
    # By pair: the periods in which it met the requirement, and those judged.
    by_pair: dict[int, tuple[int, int]] = {}
    if ids:
        query = sa.select(
            sa.func.count(),
            number(sa.and_(done, in_time)),
            number(sa.and_(done, sa.not_(in_time))),
            number(Contact.status == ContactStatus.OVERDUE),
            sa.func.count(sa.distinct(Contact.pair_id)),
        ).where(
            among(Contact.pair_id, ids),
            Contact.recipient == "staff",
            Contact.status != ContactStatus.CANCELLED,
            Contact.due_at < end,
        )
        if period.since is not None:
            query = query.where(Contact.due_on >= period.since)
        due, on_time, late, overdue, seen = read(query).one()
        tally["due"] += due
        tally["on_time"] += on_time
        tally["late"] += late
        tally["overdue"] += overdue
        tally["not_yet_late"] += due - on_time - late - overdue
        pairs_seen += seen
        compliance = (
            sa.select(
                Compliance.pair_id,
                number(Compliance.compliant.is_(True)),
                sa.func.count(),
            )
            .where(
                among(Compliance.pair_id, ids),
                Compliance.closed.is_(True),
                Compliance.period_end
                <= (end - timedelta(microseconds=1)).date() + timedelta(days=1),
            )
            .group_by(Compliance.pair_id)
            .order_by(Compliance.pair_id)
        )
        if period.since is not None:
            compliance = compliance.where(Compliance.period_start >= period.since)
        for pair_id, compliant, periods in read(compliance):
            by_pair[pair_id] = (int(compliant), int(periods))
    met = sum(compliant for compliant, _ in by_pair.values())
    judged = sum(periods for _, periods in by_pair.values())
    compliant_pairs = len(by_pair)
    insights.staff_contacts = tally
    settled = tally["on_time"] + tally["late"] + tally["overdue"]
    insights.staff_on_time = counted(
        tally["on_time"] / settled if settled else None, pairs_seen, minimum
    )
    insights.meeting_requirement_met = counted(
        met / judged if judged else None, compliant_pairs, minimum
    )
    return by_pair


# -- fidelity -------------------------------------------------------------------------------


def _fidelity(
    insights: Insights, program: Program, matches: list[MatchRow], end: datetime
) -> dict[int, tuple[int, int]]:
    """Fills in the fidelity figures; returns, by pair, the contacts kept and due."""
    minimum = insights.minimum
    policy = POLICIES.get(program.cadence_policy, POLICIES[DEFAULT_POLICY])
    running = [m for m in matches if m.activated_at is not None or program.event_on is not None]
    ids = [m.pair_id for m in running]
    codes = stats.contact_codes(policy)
    # Each contact made as three numbers (its pair, its kind and role, its day), worked out by
    # the database: a few hundred thousand rows are read, and only counted.
    code: Any = sa.literal(-1)
    if codes:
        code = sa.case(
            *(
                (
                    sa.and_(
                        Contact.kind == kind,
                        sa.or_(Contact.recipient == role, Contact.recipient.startswith(f"{role}:")),
                    ),
                    number,
                )
                for (kind, role), number in codes.items()
            ),
            else_=-1,
        )
    paused: dict[int, list[tuple[date, date]]] = defaultdict(list)
    guardians: set[int] = set()
    contacts = np.zeros((0, 3), dtype=np.int64)
    if ids:
        contacts = _integers(
            sa.select(Contact.pair_id, code, _day_number(Contact.done_at)).where(
                among(Contact.pair_id, ids),
                Contact.kind.in_(sorted({kind for kind, _ in codes})),
                Contact.status.in_((ContactStatus.ANSWERED, ContactStatus.DONE)),
                Contact.done_at.is_not(None),
            )
        )
        for pair_id, starts_on, ends_on in read(
            sa.select(Pause.pair_id, Pause.starts_on, Pause.ends_on).where(
                among(Pause.pair_id, ids)
            )
        ):
            paused[pair_id].append((starts_on, ends_on))
    contacts[:, 2] = _days_since_1970(contacts[:, 2])
    # The pairs are in id order (as read), so a pair's index is found by bisection.
    contacts[:, 0] = np.searchsorted(np.asarray(ids, dtype=np.int64), contacts[:, 0])
    if program.youth and policy.guardians:
        mentees = list({m.mentee_id for m in running})
        if mentees:
            for guardian_of in read(
                sa.select(Participant.guardian_of_id).where(
                    among(Participant.guardian_of_id, mentees)
                )
            ).scalars():
                if guardian_of is not None:  # the query asks for those it names
                    guardians.add(guardian_of)
    last_day = (end - timedelta(microseconds=1)).date()
    pair_roles = frozenset(("mentee", "mentor"))
    guardian_roles = frozenset(("mentee", "mentor", "guardian"))
    table = stats.fidelity_table(
        policy,
        event_on=program.event_on,
        pairs=[
            stats.Followed(
                activated_on=m.activated_at.date() if m.activated_at else None,
                observed_until=min(m.ended_at.date(), last_day) if m.ended_at else last_day,
                roles=guardian_roles if m.mentee_id in guardians else pair_roles,
                paused=tuple(paused.get(m.pair_id, ())),
            )
            for m in running
        ],
        made=contacts,
    )
    due_by_pair = table.due.sum(axis=1)
    kept_by_pair = table.kept.sum(axis=1)
    by_pair = dict(
        zip(ids, zip(kept_by_pair.tolist(), due_by_pair.tolist(), strict=True), strict=True)
    )
    # By kind, in the order a pair first owed one (as the table is laid out).
    totals: dict[str, list[int]] = {}
    owing = table.due > 0
    order = sorted(
        (int(np.argmax(owing[:, column])), column)
        for column in range(len(table.kinds))
        if owing[:, column].any()
    )
    for _, column in order:
        counts = totals.setdefault(table.kinds[column], [0, 0, 0])  # due, kept, pairs
        counts[0] += int(table.due[:, column].sum())
        counts[1] += int(table.kept[:, column].sum())
        counts[2] += int(owing[:, column].sum())
    owed = int((due_by_pair > 0).sum())
    served = int(((due_by_pair > 0) & (kept_by_pair == due_by_pair)).sum())
    shortfalls = [
        {"pair_id": ids[i], "due": due, "kept": kept}
        for i, kept, due in zip(
            np.flatnonzero(kept_by_pair < due_by_pair).tolist(),
            kept_by_pair[kept_by_pair < due_by_pair].tolist(),
            due_by_pair[kept_by_pair < due_by_pair].tolist(),
            strict=True,
        )
    ]
    for kind, (due, kept, pairs) in totals.items():
        insights.fidelity.append(
            {"contact": kind, "pairs": pairs, "due": due, "kept": kept,
             "share": counted(kept / due if due else None, pairs, minimum)}
        )  # fmt: skip
    all_due = sum(t[0] for t in totals.values())
    insights.fidelity_overall = counted(
        sum(t[1] for t in totals.values()) / all_due if all_due else None, owed, minimum
    )
    insights.pairs_fully_served = share(stats.Share(served, owed), minimum)
    # The pairs that missed most of what they were promised: a coordinator's work list.
    shortfalls.sort(key=lambda s: (s["kept"] / s["due"], -s["due"], s["pair_id"]))
    insights.pairs_short = shortfalls[:20]
    return by_pair


# -- breakdowns -----------------------------------------------------------------------------


def _quarter(match: MatchRow) -> str:
    return f"{match.matched_at.year} Q{(match.matched_at.month - 1) // 3 + 1}"


def _breakdown(
    matches: list[MatchRow], end: datetime, minimum: int, *, key
) -> list[dict[str, Any]]:
    groups: dict[object, list[MatchRow]] = defaultdict(list)
    for match in matches:
        groups[key(match)].append(match)
    rows: list[dict[str, Any]] = []
    for name in sorted(groups, key=lambda k: (k is None, str(k))):
        group = groups[name]
        durations = [m.days(end) for m in group]
        ended = [m.ended_at is not None for m in group]
        followups = [m.followup(end) for m in group]
        row: dict[str, Any] = {
            "group": name,
            "matches": len(group),
            "median_days": _median(durations, ended, minimum),
        }
        for months in EARLY_MONTHS:
            row[f"closed_before_{months}_months"] = share(
                stats.closed_before(durations, ended, followups, months * stats.MONTH_DAYS),
                minimum,
            )
        rows.append(row)
    for months in EARLY_MONTHS:
        _shield_the_hidden(rows, f"closed_before_{months}_months")
    return rows


def _shield_the_hidden(rows: list[dict[str, Any]], key: str) -> None:
    """Complementary suppression. A share is a count over a group, and the groups of a
    breakdown add up to the program, whose share is shown: with one group's share left out,
    the total less the others gives it back. So when one group (with anyone in it) is left
    out, the smallest group shown is left out too. (Medians do not add up: they need none.)"""
    hidden = [row for row in rows if row[key].suppressed and row[key].n > 0]
    shown = [row for row in rows if not row[key].suppressed]
    if len(hidden) == 1 and shown:
        smallest = min(shown, key=lambda row: row[key].n)
        smallest[key] = Counted(None, smallest[key].n, True, shields=True)


def _month(column: Any) -> Any:
    """The UTC month of a moment as text ("2025-03"), computed by the database: grouping there
    saves turning every row into a Python datetime."""
    if db.engine.dialect.name == "postgresql":
        return sa.func.to_char(sa.func.timezone("UTC", column), "YYYY-MM")
    return sa.func.substr(column, 1, 7)  # SQLite keeps UTC moments as ISO text


def _month_number(column: Any) -> Any:
    """The UTC month of a moment as a number (year * 12 + month - 1), by the database."""
    if db.engine.dialect.name == "postgresql":
        moment = sa.func.timezone("UTC", column)
        return sa.cast(
            sa.extract("year", moment) * 12 + sa.extract("month", moment) - 1, sa.Integer
        )
    year = sa.cast(sa.func.substr(column, 1, 4), sa.Integer)
    return year * 12 + sa.cast(sa.func.substr(column, 6, 2), sa.Integer) - 1


def _integers(query: sa.Select[Any], *, order_by: tuple[Any, ...] = ()) -> np.ndarray:
    """The rows of a select of whole numbers (none null) as an array, a row each, in the
    order `order_by`. PostgreSQL sends them as one text, parsed at once here: the driver's
    conversion of each number to Python was most of what the read cost. SQLite's rows come
    from the driver's cursor without SQLAlchemy's work for each (`plain_rows`): it builds
    such a text no faster than the driver builds the rows."""
    columns = list(query.selected_columns)
    width = len(columns)
    if is_postgresql():
        text = sa.func.concat_ws(",", *columns)
        separator: Any = sa.literal(",")
        if order_by:
            separator = aggregate_order_by(separator, *order_by)
        joined = db.session.connection().scalar(
            query.with_only_columns(sa.func.string_agg(text, separator)).order_by(None)
        )
        numbers = np.fromstring(joined or "", dtype=np.int64, sep=",")
    else:
        rows = plain_rows(query.order_by(*order_by))
        numbers = np.fromiter(
            itertools.chain.from_iterable(rows), dtype=np.int64, count=width * len(rows)
        )
    return numbers.reshape(-1, width)


def _day_number(column: Any) -> Any:
    """The UTC day of a moment as a number, computed by the database: on PostgreSQL days since
    1970-01-01; on SQLite the day's digits (20250305), which `_days_since_1970` turns into
    those (reading the digits of the text it keeps cost half what a Julian day did)."""
    if db.engine.dialect.name == "postgresql":
        day = sa.cast(sa.func.timezone("UTC", column), sa.Date)
        return sa.cast(day - sa.cast(sa.literal("1970-01-01"), sa.Date), sa.Integer)
    # SQLite keeps UTC moments as ISO text: "2025-03-05 …" gives 20250305.
    return sa.cast(sa.func.replace(sa.func.substr(column, 1, 10), "-", ""), sa.Integer)


def _days_since_1970(numbers: np.ndarray) -> np.ndarray:
    """`_day_number`'s numbers as days since 1970-01-01, on every backend."""
    if db.engine.dialect.name == "postgresql":
        return numbers
    months = (numbers // 10000 - 1970) * 12 + numbers // 100 % 100 - 1
    firsts = months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    return firsts + numbers % 100 - 1
