"""workflows/meeting_rules.py: the warning signs from meeting events, without a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from workflows.meeting_rules import (
    MeetingEventType,
    Observation,
    Streaks,
    Thresholds,
    most_within,
    notice_hours,
    signals_for,
)

DAY = timedelta(days=1)
T = datetime(2026, 11, 20, 16, tzinfo=UTC)
DEFAULTS = Thresholds()


def _codes(observation: Observation, streaks: Streaks, thresholds=DEFAULTS) -> list[str]:
    return [s.code for s in signals_for(observation, streaks, thresholds)]


def cancelled(at=T, notice=48, by="mentee") -> Observation:
    return Observation(MeetingEventType.CANCELLED, at, notice_hours=notice, cancelled_by=by)


def test_the_third_cancellation_within_the_window_raises_missed_meetings():
    assert _codes(cancelled(), Streaks(missed=(T - 20 * DAY, T - 10 * DAY))) == ["missed_meetings"]


def test_the_second_cancellation_raises_nothing():
    assert _codes(cancelled(), Streaks(missed=(T - 10 * DAY,))) == []


def test_cancellations_spread_wider_than_the_window_raise_nothing():
    assert _codes(cancelled(), Streaks(missed=(T - 62 * DAY, T - 31 * DAY))) == []


def test_a_late_reported_cancellation_between_two_others_completes_the_streak():
    streaks = Streaks(missed=(T - 20 * DAY, T + 5 * DAY))

    assert _codes(cancelled(at=T), streaks) == ["missed_meetings"]


def test_a_no_show_counts_like_a_cancellation():
    no_show = Observation(MeetingEventType.NO_SHOW, T)

    assert _codes(no_show, Streaks(missed=(T - 2 * DAY, T - DAY))) == ["missed_meetings"]


def test_a_coordinators_cancellation_is_no_warning_sign():
    streaks = Streaks(missed=(T - 2 * DAY, T - DAY), late=(T - DAY,))

    assert _codes(cancelled(notice=1, by="coordinator"), streaks) == []


def test_one_late_change_is_life():
    assert _codes(cancelled(notice=3), Streaks()) == []


def test_the_second_late_change_within_the_window_raises_last_minute_rescheduling():
    moved = Observation(MeetingEventType.RESCHEDULED, T, notice_hours=5, cancelled_by="mentor")

    assert _codes(moved, Streaks(late=(T - 12 * DAY,))) == ["last_minute_rescheduling"]


def test_a_change_with_enough_notice_is_not_late():
    assert _codes(cancelled(notice=24), Streaks(late=(T - DAY,))) == []


def test_a_late_third_cancellation_raises_both_signs():
    streaks = Streaks(missed=(T - 3 * DAY, T - 2 * DAY), late=(T - 3 * DAY,))

    assert _codes(cancelled(notice=0), streaks) == ["missed_meetings", "last_minute_rescheduling"]


def test_a_held_meeting_raises_nothing():
    held = Observation(MeetingEventType.HELD, T)

    assert _codes(held, Streaks(missed=(T, T), late=(T,))) == []


def test_the_programs_thresholds_are_used():
    strict = Thresholds(cancellations_to_flag=2, window_days=7, late_notice_hours=48)

    assert _codes(cancelled(notice=30), Streaks(missed=(T - 6 * DAY,)), strict) == [
        "missed_meetings"
    ]
    assert _codes(cancelled(notice=30), Streaks(late=(T - 6 * DAY,)), strict) == [
        "last_minute_rescheduling"
    ]


def test_notice_is_whole_hours_and_never_negative():
    assert notice_hours(due_at=T, told_at=T - timedelta(hours=23, minutes=59)) == 23
    assert notice_hours(due_at=T, told_at=T + timedelta(hours=2)) == 0


def test_most_within_counts_the_busiest_window_that_holds_the_anchor():
    times = [T - 40 * DAY, T - 20 * DAY, T + 8 * DAY, T + 50 * DAY]

    assert most_within(times, T, 30 * DAY) == 3
    assert most_within([], T, 30 * DAY) == 1
