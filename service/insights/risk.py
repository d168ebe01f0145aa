"""A program's closure-risk model: fitted from its own ended matches, checked on the matches
that came after the ones it learned from, and used to flag the pairs most likely to end early.

The model learns from points in each match's life ("landmarks": two months after it became
active, then every three months while it ran): what the features were on that day, and
whether the match ended early afterwards (closed before its planned end for any reason but
completion, or re-matched) or is still known to run. A pair it flags raises the
`closure_risk_high` signal through `signals.service.raise_signals`, like every other signal:
a coordinator reads the factors and decides; the model never moves a pair by itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import numpy as np
import sqlalchemy as sa

from service import actors
from service.database import db
from service.errors import NotFound
from service.insights import features as ft
from service.insights.models import RiskModel
from service.pairs.models import Pair
from service.programs.models import Program
from service.signals import service as signals
from service.signals.models import Signal
from workflows import risk as cox
from workflows.pairing import State
from workflows.rules import RaisedSignal

HORIZON_DAYS = 182  # "ending early within six months"
FIRST_LANDMARK = timedelta(days=60)
LANDMARK_STEP = timedelta(days=91)
# The share of matches (the earliest) the model is fitted on to be checked on the rest.
TRAINING_SHARE = 0.7
# A pair flagged again within this many days raises no second signal.
QUIET_DAYS = 30
SCORED_STATES = (State.ACTIVE, State.AT_RISK)
FACTORS_SHOWN = 3


def moment_of(day: date) -> datetime:
    """The start of the day after `day`: what is known "as of" the end of that day."""
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=UTC)


@dataclass
class Rows:
    pair_ids: list[int]
    matched_at: list[datetime]
    first: list[bool]  # the match's first landmark
    values: list[list[float | None]]
    durations: list[float]
    events: list[int]


def landmark_rows(record: ft.Record, as_of: datetime) -> Rows:
    rows = Rows([], [], [], [], [], [])
    for match in record.matches:
        if match.activated_at is None:
            continue
        end = match.ended_at or as_of
        stop = min(end, match.planned_end) if match.planned_end is not None else end
        day = match.activated_at + FIRST_LANDMARK
        while day < stop:
            rows.pair_ids.append(match.pair_id)
            rows.matched_at.append(match.matched_at)
            rows.first.append(day == match.activated_at + FIRST_LANDMARK)
            rows.values.append(ft.measure(record, match.pair_id, day))
            rows.durations.append(max((end - day).total_seconds() / 86400, 0.5))
            rows.events.append(int(match.ended_early))
            day += LANDMARK_STEP
    return rows


def _split(
    rows: Rows, selected: np.ndarray, fill: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x = ft.matrix([rows.values[i] for i in np.flatnonzero(selected)], fill)
    return (
        x,
        np.asarray(rows.durations, dtype=float)[selected],
        np.asarray(rows.events, dtype=float)[selected],
    )


def _rating_fill(rows: Rows, selected: np.ndarray) -> float:
    """The average of the latest ratings among the rows selected: what a pair nobody has
    rated yet counts as."""
    index = ft.NAMES.index("lowest_rating")
    given = [float(x) for i in np.flatnonzero(selected) if (x := rows.values[i][index]) is not None]
    return float(np.mean(given)) if given else 0.0


def closed_matches(record: ft.Record) -> int:
    return sum(1 for m in record.matches if m.ended_at is not None)


def validate(rows: Rows, threshold: float) -> dict[str, Any]:
    """Fit on the matches made before the cut, and measure the fit on those made after, each
    once: from two months after it became active (a match's later landmarks would compare it
    with itself)."""
    if not rows.pair_ids:
        return {"note": "No match has been active long enough to be checked."}
    matched = np.array([m.timestamp() for m in rows.matched_at])
    cut = float(np.quantile(matched, TRAINING_SHARE))
    train, test = matched < cut, matched >= cut
    # The hold-out lends the fit nothing, not even the average rating.
    fill = _rating_fill(rows, train)
    x, t, e = _split(rows, train, fill)
    if not e.any() or not test.any():
        return {"note": "Too few early endings among the earlier matches to check the model."}
    model = cox.fit_cox(x, t, e, ft.NAMES)
    x_test, t_test, e_test = _split(rows, test, fill)
    predicted = model.risk(x_test, HORIZON_DAYS)
    screening = cox.screening(t_test, e_test, predicted, HORIZON_DAYS, threshold)
    return {
        "cut": datetime.fromtimestamp(cut, UTC).date().isoformat(),
        "training_pairs": len({p for p, keep in zip(rows.pair_ids, train, strict=True) if keep}),
        "hold_out_pairs": len({p for p, keep in zip(rows.pair_ids, test, strict=True) if keep}),
        "hold_out_rows": int(test.sum()),
        "concordance": cox.concordance(t_test, e_test, predicted, np.asarray(rows.pair_ids)[test]),
        "threshold": threshold,
        "sensitivity": screening.sensitivity,
        "specificity": screening.specificity,
        "ended": screening.ended,
        "lasted": screening.lasted,
        "calibration": [
            {"group": g.group, "n": g.n, "predicted": g.predicted, "observed": g.observed}
            for g in cox.calibration(t_test, e_test, predicted, HORIZON_DAYS)
        ],
    }


def fit(*, program_id: int, as_of: date) -> RiskModel:
    """Fit the program's model from its record up to the end of `as_of` (or record why not),
    replacing the previous one. Commits."""
    program = db.session.get(Program, program_id)
    if program is None:
        raise NotFound(f"There is no program {program_id}.")
    moment = moment_of(as_of)
    record = ft.read(program_id, moment)
    closed = closed_matches(record)
    row = db.session.scalar(sa.select(RiskModel).where(RiskModel.program_id == program_id))
    if row is None:
        row = RiskModel(program_id=program_id)
        db.session.add(row)
    row.as_of, row.closed_matches, row.fitted_at = as_of, closed, datetime.now(UTC)
    row.flagged, row.scored_at = [], None
    minimum = program.risk_min_closed_matches
    rows = landmark_rows(record, moment)
    if closed < minimum or not any(rows.events):
        row.status, row.model, row.validation = "refused", None, {}
        row.detail = (
            f"Not enough ended matches yet: {closed} of the {minimum} the model needs "
            "before it can learn from them."
            if closed < minimum
            else "No match has ended early yet: there is nothing to learn from."
        )
        db.session.commit()
        return row
    threshold = program.risk_threshold_percent / 100
    every = np.ones(len(rows.pair_ids), dtype=bool)
    fill = _rating_fill(rows, every)
    x, t, e = _split(rows, every, fill)
    model = cox.fit_cox(x, t, e, ft.NAMES)
    row.status, row.detail = "fitted", ""
    row.model = {**model.as_dict(), "rating_fill": fill}
    row.validation = {**validate(rows, threshold), "horizon_days": HORIZON_DAYS}
    db.session.commit()
    return row


@dataclass(frozen=True)
class Flag:
    pair_id: int
    risk: float
    factors: list[str]


def score(*, program_id: int, as_of: date) -> list[Flag]:
    """Score the program's running pairs with its latest model; raise `closure_risk_high`
    for each pair at or above the threshold (once in `QUIET_DAYS`). Commits. Nothing is
    scored without a fitted model."""
    program = db.session.get(Program, program_id)
    if program is None:
        raise NotFound(f"There is no program {program_id}.")
    row = db.session.scalar(sa.select(RiskModel).where(RiskModel.program_id == program_id))
    if row is None or row.status != "fitted" or row.model is None:
        return []
    model = cox.CoxModel.from_dict(row.model)
    moment = moment_of(as_of)
    record = ft.read(program_id, moment)
    running = dict(
        db.session.execute(
            sa.select(Pair.id, Pair.state).where(
                Pair.program_id == program_id, Pair.state.in_(SCORED_STATES)
            )
        ).all()
    )
    ids = sorted(running)
    if not ids:
        row.flagged, row.scored_at = [], datetime.now(UTC)
        db.session.commit()
        return []
    x = ft.matrix(
        [ft.measure(record, pair_id, moment) for pair_id in ids], row.model["rating_fill"]
    )
    risks = model.risk(x, HORIZON_DAYS)
    threshold = program.risk_threshold_percent / 100
    deviations = (x - np.array(model.means)) / np.array(model.scales)
    flags = []
    for index, (pair_id, chance) in enumerate(zip(ids, risks, strict=True)):
        if chance < threshold:
            continue
        factors = cox.largest_factors(model, x[index], FACTORS_SHOWN)[0]
        flags.append(
            Flag(
                pair_id,
                float(chance),
                [ft.describe(name, deviations[index, ft.NAMES.index(name)]) for name, _ in factors],
            )
        )
    flags.sort(key=lambda f: -f.risk)
    _raise(flags, moment)
    row.flagged = [{"pair_id": f.pair_id, "risk": f.risk, "factors": f.factors} for f in flags]
    row.scored_at = datetime.now(UTC)
    db.session.commit()
    return flags


def _raise(flags: list[Flag], moment: datetime) -> None:
    if not flags:
        return
    recent = set(
        db.session.scalars(
            sa.select(Signal.pair_id).where(
                Signal.pair_id.in_([f.pair_id for f in flags]),
                Signal.code == ft.OWN_SIGNAL,
                Signal.raised_at >= moment - timedelta(days=QUIET_DAYS),
            )
        )
    )
    new = [f.pair_id for f in flags if f.pair_id not in recent]
    pairs = {p.id: p for p in db.session.scalars(sa.select(Pair).where(Pair.id.in_(new)))}
    actor = actors.system("closure-risk model")
    for flag in flags:
        pair = pairs.get(flag.pair_id)
        if pair is None:
            continue
        signals.raise_signals(
            pair=pair,
            raised=[RaisedSignal("closure_risk_high", "")],
            source="monitoring",
            source_id=None,
            actor=actor,
            reason=f"Estimated {flag.risk:.0%} chance of ending early within six months: "
            + "; ".join(flag.factors)
            + ".",
        )


def latest(*, program_id: int) -> RiskModel | None:
    return db.session.scalar(sa.select(RiskModel).where(RiskModel.program_id == program_id))


def described(row: RiskModel | None, program: Program) -> dict[str, Any]:
    """The model's fit and checks as the API gives them: a calibration group smaller than the
    program's minimum has its figures left out."""
    if row is None:
        return {"status": "not_fitted", "detail": "The closure-risk model has not been fitted "
                "yet.", "as_of": None, "fitted_at": None, "closed_matches": None,
                "validation": None}  # fmt: skip
    validation: dict[str, Any] | None = None
    if row.status == "fitted":
        validation = dict(row.validation)
        minimum = program.insights_min_group
        validation["calibration"] = [
            {**group, "suppressed": group["n"] < minimum}
            | ({"predicted": None, "observed": None} if group["n"] < minimum else {})
            for group in validation.get("calibration", [])
        ]
    return {
        "status": row.status,
        "detail": row.detail,
        "as_of": row.as_of,
        "fitted_at": row.fitted_at,
        "closed_matches": row.closed_matches,
        "validation": validation,
    }
