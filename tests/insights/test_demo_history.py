"""`pairwise demo-history`: a program with eighteen months of history whose known effect (pairs
that miss meetings end earlier) shows in its insights."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from service import demo_history
from service.cli import cli
from service.database import db
from service.insights.figures import Period, compute
from service.meetings.models import Meeting
from service.pairs.models import Pair

pytestmark = pytest.mark.usefixtures("history_day", "app_context")


@pytest.fixture
def program():
    if demo_history.history_exists():
        return db.session.scalars(
            sa.select(demo_history.Program).where(
                demo_history.Program.slug == demo_history.HISTORY_SLUG
            )
        ).one()
    return demo_history.load(pairs=160)


def test_every_figure_of_the_insights_has_something_to_show(program):
    insights = compute(program_id=program.id, period=Period(None, date.today()))
    assert insights.matches > 100
    assert insights.survival_shown and insights.median_days.value
    assert insights.ended > 20 and {"completed", "ended_early"} <= set(insights.endings)
    assert len(insights.pulse) > 10 and not insights.rating_fell["mentee"].suppressed
    assert insights.meetings_per_pair_month.value and insights.response_rate.value
    assert insights.staff_on_time.value and insights.meeting_requirement_met.value
    assert insights.fidelity_overall.value and len(insights.by_coordinator) == 3


def test_pairs_that_miss_meetings_end_earlier(program):
    pairs = db.session.execute(
        sa.select(Pair.id, Pair.state, Pair.closure_reason).where(
            Pair.program_id == program.id, Pair.activated_at.is_not(None)
        )
    ).all()
    held: dict[int, int] = defaultdict(int)
    missed: dict[int, int] = defaultdict(int)
    for pair_id, status in db.session.execute(
        sa.select(Meeting.pair_id, Meeting.status).where(Meeting.pair_id.in_([p.id for p in pairs]))
    ):
        if status == "held":
            held[pair_id] += 1
        else:
            missed[pair_id] += 1

    def missed_share(ids: list[int]) -> float:
        return sum(missed[i] for i in ids) / sum(held[i] + missed[i] for i in ids)

    early = [
        p.id
        for p in pairs
        if p.state == "rematched" or p.closure_reason in ("ended_early", "withdrawn")
    ]
    lasting = [
        p.id for p in pairs if p.closure_reason == "completed" or p.state in ("active", "at_risk")
    ]
    assert missed_share(early) > missed_share(lasting) + 0.1


def test_the_command_loads_once(service_env):
    def run():
        return CliRunner().invoke(
            cli, ["demo-history", "--pairs", "20"], env=service_env, catch_exceptions=False
        )

    first, again = run(), run()
    assert first.exit_code == 0 and again.exit_code == 0
    assert "there already" in again.output


def test_the_rules_section_shows_the_known_effect_and_ranks_the_interventions(program):
    from service.insights.tables import rule_sentences

    insights = compute(program_id=program.id, period=Period(None, date.today()))
    meeting = next(c for c in insights.evidence.checks if c.rule == "meeting_requirement")
    # The generator's effect: missing meetings raises the chance of ending early.
    assert meeting.closure is not None and meeting.closure.difference < 0
    assert meeting.rating is not None and meeting.rating.difference > 0
    ranked = [r for r in insights.evidence.interventions if r.share is not None]
    assert len(ranked) >= 3
    print("\n".join(rule_sentences(insights)))
    for r in insights.evidence.interventions:
        print(r)


def test_the_mentees_outcome_scales_rise_over_the_match(program):
    insights = compute(program_id=program.id, period=Period(None, date.today()))
    six_months = [row for row in insights.outcomes if row.occasion == "month_6"]
    assert {row.part.key for row in six_months} >= {"confidence", "connectedness", "hope"}
    for row in six_months:
        assert row.change is not None and row.respondents >= 20, row.part.key
        assert row.change.low > 0, row.part.key  # the generator's gain shows, with its interval
