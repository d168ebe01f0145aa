"""The closure-risk model runs in the background: `pairwise risk --program N`, the queued fit
and scoring, and the nightly refresh of every program."""

from __future__ import annotations

import sqlalchemy as sa
from click.testing import CliRunner

from service import demo_history
from service.approvals.models import Proposal
from service.cli import cli
from service.database import db
from service.insights import jobs, risk
from service.pairs.models import Pair
from service.signals.models import Signal
from service.worker import run_worker


def _program(app, **history):
    with app.app_context():
        return demo_history.load(slug="risk-jobs", **history).id


def _risk(service_env, *args):
    return CliRunner().invoke(cli, ["risk", *args], env=service_env, catch_exceptions=False)


def test_the_command_refuses_below_the_minimum_and_says_why(app, service_env):
    program_id = _program(app, pairs=30, months=18, seed=2)
    result = _risk(service_env, "--program", str(program_id))
    assert result.exit_code == 1
    assert "Not enough ended matches yet" in result.output
    assert "of the 50 the model needs" in result.output


def test_the_command_fits_checks_and_flags(app, service_env):
    program_id = _program(app, pairs=300, months=36, seed=1, missed_hazard=0.3)
    result = _risk(service_env, "--program", str(program_id))
    assert result.exit_code == 0, result.output
    assert "concordance 0." in result.output and "pairs flagged." in result.output
    with app.app_context():
        flagged = risk.latest(program_id=program_id).flagged
        raised = db.session.scalar(
            sa.select(sa.func.count()).where(Signal.code == "closure_risk_high")
        )
    assert flagged and raised == len(flagged)
    assert f"pair {flagged[0]['pair_id']}: " in result.output


def test_an_unknown_program_is_a_clear_message(app, service_env):
    result = _risk(service_env, "--program", "999999")
    assert result.exit_code == 1 and "There is no program 999999." in result.output


def test_the_queued_fit_and_scoring_run_on_a_worker(app, service_env):
    program_id = _program(app, pairs=300, months=36, seed=1, missed_hazard=0.3)
    result = _risk(service_env, "--program", str(program_id), "--queue")
    assert "Queued the fit" in result.output
    run_worker(app, burst=True, with_clock=False)
    with app.app_context():
        row = risk.latest(program_id=program_id)
        assert row.status == "fitted" and row.scored_at is not None


def test_the_nightly_refresh_fits_every_program_with_enough_history(app):
    fitted = _program(app, pairs=300, months=36, seed=1, missed_hazard=0.3)
    with app.app_context():
        small = demo_history.load(slug="risk-jobs-small", pairs=20, months=18, seed=3).id
        assert jobs.refresh_risk_models() == 1
        assert risk.latest(program_id=fitted).status == "fitted"
        assert risk.latest(program_id=small).status == "refused"


def test_the_nightly_refresh_proposes_planned_closures_for_fading_pairs(app):
    program_id = _program(app, pairs=300, months=36, seed=1, missed_hazard=0.3)
    with app.app_context():
        jobs.refresh_risk_models()
        proposed = db.session.scalars(
            sa.select(Proposal.reason).where(Proposal.trigger == "begin_closure")
        ).all()
        running = db.session.scalar(
            sa.select(sa.func.count()).where(Pair.program_id == program_id, Pair.state == "active")
        )
    assert proposed and all("fading" in reason for reason in proposed)
    assert len(proposed) < running
