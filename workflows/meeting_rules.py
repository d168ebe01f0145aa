"""Warning signs in the calendar: meetings cancelled, missed, or moved at the last
minute ("Either party is canceling appointments"; "failing to turn up or regularly rearranges
last minute"). Pure: no database.

Each rule counts a *streak*: the occurrences on a pair recorded since the rule last raised its
signal there. When a streak reaches its threshold the signal is raised and the streak starts
again, so one run of cancellations raises one signal, not one per cancellation after the third.

- `missed_meetings`: cancellations and no-shows, whoever caused them except the coordinator,
  when `cancellations_to_flag` of them (3) fall within `cancellation_window_days` (30).
- `last_minute_rescheduling`: cancellations and reschedules with less than `late_notice_hours`
  (24) of notice. One late change is life; the second within the same window raises it.

"Within the window" means inside some period of that many days that contains the new one,
counted by when the meetings were due, so events arriving out of order count the same.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from workflows.rules import RaisedSignal

# One late change is life; a second within the window is the warning sign.
LATE_CHANGES_TO_FLAG = 2


class MeetingEventType(StrEnum):
    SCHEDULED = "meeting.scheduled"
    RESCHEDULED = "meeting.rescheduled"
    CANCELLED = "meeting.cancelled"
    HELD = "meeting.held"
    NO_SHOW = "meeting.no_show"


# Who may call a meeting off. A coordinator's cancellation is not the pair's warning sign.
CANCELLERS = ("mentor", "mentee", "coordinator")


@dataclass(frozen=True)
class Thresholds:
    """A program's settings for these rules (Program.cancellations_to_flag and friends)."""

    cancellations_to_flag: int = 3
    window_days: int = 30
    late_notice_hours: int = 24
    late_changes_to_flag: int = LATE_CHANGES_TO_FLAG

    @property
    def window(self) -> timedelta:
        return timedelta(days=self.window_days)


@dataclass(frozen=True)
class Observation:
    """What one meeting event says, as far as the rules care."""

    type: MeetingEventType | str
    # When the meeting was due: for a reschedule, the time it was moved away from.
    due_at: datetime
    # For a cancellation or reschedule: whole hours between being told and `due_at`.
    notice_hours: int | None = None
    cancelled_by: str | None = None


@dataclass(frozen=True)
class Streaks:
    """Earlier occurrences on the pair since each rule last raised its signal there (when
    those meetings were due), not counting the one being judged."""

    missed: tuple[datetime, ...] = ()
    late: tuple[datetime, ...] = ()


def notice_hours(*, due_at: datetime, told_at: datetime) -> int:
    """Whole hours of notice; a meeting called off after it was due had none."""
    return max(0, math.floor((due_at - told_at) / timedelta(hours=1)))


def is_missed(observation: Observation) -> bool:
    return (
        observation.type in (MeetingEventType.CANCELLED, MeetingEventType.NO_SHOW)
        and observation.cancelled_by != "coordinator"
    )


def is_late(observation: Observation, thresholds: Thresholds) -> bool:
    return (
        observation.type in (MeetingEventType.CANCELLED, MeetingEventType.RESCHEDULED)
        and observation.cancelled_by != "coordinator"
        and observation.notice_hours is not None
        and observation.notice_hours < thresholds.late_notice_hours
    )


def most_within(times: Iterable[datetime], anchor: datetime, window: timedelta) -> int:
    """The most of `times` (with `anchor` among them) that fit in one period of `window`
    containing `anchor`."""
    moments = sorted([*times, anchor])
    starts = [t for t in moments if anchor - window <= t <= anchor]
    return max(sum(1 for t in moments if start <= t <= start + window) for start in starts)


def signals_for(
    observation: Observation, streaks: Streaks, thresholds: Thresholds
) -> list[RaisedSignal]:
    """The warning signs the new event completes, if any."""
    raised: list[RaisedSignal] = []
    if is_missed(observation) and (
        most_within(streaks.missed, observation.due_at, thresholds.window)
        >= thresholds.cancellations_to_flag
    ):
        raised.append(RaisedSignal("missed_meetings", ""))
    if is_late(observation, thresholds) and (
        most_within(streaks.late, observation.due_at, thresholds.window)
        >= thresholds.late_changes_to_flag
    ):
        raised.append(RaisedSignal("last_minute_rescheduling", ""))
    return raised
