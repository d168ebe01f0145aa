"""Do the program's rules work? Comparisons of two groups of pairs with their uncertainty,
and the playbook's interventions ranked by what followed them. Pure: plain numbers in, plain
numbers out (service/insights/rules.py reads the rows).

Every interval is a 95% confidence interval. A comparison is never made when either group is
smaller than the program's minimum group: the figures could point at the people in it, and a
difference between a handful of pairs says little anyway.

These are comparisons of what happened, not experiments: pairs that keep a rule may differ
from those that do not in other ways (and a pair about to end often stops meeting first).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from workflows.insights import Share, shown

# The normal quantile for a two-sided 95% interval.
Z95 = 1.959963984540054


@dataclass(frozen=True)
class Interval:
    low: float
    high: float


def wilson(part: Share, z: float = Z95) -> Interval:
    """The Wilson score interval for a proportion: unlike the textbook p ± z·√(p(1-p)/n), it
    stays within 0 and 1 and keeps its coverage near 0 and 1 and for small groups."""
    if part.total <= 0:
        raise ValueError(f"a proportion needs a group of at least one, got {part.total}")
    n, p = part.total, part.count / part.total
    scale = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / scale
    half = z / scale * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return Interval(max(0.0, centre - half), min(1.0, centre + half))


@dataclass(frozen=True)
class Difference:
    """Two groups' figures and the first minus the second, with its 95% interval."""

    first: float
    second: float
    first_n: int
    second_n: int
    difference: float
    low: float
    high: float

    @property
    def clear(self) -> bool:
        """Does the interval leave out no difference at all?"""
        return self.low > 0 or self.high < 0


def proportion_difference(first: Share, second: Share, minimum: int) -> Difference | None:
    """The difference of two proportions with Newcombe's hybrid score interval (his method
    10, from the two groups' Wilson intervals): p1 - p2 - √((p1 - l1)² + (u2 - p2)²) to
    p1 - p2 + √((u1 - p1)² + (p2 - l2)²). None when either group is below `minimum`."""
    if not (_enough(first.total, minimum) and _enough(second.total, minimum)):
        return None
    p1, p2 = first.count / first.total, second.count / second.total
    one, two = wilson(first), wilson(second)
    d = p1 - p2
    return Difference(
        p1, p2, first.total, second.total, d,
        d - math.sqrt((p1 - one.low) ** 2 + (two.high - p2) ** 2),
        d + math.sqrt((one.high - p1) ** 2 + (p2 - two.low) ** 2),
    )  # fmt: skip


def mean_difference(
    first: Sequence[float], second: Sequence[float], minimum: int
) -> Difference | None:
    """The difference of two means with Welch's interval (no assumption that the groups
    vary alike): d ± t(0.975, df)·se, se = √(s1²/n1 + s2²/n2), df by Welch-Satterthwaite.
    None when either group is below `minimum` (or has fewer than two values)."""
    n1, n2 = len(first), len(second)
    if not (_enough(n1, max(minimum, 2)) and _enough(n2, max(minimum, 2))):
        return None
    m1, m2 = sum(first) / n1, sum(second) / n2
    v1 = sum((x - m1) ** 2 for x in first) / (n1 - 1) / n1
    v2 = sum((x - m2) ** 2 for x in second) / (n2 - 1) / n2
    d = m1 - m2
    se = math.sqrt(v1 + v2)
    if se == 0:  # every value alike within each group: nothing uncertain to state
        return Difference(m1, m2, n1, n2, d, d, d)
    df = (v1 + v2) ** 2 / (v1 * v1 / (n1 - 1) + v2 * v2 / (n2 - 1))
    half = t_quantile(0.975, df) * se
    return Difference(m1, m2, n1, n2, d, d - half, d + half)


def t_quantile(probability: float, df: float) -> float:
    """Student's t distribution's quantile. scipy.special's, not scipy.stats': importing
    scipy.stats takes most of a second, and every process of the app would pay it."""
    from scipy.special import stdtrit

    return float(stdtrit(df, probability))


@dataclass(frozen=True)
class Change:
    """The same people measured twice: their mean before and after, and the mean change
    (after minus before) with its 95% interval."""

    n: int
    before: float
    after: float
    change: float
    low: float
    high: float


def paired_change(measures: Sequence[tuple[float, float]], minimum: int) -> Change | None:
    """The mean change of paired measures (before, after) with the paired t interval: each
    person's change d = after - before, mean(d) ± t(0.975, n-1)·s_d/√n. Pairing takes out
    the differences between people, which a comparison of two means would count as noise.
    None when fewer people than `minimum` (or than two) were measured both times."""
    n = len(measures)
    if not _enough(n, max(minimum, 2)):
        return None
    before = sum(b for b, _ in measures) / n
    after = sum(a for _, a in measures) / n
    changes = [a - b for b, a in measures]
    mean = sum(changes) / n
    spread = math.sqrt(sum((d - mean) ** 2 for d in changes) / (n - 1))
    if spread == 0:  # everyone changed alike: nothing uncertain to state
        return Change(n, before, after, mean, mean, mean)
    half = t_quantile(0.975, n - 1) * spread / math.sqrt(n)
    return Change(n, before, after, mean, mean - half, mean + half)


def _enough(n: int, minimum: int) -> bool:
    return n > 0 and shown(n, minimum)


@dataclass(frozen=True)
class Outcomes:
    """What followed each use of one intervention within the window: the pair resolved (back
    to active), the match ended (closing begun, withdrawn, re-matched), neither (the window
    passed with the pair still at risk or running), or pending (too recent to tell)."""

    key: str
    resolved: int
    ended: int
    neither: int = 0
    pending: int = 0

    @property
    def used(self) -> int:
        return self.resolved + self.ended + self.neither + self.pending


@dataclass(frozen=True)
class Ranked:
    """One intervention's place: the share of its uses with a known outcome that were
    resolved within the window, with its Wilson interval; None when fewer uses than the
    minimum have a known outcome."""

    key: str
    used: int
    resolved: int
    ended: int
    neither: int
    share: float | None
    interval: Interval | None

    @property
    def known(self) -> int:
        return self.resolved + self.ended + self.neither


def rank(outcomes: Iterable[Outcomes], minimum: int) -> list[Ranked]:
    """The interventions by the share of their uses followed by a resolve (rather than an
    ending, or nothing) within the window, highest first; ties: more uses known first, then by
    name. Uses still within their window count for nothing yet. Interventions with fewer uses
    known than `minimum` come last, their share not given."""
    ranked: list[Ranked] = []
    for item in outcomes:
        part = Share(item.resolved, item.resolved + item.ended + item.neither)
        shown_ = _enough(part.total, minimum)
        ranked.append(
            Ranked(
                item.key, item.used, item.resolved, item.ended, item.neither,
                part.value if shown_ else None, wilson(part) if shown_ else None,
            )
        )  # fmt: skip
    ranked.sort(key=lambda r: (r.share is None, -(r.share or 0.0), -r.known, r.key))
    return ranked
