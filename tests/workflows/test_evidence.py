"""Comparisons of two groups and the ranking of interventions, against values worked out by
hand (or published beside the method)."""

from __future__ import annotations

import math

import pytest

from workflows import evidence
from workflows.evidence import (
    Outcomes,
    mean_difference,
    proportion_difference,
    rank,
    wilson,
)
from workflows.insights import Share


def test_the_wilson_interval_of_five_in_ten_is_centred_on_a_half():
    # z² = 3.8415; centre (0.5 + 0.1921) / 1.3841 = 0.5;
    # half 1.96 / 1.3841 x √(0.025 + 0.0096) = 0.2634.
    interval = wilson(Share(5, 10))
    assert interval.low == pytest.approx(0.2366, abs=1e-4)
    assert interval.high == pytest.approx(0.7634, abs=1e-4)


def test_the_wilson_interval_of_nothing_in_ten_stays_above_zero():
    # p = 0: centre 0.1921 / 1.3841 = 0.1388, half 1.4160 x √(0.0096) = 0.1388.
    interval = wilson(Share(0, 10))
    assert interval.low == 0
    assert interval.high == pytest.approx(0.2775, abs=1e-4)


def test_the_difference_of_two_proportions_matches_newcombes_worked_example():
    # Newcombe (1998), example (a): 56/70 against 48/80, difference 0.2000, hybrid score
    # interval 0.0524 to 0.3339.
    difference = proportion_difference(Share(56, 70), Share(48, 80), minimum=5)
    assert difference is not None
    assert difference.difference == pytest.approx(0.2)
    assert difference.low == pytest.approx(0.0524, abs=1e-4)
    assert difference.high == pytest.approx(0.3339, abs=1e-4)
    assert difference.clear


def test_a_difference_whose_interval_spans_zero_is_not_clear():
    difference = proportion_difference(Share(3, 10), Share(4, 10), minimum=5)
    assert difference is not None
    assert difference.low < 0 < difference.high
    assert not difference.clear


def test_no_difference_is_given_when_either_group_is_below_the_minimum():
    assert proportion_difference(Share(2, 4), Share(40, 80), minimum=5) is None
    assert proportion_difference(Share(40, 80), Share(0, 0), minimum=5) is None
    assert mean_difference([7, 8, 9, 6], [5.0] * 10, minimum=5) is None


def test_the_difference_of_two_means_uses_welchs_interval():
    # Means 2 and 5, variances 1 and 1, n 3 and 3: se = √(1/3 + 1/3) = 0.8165; df = 4
    # (Welch-Satterthwaite: (2/3)² / (2 x (1/3)² / 2)); t(0.975, 4) = 2.7764 (the table):
    # -3 ± 2.2669.
    difference = mean_difference([1, 2, 3], [4, 5, 6], minimum=2)
    assert difference is not None
    assert (difference.first, difference.second) == (2, 5)
    assert difference.difference == -3
    assert difference.low == pytest.approx(-5.2669, abs=1e-4)
    assert difference.high == pytest.approx(-0.7331, abs=1e-4)


def test_interventions_rank_by_the_share_resolved_within_the_window():
    ranked = rank(
        [
            Outcomes("missed_meetings", resolved=3, ended=7),
            Outcomes("no_chemistry", resolved=8, ended=1, neither=1, pending=4),
            Outcomes("match_in_doubt", resolved=5, ended=2, neither=3),
        ],
        minimum=5,
    )
    assert [r.key for r in ranked] == ["no_chemistry", "match_in_doubt", "missed_meetings"]
    first = ranked[0]
    # Pending uses are used but not known yet: 8 of 10 known.
    assert (first.used, first.known, first.share) == (14, 10, 0.8)
    # Wilson for 8/10: centre (0.8 + 0.1921) / 1.3841 = 0.7167, half 1.4160 x sqrt(0.0256) =
    # 0.2266 (rounded: 0.4902 to 0.9433).
    assert first.interval is not None
    assert first.interval.low == pytest.approx(0.4902, abs=1e-4)
    assert first.interval.high == pytest.approx(0.9433, abs=1e-4)


def test_a_use_followed_by_nothing_counts_against_the_intervention():
    ranked = rank([Outcomes("a", resolved=5, ended=0, neither=5)], minimum=5)
    assert ranked[0].share == 0.5


def test_an_intervention_known_fewer_times_than_the_minimum_comes_last_unranked():
    ranked = rank(
        [Outcomes("safety_concern", resolved=2, ended=0, pending=9),
         Outcomes("missed_meetings", resolved=1, ended=9)],
        minimum=5,
    )  # fmt: skip
    assert [r.key for r in ranked] == ["missed_meetings", "safety_concern"]
    assert ranked[1].share is None and ranked[1].interval is None
    assert ranked[1].used == 11


def test_a_paired_change_is_the_mean_change_with_the_paired_t_interval():
    # Changes 1, 2, 3: mean 2, s = 1, t(0.975, 2) = 4.302653: 2 ± 4.302653 / √3.
    change = evidence.paired_change([(1.0, 2.0), (2.0, 4.0), (3.0, 6.0)], minimum=3)
    assert change is not None
    assert (change.n, change.before, change.after, change.change) == (3, 2.0, 4.0, 2.0)
    half = 4.302652729911275 / math.sqrt(3)
    assert (change.low, change.high) == pytest.approx((2 - half, 2 + half))


def test_no_paired_change_is_given_from_fewer_people_than_the_minimum():
    assert evidence.paired_change([(1.0, 2.0), (2.0, 4.0)], minimum=3) is None
    assert evidence.paired_change([(1.0, 2.0)], minimum=1) is None
