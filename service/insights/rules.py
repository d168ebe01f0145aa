"""Do the program's rules work? The record read for `workflows.evidence`: for the meeting
requirement and the cadence, the pairs that kept them against those that did not (how often
each group ended early, how each rated the relationship), and the playbook's interventions by
what followed them. Read-only.

- A pair kept the meeting requirement when it met it in more than half of its periods judged
  (closed) in the period; pairs with no period judged are in neither group.
- A pair kept the cadence when it received more than half of the contacts the program's
  cadence promised it (the fidelity report's count, passed in).
- Ended early: closed for any reason but completion, or re-matched (as the closure-risk model
  counts it).
- A pair's rating: the mean of every relationship rating either side gave in the period.
- After an intervention: the first of a resolve (back to active) or an ending (closing begun,
  withdrawn, re-matched) within `WINDOW_DAYS`; neither, when the window passed before the
  period's end with neither; pending (not counted yet) when it had not.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa

from service.database import among, read
from service.pairs.models import Intervention, TransitionRecord
from workflows import evidence
from workflows.insights import Share
from workflows.pairing import Trigger

WINDOW_DAYS = 60
ENDING_TRIGGERS = (Trigger.BEGIN_CLOSURE, Trigger.WITHDRAW, Trigger.REMATCH)
NO_SIGNAL = "none"


@dataclass(frozen=True)
class Group:
    """One side of a comparison: its pairs, how many ended early, its pairs' mean ratings."""

    pairs: int
    ended_early: int
    ratings: tuple[float, ...]

    @property
    def closure(self) -> Share:
        return Share(self.ended_early, self.pairs)

    @property
    def mean_rating(self) -> float | None:
        return sum(self.ratings) / len(self.ratings) if self.ratings else None


@dataclass(frozen=True)
class RuleCheck:
    """The pairs that kept a rule against those that did not. The differences are kept minus
    did not; None when either group is smaller than the program's minimum."""

    rule: str
    kept: Group
    missed: Group
    closure: evidence.Difference | None
    rating: evidence.Difference | None


@dataclass
class Evidence:
    checks: list[RuleCheck] = field(default_factory=list)
    interventions: list[evidence.Ranked] = field(default_factory=list)
    window_days: int = WINDOW_DAYS


def check(
    rule: str,
    kept_ids: Iterable[int],
    missed_ids: Iterable[int],
    early: set[int],
    ratings: dict[int, float],
    minimum: int,
) -> RuleCheck:
    def group(ids: Iterable[int]) -> Group:
        ids = list(ids)
        return Group(
            len(ids),
            sum(i in early for i in ids),
            tuple(ratings[i] for i in ids if i in ratings),
        )

    kept, missed = group(kept_ids), group(missed_ids)
    return RuleCheck(
        rule,
        kept,
        missed,
        evidence.proportion_difference(kept.closure, missed.closure, minimum),
        evidence.mean_difference(kept.ratings, missed.ratings, minimum),
    )


def compute(
    *,
    pair_ids: list[int],
    early: set[int],
    ratings: dict[int, float],
    judged: dict[int, tuple[int, int]],
    cadence: dict[int, tuple[int, int]],
    start: datetime | None,
    end: datetime,
    minimum: int,
) -> Evidence:
    """`early`: the pairs that ended early; `ratings`: each rated pair's mean rating in the
    period; `judged`: by pair, the periods in which it met the meeting requirement and those
    judged; `cadence`: by pair, the contacts kept and due."""
    result = Evidence()
    result.checks.append(
        check(
            "meeting_requirement",
            [p for p, (met, periods) in judged.items() if 2 * met > periods],
            [p for p, (met, periods) in judged.items() if 2 * met <= periods],
            early, ratings, minimum,
        )
    )  # fmt: skip
    owed = {p: kd for p, kd in cadence.items() if kd[1] > 0}
    result.checks.append(
        check(
            "cadence",
            [p for p, (kept, due) in owed.items() if 2 * kept > due],
            [p for p, (kept, due) in owed.items() if 2 * kept <= due],
            early, ratings, minimum,
        )
    )  # fmt: skip
    result.interventions = evidence.rank(_outcomes(pair_ids, start, end), minimum)
    return result


def _outcomes(
    pair_ids: list[int], start: datetime | None, end: datetime
) -> list[evidence.Outcomes]:
    uses: list[tuple[int, datetime, str]] = []
    moves: dict[int, list[tuple[datetime, str]]] = defaultdict(list)
    if pair_ids:
        query = sa.select(Intervention.pair_id, Intervention.created_at, Intervention.signal).where(
            among(Intervention.pair_id, pair_ids), Intervention.created_at < end
        )
        if start is not None:
            query = query.where(Intervention.created_at >= start)
        uses.extend((p, at, signal or NO_SIGNAL) for p, at, signal in read(query))
    # Only the pairs with an intervention: a few, usually, of the period's pairs.
    intervened = sorted({pair_id for pair_id, _, _ in uses})
    if intervened:
        record = TransitionRecord
        for pair_id, at, trigger in read(
            sa.select(record.pair_id, record.created_at, record.trigger)
            .where(
                among(TransitionRecord.pair_id, intervened),
                TransitionRecord.trigger.in_((Trigger.RESOLVE, *ENDING_TRIGGERS)),
                TransitionRecord.created_at < end,
            )
            .order_by(TransitionRecord.pair_id, TransitionRecord.created_at)
        ):  # fmt: skip
            moves[pair_id].append((at, trigger))
    # resolved, ended, neither, pending
    tally: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    window = timedelta(days=WINDOW_DAYS)
    for pair_id, at, key in uses:
        after = next((t for when, t in moves.get(pair_id, ()) if at <= when < at + window), None)
        if after is None:
            tally[key][2 if at + window <= end else 3] += 1
        else:
            tally[key][0 if after == Trigger.RESOLVE else 1] += 1
    return [evidence.Outcomes(key, *counts) for key, counts in sorted(tally.items())]
