"""Telling a match that is slowly fading from one in acute trouble. Pure.

Fading: the pair meets half as often or less than it did (over the last two months against
the two before) and it shows in another way too: check-ins left unanswered, or ratings that
neither rise nor fall. Such a match is better closed well, with a planned last session that
celebrates what the pair did, than left to dissolve. Acute trouble (a safety signal, a
sharp drop in a rating) is not fading: it needs a coordinator now, and no planned closure
is proposed for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

# Unanswered check-ins in the last three months that count as a sign.
UNANSWERED = 2
# Ratings "flat": at least this many in the last four months, all within one point.
FLAT_RATINGS = 2


class Drift(StrEnum):
    FADING = "fading"
    ACUTE = "acute"


@dataclass(frozen=True)
class Trajectory:
    meetings_by_month: Sequence[int]  # held, the last four months, oldest first
    unanswered_checkins: int  # in the last three months
    ratings: Sequence[int]  # both sides' ratings in the last four months
    safety_signals: int  # in the last month
    sharpest_drop: int  # the largest fall between two consecutive ratings, last two months


def classify(trajectory: Trajectory, drop_threshold: int) -> Drift | None:
    if trajectory.safety_signals or trajectory.sharpest_drop >= drop_threshold:
        return Drift.ACUTE
    months = list(trajectory.meetings_by_month)
    before, lately = sum(months[: len(months) // 2]), sum(months[len(months) // 2 :])
    fewer = before > 0 and lately * 2 <= before
    silent = trajectory.unanswered_checkins >= UNANSWERED
    ratings = list(trajectory.ratings)
    flat = len(ratings) >= FLAT_RATINGS and max(ratings) - min(ratings) <= 1
    return Drift.FADING if fewer and (silent or flat) else None
