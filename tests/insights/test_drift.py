"""The drift detector on a hand-made history: a fading match gets a planned closure proposed
for a coordinator to approve; a match in acute trouble and a steady one get none; nothing
moves by itself."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from service.approvals.models import Proposal
from service.database import db
from service.insights import drift
from service.pairs.models import Pair
from service.signals.models import Signal
from tests.helpers.history import History, at
from workflows.drift import Drift

pytestmark = pytest.mark.usefixtures("app_context")

AS_OF = date(2026, 6, 30)


def days_ago(n: int) -> date:
    return AS_OF - timedelta(days=n)


def a_match(history: History, *, lately: int, ratings: tuple[int, ...]) -> int:
    pair_id = history.pair(matched=date(2025, 9, 1), activated=date(2025, 10, 1))
    for n in range(0, 120, 7):  # weekly meetings three and four months ago...
        if n >= 60 or (n < 60 and n // 7 < lately):
            history.meeting(pair_id, days_ago(n + 1))
    for n, rating in zip((100, 60, 20), ratings, strict=True):
        history.rating(pair_id, "mentee", days_ago(n), rating)
    return pair_id


@pytest.fixture
def history():
    return History.new()


def test_a_fading_match_gets_a_planned_closure_proposed(history):
    fading = a_match(history, lately=2, ratings=(6, 6, 6))
    found = drift.detect(program_id=history.program.id, as_of=AS_OF)
    assert [(d.pair_id, d.drift) for d in found] == [(fading, Drift.FADING)]
    proposal = db.session.get(Proposal, found[0].proposal_id)
    assert proposal.trigger == "begin_closure" and proposal.status == "pending"
    assert proposal.params["final_session_on"] == (AS_OF + timedelta(days=30)).isoformat()
    assert "celebrates" in proposal.reason
    assert db.session.get(Pair, fading).state == "active"


def test_a_steady_match_gets_nothing(history):
    a_match(history, lately=9, ratings=(8, 5, 9))
    assert drift.detect(program_id=history.program.id, as_of=AS_OF) == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Proposal)) == 0


def test_a_match_with_a_safety_signal_is_acute_and_gets_no_proposal(history):
    pair_id = a_match(history, lately=2, ratings=(6, 6, 6))
    db.session.add(
        Signal(pair_id=pair_id, code="mentee_feels_unsafe", category="safety", source="survey",
               raised_at=at(days_ago(5)))
    )  # fmt: skip
    db.session.commit()
    found = drift.detect(program_id=history.program.id, as_of=AS_OF)
    assert [(d.pair_id, d.drift, d.proposal_id) for d in found] == [(pair_id, Drift.ACUTE, None)]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Proposal)) == 0


def test_detecting_again_files_no_second_proposal(history):
    a_match(history, lately=2, ratings=(6, 6, 6))
    first = drift.detect(program_id=history.program.id, as_of=AS_OF)
    again = drift.detect(program_id=history.program.id, as_of=AS_OF)
    assert first[0].proposal_id == again[0].proposal_id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Proposal)) == 1
