"""What a program's record says about its matches: the statistics, as plain functions over
plain values. Pure: no database (service/insights reads the rows and hands them here).

- Match duration: the Kaplan-Meier estimate of how long matches last, with open matches
  censored (they count while they are known to last, never as endings), its median, and the
  share of matches closed before a given length or before their planned end.
- Fidelity to the program's cadence: for each contact the program's policy promises, the
  window in which it is due, and whether a contact of that kind was made in it.
- Small groups: a figure drawn from fewer pairs or respondents than the program's minimum is
  not shown, so nobody can be singled out.
"""

from __future__ import annotations

import itertools
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import numpy as np

from workflows.cadence import Anchor, CadencePolicy, ContactPlan, add_months, paused_on

# A month of match time, in days: a year is 365.25 days.
MONTH_DAYS = 365.25 / 12
# A one-off contact (the first-meeting check-in, an event's follow-up) counts when it is made
# within two weeks of its day.
ONE_OFF_WINDOW = timedelta(days=14)


# -- small groups ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Share:
    """`count` of `total`: a proportion with the size of the group it was drawn from."""

    count: int
    total: int

    @property
    def value(self) -> float | None:
        return self.count / self.total if self.total else None


def shown(total: int, minimum: int) -> bool:
    """May a figure drawn from `total` pairs or respondents be shown? Only from `minimum`
    (the program's setting) upwards: fewer could point at one person."""
    return total >= minimum


# -- match duration -------------------------------------------------------------------------


@dataclass(frozen=True)
class SurvivalStep:
    """One step of a Kaplan-Meier curve: at `day`, `at_risk` matches were still open just
    before, `closed` ended that day and `censored` were last seen that day (still open), and
    `survival` is the estimated share of matches lasting beyond `day`."""

    day: float
    at_risk: int
    closed: int
    censored: int
    survival: float


def kaplan_meier(durations: Sequence[float], closed: Sequence[bool]) -> list[SurvivalStep]:
    """The Kaplan-Meier product-limit estimate: at each day on which a match ended, survival
    is multiplied by (1 - ended / still open just before). A match still open counts among
    those at risk up to its last day seen, and ends nothing. On a day with both endings and
    censorings, the endings come first (the usual convention). Every distinct day is a step,
    so the table shows the censorings too."""
    if len(durations) != len(closed):
        raise ValueError(f"{len(durations)} durations but {len(closed)} closure flags")
    if any(d < 0 for d in durations):
        raise ValueError("a duration cannot be negative")
    by_day: dict[float, list[int]] = {}
    for day, closes in zip(durations, closed, strict=True):
        counts = by_day.setdefault(float(day), [0, 0])
        counts[0 if closes else 1] += 1
    at_risk = len(durations)
    survival = 1.0
    steps: list[SurvivalStep] = []
    for day in sorted(by_day):
        ended, censored = by_day[day]
        if ended:
            survival *= 1 - ended / at_risk
        steps.append(SurvivalStep(day, at_risk, ended, censored, survival))
        at_risk -= ended + censored
    return steps


def median_duration(steps: Sequence[SurvivalStep]) -> float | None:
    """The first day on which the estimated survival is at or below one half; None when the
    curve never gets there (more than half of the matches outlast what was observed)."""
    for step in steps:
        if step.closed and step.survival <= 0.5:
            return step.day
    return None


def closed_before(
    durations: Sequence[float], closed: Sequence[bool], followups: Sequence[float], days: float
) -> Share:
    """The share of matches that ended before `days`, among those that could have been seen
    for that long: made at least `days` before the end of what was observed (`followups`,
    each match's time from its match to that end). Younger matches are left out whether or
    not they ended, so recent early endings do not weigh more than recent matches that last."""
    count = total = 0
    for duration, ended, followup in zip(durations, closed, followups, strict=True):
        if followup < days:
            continue
        total += 1
        count += ended and duration < days
    return Share(count, total)


@dataclass(frozen=True)
class PlannedEnd:
    """A match with a planned end: when it ended (None: still open) and when it was seen last."""

    planned_end_on: date
    ended_on: date | None
    seen_until: date


def closed_before_planned_end(matches: Iterable[PlannedEnd]) -> Share:
    """The share of matches that ended before their planned end, among those whose planned
    end has passed or that have ended."""
    count = total = 0
    for match in matches:
        if match.ended_on is not None:
            total += 1
            count += match.ended_on < match.planned_end_on
        elif match.seen_until >= match.planned_end_on:
            total += 1
    return Share(count, total)


# -- relationship quality -------------------------------------------------------------------


def rating_fell(ratings: Sequence[int]) -> bool | None:
    """Did a side's pulse fall over the period? Its last rating against its first, in the
    order given; None with fewer than two ratings (nothing to compare)."""
    if len(ratings) < 2:
        return None
    return ratings[-1] < ratings[0]


def mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


# -- fidelity to the cadence ----------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """One promised contact: due on `due_on`, kept if made on a day in [due_on, until)."""

    kind: str
    due_on: date
    until: date


def promised(
    plan: ContactPlan,
    anchor: date,
    *,
    observed_until: date,
    paused: Sequence[tuple[date, date]] = (),
) -> list[Window]:
    """The contacts `plan` promises from `anchor` whose window has closed by `observed_until`:
    each repeated contact is due on its day and counts until the next one is due (a monthly
    check-in is kept when it happens in its month); a one-off counts within two weeks. A
    participant contact due while the pair was paused was not owed."""
    days = _due_days(plan, anchor, observed_until)
    windows: list[Window] = []
    for index, day in enumerate(days):
        if plan.once_after is not None:
            until = day + ONE_OFF_WINDOW
        elif index + 1 < len(days):
            until = days[index + 1]
        else:
            break
        if until > observed_until:
            break
        if not plan.for_staff and any(paused_on(day, start, end) for start, end in paused):
            continue
        windows.append(Window(plan.kind, day, until))
    return windows


def _due_days(plan: ContactPlan, anchor: date, observed_until: date) -> list[date]:
    """The plan's due days from `anchor`, up to the first after `observed_until`: the prefix
    of the days drawn once per plan and anchor (many pairs share an anchor's day)."""
    days = _days_from(plan, anchor, _horizon(observed_until))
    end = bisect_right(days, observed_until)
    return days[: end + 1]


def _horizon(day: date) -> date:
    """The start of the second month after `day`: lists drawn as far as a pair lasted, shared
    by the pairs with the same anchor whose observation ends in the same month."""
    return add_months(day.replace(day=1), 2)


@lru_cache(maxsize=65536)
def _days_from(plan: ContactPlan, anchor: date, horizon: date) -> list[date]:
    days: list[date] = []
    for day in plan.occurrences(anchor):
        days.append(day)
        if day > horizon or plan.once_after is not None:
            break
    return days


@dataclass(frozen=True)
class Delivered:
    """A contact made: its kind, who it was with ("mentee", "mentor", "guardian" or
    "staff"), and the day it was made (answered, or recorded as done)."""

    kind: str
    role: str
    on: date


@dataclass(frozen=True)
class PlanFidelity:
    """For one contact plan: how many contacts (one per person it names) were due, and how
    many of them were made in their window."""

    kind: str
    due: int
    kept: int

    @property
    def share(self) -> Share:
        return Share(self.kept, self.due)


def fidelity(
    policy: CadencePolicy,
    *,
    activated_on: date | None,
    event_on: date | None,
    observed_until: date,
    roles: Iterable[str],
    delivered: Iterable[Delivered] = (),
    paused: Sequence[tuple[date, date]] = (),
    made: dict[tuple[str, str], list[date]] | None = None,
) -> list[PlanFidelity]:
    """What one pair received of what the program's policy promises it while it runs, plan by
    plan: each promised contact with each person (the roles the pair has: a guardian only in
    youth programs), kept when a contact of that kind with that person was made within its
    window. Contacts after the match (anchored on its closure) are not counted here.

    `made` may give the days of the contacts made instead of `delivered`: by (kind, role),
    each list in order (what a caller reading many pairs builds most cheaply)."""
    present = set(roles)
    if made is None:
        made = {}
        for item in delivered:
            made.setdefault((item.kind, item.role), []).append(item.on)
        for days in made.values():
            days.sort()
    result: list[PlanFidelity] = []
    for plan in policy.contacts:
        if plan.anchor == Anchor.EVENT:
            anchor = event_on
        elif plan.anchor in (Anchor.ACTIVATED, Anchor.MATCHED):
            anchor = activated_on
        else:
            continue
        if anchor is None:
            continue
        people = [role for role in plan.audience if plan.for_staff or role in present]
        due = kept = 0
        for window in promised(plan, anchor, observed_until=observed_until, paused=paused):
            for role in people:
                due += 1
                days = made.get((plan.kind, role), [])
                first = bisect_left(days, window.due_on)
                kept += first < len(days) and days[first] < window.until
        result.append(PlanFidelity(plan.kind, due, kept))
    return result


# -- fidelity of many pairs at once ------------------------------------------------------------


@dataclass(frozen=True)
class Followed:
    """One pair as the fidelity report follows it: activated on `activated_on` (None: never),
    seen until `observed_until`, with the people it has (`roles`) and its pauses."""

    activated_on: date | None
    observed_until: date
    roles: frozenset[str]
    paused: tuple[tuple[date, date], ...] = ()


@dataclass(frozen=True)
class FidelityTable:
    """For each pair (rows, in the order given) and each plan the policy counts (columns, in
    the policy's order, named by `kinds`): the contacts due and those kept."""

    kinds: tuple[str, ...]
    due: np.ndarray
    kept: np.ndarray


def contact_codes(policy: CadencePolicy) -> dict[tuple[str, str], int]:
    """A number for each (kind, role) of contact the policy's fidelity counts: how the
    contacts made are given to `fidelity_table`."""
    codes: dict[tuple[str, str], int] = {}
    for plan in policy.contacts:
        if plan.anchor != Anchor.CLOSED:
            for role in plan.audience:
                codes.setdefault((plan.kind, role), len(codes))
    return codes


def fidelity_table(
    policy: CadencePolicy,
    *,
    event_on: date | None,
    pairs: Sequence[Followed],
    made: np.ndarray,
) -> FidelityTable:
    """What `fidelity` gives each of `pairs`, for thousands of pairs at once. `made` has a
    row per contact made: the index of its pair in `pairs`, its (kind, role) as numbered by
    `contact_codes` (-1: not counted), its day as days since 1970-01-01.

    Each pair's windows are a prefix of its plan's due days, drawn once per anchor: from
    one due day to the next, as far as the pair was seen. A window is kept when a contact
    of its kind with its person falls in it; that is one sorted search for all the windows
    at once, on numbers that order the contacts by pair, kind and role, then day. A pair
    with pauses is counted by `fidelity` itself (its windows have holes)."""
    plans = [plan for plan in policy.contacts if plan.anchor != Anchor.CLOSED]
    codes = contact_codes(policy)
    width = max(len(codes), 1)
    due = np.zeros((len(pairs), len(plans)), dtype=np.int64)
    kept = np.zeros_like(due)
    made = np.asarray(made, dtype=np.int64).reshape(-1, 3)
    known = made[:, 1] >= 0
    # Which pair, kind and role each contact is for, as one number.
    made_keys = made[known, 0] * width + made[known, 1]
    made_days = made[known, 2] + _EPOCH
    if not pairs:
        return FidelityTable(tuple(plan.kind for plan in plans), due, kept)
    horizon = _horizon(max(pair.observed_until for pair in pairs))
    # The due days of every (plan, anchor) met, one after another, and where each starts.
    drawn: list[list[int]] = []
    size = 0
    # One entry per pair, plan and person: (the cell, the key of its contacts, where its
    # due days start, how many windows).
    cells: list[int] = []
    keys: list[int] = []
    starts: list[int] = []
    counts: list[int] = []
    for column, plan in enumerate(plans):
        # The people a pair with these roles is owed this plan's contacts with, and their keys.
        people: dict[frozenset[str], list[int]] = {}
        on_event = plan.anchor == Anchor.EVENT
        # This plan's due days by anchor, and where they start among those drawn: looked up
        # here by the anchor's day (a plan's hash, for `_day_numbers`'s cache, goes through
        # all its fields, and cost more than the rest of the loop).
        placed: dict[date, tuple[list[int], int]] = {}
        for index, pair in enumerate(pairs):
            anchor = event_on if on_event else pair.activated_on
            if anchor is None or pair.paused:
                continue
            found = placed.get(anchor)
            if found is None:
                days = _day_numbers(plan, anchor, horizon)
                found = placed[anchor] = (days, size)
                drawn.append(days)
                size += len(days)
            days, offset = found
            count = bisect_right(days, pair.observed_until.toordinal()) - 1
            if count <= 0:
                continue
            codes_of = people.get(pair.roles)
            if codes_of is None:
                codes_of = people[pair.roles] = [
                    codes[(plan.kind, role)]
                    for role in plan.audience
                    if plan.for_staff or role in pair.roles
                ]
            due[index, column] = count * len(codes_of)
            for role_code in codes_of:
                cells.append(index * len(plans) + column)
                keys.append(index * width + role_code)
                starts.append(offset)
                counts.append(count)
    if cells:
        flat = np.fromiter(itertools.chain.from_iterable(drawn), dtype=np.int64, count=size)
        base = min(int(flat.min()), int(made_days.min(initial=flat.min())))
        span = max(int(flat.max()), int(made_days.max(initial=flat.max()))) - base + 2
        contacts = np.sort(made_keys * span + (made_days - base))
        repeat = np.asarray(counts, dtype=np.int64)
        ends = np.cumsum(repeat)
        # The j-th window of each entry runs from its j-th due day to the next.
        first = np.repeat(np.asarray(starts, dtype=np.int64) - (ends - repeat), repeat)
        first += np.arange(int(ends[-1]))
        key = np.repeat(np.asarray(keys, dtype=np.int64), repeat) * span - base
        hit = np.searchsorted(contacts, key + flat[first]) < np.searchsorted(
            contacts, key + flat[first + 1]
        )
        kept += (
            np.bincount(
                np.repeat(np.asarray(cells, dtype=np.int64), repeat),
                weights=hit,
                minlength=due.size,
            )
            .astype(np.int64)
            .reshape(due.shape)
        )
    _paused(policy, plans, event_on, pairs, codes, made_keys, made_days, width, due, kept)
    return FidelityTable(tuple(plan.kind for plan in plans), due, kept)


def _paused(
    policy: CadencePolicy,
    plans: list[ContactPlan],
    event_on: date | None,
    pairs: Sequence[Followed],
    codes: dict[tuple[str, str], int],
    made_keys: np.ndarray,
    made_days: np.ndarray,
    width: int,
    due: np.ndarray,
    kept: np.ndarray,
) -> None:
    """Fills in the pairs with pauses, one at a time with `fidelity`."""
    paused = [index for index, pair in enumerate(pairs) if pair.paused]
    if not paused:
        return
    names = list(codes)
    order = np.argsort(made_keys, kind="stable")
    sorted_keys = made_keys[order]
    for index in paused:
        pair = pairs[index]
        lo, hi = np.searchsorted(sorted_keys, [index * width, (index + 1) * width])
        made: dict[tuple[str, str], list[date]] = {}
        for key, day in zip(sorted_keys[lo:hi], made_days[order[lo:hi]], strict=True):
            made.setdefault(names[int(key) % width], []).append(date.fromordinal(int(day)))
        for days in made.values():
            days.sort()
        counted = iter(
            fidelity(
                policy,
                activated_on=pair.activated_on,
                event_on=event_on,
                observed_until=pair.observed_until,
                roles=pair.roles,
                made=made,
                paused=pair.paused,
            )
        )
        for column, plan in enumerate(plans):
            anchor = event_on if plan.anchor == Anchor.EVENT else pair.activated_on
            if anchor is not None:
                result = next(counted)
                due[index, column], kept[index, column] = result.due, result.kept


# Day numbers are ordinals (`date.toordinal`); numpy counts days from 1970-01-01.
_EPOCH = date(1970, 1, 1).toordinal()


@lru_cache(maxsize=65536)
def _day_numbers(plan: ContactPlan, anchor: date, horizon: date) -> list[int]:
    """The plan's due days from `anchor` as ordinals, as far as `horizon` and one beyond; a
    one-off's day and the end of its window (so its window is the first to the second)."""
    days = _days_from(plan, anchor, horizon)
    if plan.once_after is not None:
        return [days[0].toordinal(), (days[0] + ONE_OFF_WINDOW).toordinal()]
    return [day.toordinal() for day in days]
