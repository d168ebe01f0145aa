"""Fading or acute: the drift detector's rules, one case each."""

from __future__ import annotations

from workflows.drift import Drift, Trajectory, classify


def trajectory(**changes) -> Trajectory:
    steady = {
        "meetings_by_month": (4, 4, 4, 4),
        "unanswered_checkins": 0,
        "ratings": (8, 6, 9),
        "safety_signals": 0,
        "sharpest_drop": 0,
    }
    return Trajectory(**{**steady, **changes})


def test_a_steady_match_is_neither():
    assert classify(trajectory(), 3) is None


def test_fewer_meetings_and_unanswered_check_ins_is_fading():
    assert classify(trajectory(meetings_by_month=(4, 3, 2, 1), unanswered_checkins=2), 3) == (
        Drift.FADING
    )


def test_fewer_meetings_and_flat_ratings_is_fading():
    assert classify(trajectory(meetings_by_month=(3, 3, 1, 1), ratings=(6, 6, 5)), 3) == (
        Drift.FADING
    )


def test_fewer_meetings_alone_is_not_fading():
    assert classify(trajectory(meetings_by_month=(4, 4, 1, 1)), 3) is None


def test_a_modest_fall_in_meetings_is_not_fading():
    assert classify(trajectory(meetings_by_month=(4, 4, 3, 3), unanswered_checkins=3), 3) is None


def test_a_safety_signal_is_acute_not_fading():
    faded = {"meetings_by_month": (4, 3, 1, 0), "unanswered_checkins": 3}
    assert classify(trajectory(safety_signals=1, **faded), 3) == Drift.ACUTE


def test_a_sharp_drop_in_a_rating_is_acute():
    assert classify(trajectory(sharpest_drop=4), 3) == Drift.ACUTE
