"""The closure-risk model, as plain functions over arrays: a Cox proportional-hazards fit,
the risk it gives a pair of ending early within a horizon, and the figures that say how
good it is (concordance, sensitivity and specificity at a threshold, calibration). Pure: no
database (service/insights/risk.py reads the features and hands them here).

The fit is Newton-Raphson on the Cox partial likelihood (Breslow's handling of tied times)
with a small ridge penalty, so a feature no ending ever varies with cannot run off to
infinity; features are standardised first, and each pair's risk is explained as the
largest contributions (coefficient times the pair's distance from the average).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

Array = NDArray[Any]

# The penalty on the standardised coefficients: small enough not to shrink a real effect
# noticeably with a few hundred pairs, large enough to keep a separable feature finite.
RIDGE = 0.01
MAX_ITERATIONS = 50
TOLERANCE = 1e-9


@dataclass(frozen=True)
class CoxModel:
    features: tuple[str, ...]
    coefficients: tuple[float, ...]  # per standardised feature
    means: tuple[float, ...]
    scales: tuple[float, ...]
    # The Breslow baseline cumulative hazard: at each distinct ending time (days), its value.
    times: tuple[float, ...]
    cumulative_hazard: tuple[float, ...]

    def linear_predictor(self, x: Array) -> Array:
        z = (np.asarray(x, dtype=float) - np.array(self.means)) / np.array(self.scales)
        return np.asarray(z @ np.array(self.coefficients), dtype=float)

    def baseline_at(self, days: float) -> float:
        index = int(np.searchsorted(np.array(self.times), days, side="right")) - 1
        return 0.0 if index < 0 else self.cumulative_hazard[index]

    def risk(self, x: Array, horizon_days: float) -> Array:
        """Each row's chance of ending early within `horizon_days`."""
        hazard = self.baseline_at(horizon_days) * np.exp(self.linear_predictor(x))
        return np.asarray(1.0 - np.exp(-hazard), dtype=float)

    def contributions(self, x: Array) -> Array:
        """Each feature's share of each row's log-hazard, relative to the average pair."""
        z = (np.asarray(x, dtype=float) - np.array(self.means)) / np.array(self.scales)
        return np.asarray(z * np.array(self.coefficients), dtype=float)

    def as_dict(self) -> dict[str, Any]:
        return {
            "features": list(self.features),
            "coefficients": list(self.coefficients),
            "means": list(self.means),
            "scales": list(self.scales),
            "times": list(self.times),
            "cumulative_hazard": list(self.cumulative_hazard),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CoxModel:
        return cls(
            features=tuple(data["features"]),
            coefficients=tuple(data["coefficients"]),
            means=tuple(data["means"]),
            scales=tuple(data["scales"]),
            times=tuple(data["times"]),
            cumulative_hazard=tuple(data["cumulative_hazard"]),
        )


def _partial(
    beta: Array, x: Array, ended_x: Array, ends: Array, d: Array, ridge: float
) -> tuple[float, Array, Array]:
    """The penalised log partial likelihood, its gradient and Hessian (Breslow ties).

    `x` is sorted by time, descending, so the risk set of a time is a prefix: cumulative sums
    give every risk set's totals at once."""
    eta = x @ beta
    w = np.exp(eta - eta.max())
    scale = eta.max()
    s0 = np.cumsum(w)
    s1 = np.cumsum(w[:, None] * x, axis=0)
    s2 = np.cumsum(w[:, None, None] * x[:, :, None] * x[:, None, :], axis=0)
    # For each distinct time with endings: its risk set ends at the last row with that time
    # (`ends`), `d` counts its endings and `ended_x` sums their features.
    xe = ended_x
    r0, r1, r2 = s0[ends], s1[ends], s2[ends]
    mean = r1 / r0[:, None]
    loglik = float(np.sum(xe @ beta) - np.sum(d * (np.log(r0) + scale)))
    gradient = xe.sum(axis=0) - (d[:, None] * mean).sum(axis=0)
    second = r2 / r0[:, None, None] - mean[:, :, None] * mean[:, None, :]
    hessian = -(d[:, None, None] * second).sum(axis=0)
    loglik -= 0.5 * ridge * float(beta @ beta)
    gradient = gradient - ridge * beta
    hessian = hessian - ridge * np.eye(len(beta))
    return loglik, gradient, hessian


def fit_cox(
    x: Array, durations: Array, events: Array, features: Sequence[str], ridge: float = RIDGE
) -> CoxModel:
    """Fit a Cox model: `durations` in days, `events` 1 for an early ending, 0 if censored."""
    x = np.asarray(x, dtype=float)
    durations = np.asarray(durations, dtype=float)
    events = np.asarray(events, dtype=float)
    if x.ndim != 2 or x.shape[0] != durations.shape[0] or x.shape[1] != len(features):
        raise ValueError(f"features must be rows x {len(features)}, got shape {x.shape}")
    if not events.any():
        raise ValueError("at least one ending is needed to fit a model")
    means = x.mean(axis=0)
    scales = x.std(axis=0)
    scales[scales == 0] = 1.0
    z = (x - means) / scales
    # Descending by time; the risk set of a row is every row at or before it in this order.
    by_time = np.argsort(-durations, kind="stable")
    z, t, e = z[by_time], durations[by_time], events[by_time]
    distinct, first = np.unique(-t, return_index=True)
    ends = np.r_[first[1:], len(t)] - 1  # the last row of each distinct time
    group = np.searchsorted(first, np.arange(len(t)), side="right") - 1
    per_time_events = np.bincount(group, weights=e, minlength=len(distinct))
    per_time_x = np.zeros((len(distinct), z.shape[1]))
    np.add.at(per_time_x, group, z * e[:, None])
    keep = per_time_events > 0
    args = (per_time_x[keep], ends[keep], per_time_events[keep], ridge)
    beta = np.zeros(z.shape[1])
    loglik, gradient, hessian = _partial(beta, z, *args)
    for _ in range(MAX_ITERATIONS):
        # Least squares rather than a solve: a feature that never varies leaves the Hessian
        # singular without a penalty, and its coefficient stays 0.
        step = np.linalg.lstsq(hessian, -gradient, rcond=None)[0]
        size = 1.0
        while True:
            candidate = beta + size * step
            new_loglik, new_gradient, new_hessian = _partial(candidate, z, *args)
            if new_loglik >= loglik - 1e-12 or size < 1e-4:
                break
            size /= 2
        converged = abs(new_loglik - loglik) < TOLERANCE
        beta, loglik, gradient, hessian = candidate, new_loglik, new_gradient, new_hessian
        if converged:
            break
    # Breslow's baseline: at each ending time, endings over the risk set's total weight.
    w = np.exp(z @ beta)
    at_risk = np.cumsum(w)[ends]
    increments = np.where(per_time_events > 0, per_time_events / at_risk, 0.0)
    ascending = slice(None, None, -1)
    times = -distinct[ascending]
    cumulative = np.cumsum(increments[ascending])
    used = per_time_events[ascending] > 0
    return CoxModel(
        features=tuple(features),
        coefficients=tuple(float(b) for b in beta),
        means=tuple(float(m) for m in means),
        scales=tuple(float(s) for s in scales),
        times=tuple(float(v) for v in times[used]),
        cumulative_hazard=tuple(float(v) for v in cumulative[used]),
    )


def concordance(
    durations: Array, events: Array, risk: Array, groups: Array | None = None
) -> float | None:
    """Harrell's concordance index: of the pairs of rows where one is seen to end before the
    other, the share in which the one that ended first had the higher risk (ties count half).
    0.5 is chance; None when no pair can be compared. Rows of the same group (the same match
    seen on several days) are never compared with each other."""
    t = np.asarray(durations, dtype=float)
    e = np.asarray(events, dtype=bool)
    r = np.asarray(risk, dtype=float)
    g = np.arange(len(t)) if groups is None else np.asarray(groups)
    concordant = 0.0
    comparable = 0
    for i in np.flatnonzero(e):
        later = (t > t[i]) & (g != g[i])
        n = int(later.sum())
        if n == 0:
            continue
        comparable += n
        concordant += float((r[i] > r[later]).sum()) + 0.5 * float((r[i] == r[later]).sum())
    return concordant / comparable if comparable else None


@dataclass(frozen=True)
class Screening:
    """How the model sorts the rows whose outcome within the horizon is known."""

    threshold: float
    sensitivity: float | None  # of those that ended early, the share flagged
    specificity: float | None  # of those that did not, the share not flagged
    ended: int
    lasted: int


def known_outcome(durations: Array, events: Array, horizon_days: float) -> tuple[Array, Array]:
    """Which rows' outcome within the horizon is known (ended early within it, or followed
    for at least the horizon), and that outcome."""
    t = np.asarray(durations, dtype=float)
    e = np.asarray(events, dtype=bool)
    ended = e & (t <= horizon_days)
    known = ended | (t >= horizon_days)
    return known, ended


def screening(
    durations: Array, events: Array, risk: Array, horizon_days: float, threshold: float
) -> Screening:
    known, ended = known_outcome(durations, events, horizon_days)
    flagged = np.asarray(risk, dtype=float) >= threshold
    positives = known & ended
    negatives = known & ~ended
    n_pos, n_neg = int(positives.sum()), int(negatives.sum())
    return Screening(
        threshold=threshold,
        sensitivity=float((flagged & positives).sum()) / n_pos if n_pos else None,
        specificity=float((~flagged & negatives).sum()) / n_neg if n_neg else None,
        ended=n_pos,
        lasted=n_neg,
    )


@dataclass(frozen=True)
class CalibrationRow:
    group: int  # 1 for the lowest risks
    n: int
    predicted: float  # the average predicted chance of ending early within the horizon
    observed: float  # the Kaplan-Meier share that did


def ended_by(durations: Array, events: Array, horizon_days: float) -> float:
    """The Kaplan-Meier estimate of the share ended by `horizon_days`: a row followed for
    less time counts while it is known to run, never as an ending nor as lasting."""
    t = np.asarray(durations, dtype=float)
    e = np.asarray(events, dtype=bool)
    surviving = 1.0
    for day in np.unique(t[e & (t <= horizon_days)]):
        at_risk = int((t >= day).sum())
        surviving *= 1 - int((e & (t == day)).sum()) / at_risk
    return 1 - surviving


def calibration(
    durations: Array, events: Array, risk: Array, horizon_days: float, groups: int = 5
) -> list[CalibrationRow]:
    """Predicted against observed early endings within the horizon, by group of risk
    (quintiles by default)."""
    t = np.asarray(durations, dtype=float)
    e = np.asarray(events, dtype=bool)
    r = np.asarray(risk, dtype=float)
    if len(r) == 0:
        return []
    order = np.argsort(r, kind="stable")
    return [
        CalibrationRow(
            number, len(chunk), float(r[chunk].mean()), ended_by(t[chunk], e[chunk], horizon_days)
        )
        for number, chunk in enumerate(np.array_split(order, min(groups, len(r))), start=1)
    ]


def largest_factors(model: CoxModel, x: Array, count: int = 3) -> list[list[tuple[str, float]]]:
    """For each row, the features that raised its risk most (positive contributions only),
    largest first."""
    found = []
    for row in model.contributions(np.atleast_2d(x)):
        order = np.argsort(-row)
        found.append([(model.features[i], float(row[i])) for i in order[:count] if row[i] > 0])
    return found
