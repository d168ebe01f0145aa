"""The closure-risk model's arithmetic, on cases small enough to work out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from workflows import risk


def test_the_fit_equals_the_hand_solved_partial_likelihood():
    # Three pairs ending on days 1, 2 and 3, the first and last with the feature. The score
    # equation 1 - 2u/(2u+1) - u/(u+1) = 0 (u = e^b) gives u^2 = 1/2: b = -ln(2)/2.
    model = risk.fit_cox(
        np.array([[1.0], [0.0], [1.0]]), np.array([1, 2, 3]), np.array([1, 1, 1]), ["x"], ridge=0
    )
    per_unit = model.coefficients[0] / model.scales[0]
    assert per_unit == pytest.approx(-math.log(2) / 2, abs=1e-6)


def test_the_baseline_hazard_is_breslows():
    # No features that vary: the baseline is Nelson-Aalen, 1/3 then 1/3 + 1/2 (day 3 censored).
    model = risk.fit_cox(np.zeros((3, 1)), np.array([1, 2, 3]), np.array([1, 1, 0]), ["x"], ridge=0)
    assert model.baseline_at(0.5) == 0
    assert model.baseline_at(1) == pytest.approx(1 / 3)
    assert model.baseline_at(10) == pytest.approx(1 / 3 + 1 / 2)
    assert model.risk(np.zeros((1, 1)), 1)[0] == pytest.approx(1 - math.exp(-1 / 3))


def test_concordance_counts_the_pairs_ordered_rightly():
    # Comparable pairs: (day 1, day 2), (day 1, day 3), (day 2, day 3); the third is misordered.
    c = risk.concordance(np.array([1, 2, 3]), np.array([1, 1, 0]), np.array([0.9, 0.2, 0.5]))
    assert c == pytest.approx(2 / 3)


def test_concordance_counts_ties_as_half():
    c = risk.concordance(np.array([1, 2]), np.array([1, 0]), np.array([0.4, 0.4]))
    assert c == pytest.approx(0.5)


def test_screening_counts_only_outcomes_known_at_the_horizon():
    durations = np.array([10, 20, 200, 200, 50])
    events = np.array([1, 1, 0, 0, 0])  # the last was followed 50 days only: unknown
    result = risk.screening(durations, events, np.array([0.8, 0.1, 0.6, 0.1, 0.9]), 180, 0.5)
    assert (result.ended, result.lasted) == (2, 2)
    assert result.sensitivity == pytest.approx(0.5)
    assert result.specificity == pytest.approx(0.5)


def test_the_observed_share_is_kaplan_meiers():
    # Four rows: endings on days 10 and 30, one followed 20 days only, one 200 days. By day 180:
    # 1 - (3/4)(1/2) = 5/8 (the row followed 20 days leaves the risk set, never an ending).
    durations = np.array([10, 20, 30, 200])
    assert risk.ended_by(durations, np.array([1, 0, 1, 0]), 180) == pytest.approx(5 / 8)


def test_calibration_compares_predicted_and_observed_by_group():
    durations = np.array([10, 200, 10, 200])
    events = np.array([1, 0, 1, 0])
    rows = risk.calibration(durations, events, np.array([0.1, 0.2, 0.7, 0.9]), 180, groups=2)
    assert [(r.n, r.predicted, r.observed) for r in rows] == [
        (2, pytest.approx(0.15), 0.5),
        (2, pytest.approx(0.8), 0.5),
    ]


def test_the_factors_are_the_largest_positive_contributions():
    model = risk.CoxModel(("a", "b", "c"), (1.0, -1.0, 0.5), (0, 0, 0), (1, 1, 1), (1,), (0.1,))
    assert risk.largest_factors(model, np.array([[2.0, 1.0, 1.0]])) == [[("a", 2.0), ("c", 0.5)]]


def test_a_fit_without_endings_is_refused():
    with pytest.raises(ValueError, match="at least one ending"):
        risk.fit_cox(np.zeros((2, 1)), np.array([1, 2]), np.array([0, 0]), ["x"])
