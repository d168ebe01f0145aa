"""The closure-risk model's jobs: fitting a program's model, scoring its pairs, looking for
fading ones, and all three for every program each night (run by the clock of
`pairwise worker` / `pairwise scheduler`)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from rq import Queue

from service.clock import now
from service.database import db
from service.insights import drift, risk
from service.jobs import job_context
from service.programs.models import Program
from service.queue import DEFAULT_QUEUE, redis_connection

# A fit of 10,000 pairs takes seconds; the timeout leaves room for a busy machine.
FIT_TIMEOUT = 1800


def fit_model(program_id: int) -> dict[str, Any]:
    with job_context():
        row = risk.fit(program_id=program_id, as_of=now().date())
        return {"status": row.status, "detail": row.detail, "closed": row.closed_matches}


def score_pairs(program_id: int) -> int:
    with job_context():
        return len(risk.score(program_id=program_id, as_of=now().date()))


def detect_drift(program_id: int) -> int:
    """Propose a planned closure for each fading pair; returns how many pairs drift."""
    with job_context():
        return len(drift.detect(program_id=program_id, as_of=now().date()))


def refresh_risk_models() -> int:
    """Fit and score every program, and look for fading pairs in each; returns how many
    programs have a fitted model."""
    with job_context():
        ids = list(db.session.scalars(sa.select(Program.id).order_by(Program.id)))
    fitted = 0
    for program_id in ids:
        detect_drift(program_id)
        if fit_model(program_id)["status"] == "fitted":
            fitted += 1
            score_pairs(program_id)
    return fitted


def enqueue(program_id: int) -> tuple[str, str]:
    """Queue a fit, then the scoring that depends on it; returns both job ids."""
    queue = Queue(DEFAULT_QUEUE, connection=redis_connection())
    fit = queue.enqueue(fit_model, program_id, job_timeout=FIT_TIMEOUT)
    score = queue.enqueue(score_pairs, program_id, depends_on=fit, job_timeout=FIT_TIMEOUT)
    return fit.id, score.id
