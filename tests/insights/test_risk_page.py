"""The insights page shows how the closure-risk model did on the later matches, its
calibration, and the pairs it flags with their factors; or why there is no model yet."""

from __future__ import annotations

import pytest

from service import demo_history
from service.clock import now
from service.insights import risk

pytestmark = pytest.mark.usefixtures("app_context")


@pytest.fixture
def coordinator(make_staff, console_as):
    return console_as(make_staff("coordinator"))


def test_before_any_fit_the_page_says_how_it_will_be_fitted(coordinator):
    program = demo_history.load(slug="risk-page", pairs=10, months=6, seed=1)
    page = coordinator.page(f"/console/programs/{program.id}/insights")
    assert '<h2 id="section-risk">Risk of ending early</h2>' in page
    assert "has not been fitted yet" in page
    assert f"pairwise risk --program {program.id}" in page


def test_below_the_minimum_the_page_says_how_many_of_how_many(coordinator):
    program = demo_history.load(slug="risk-page", pairs=30, months=18, seed=2)
    model = risk.fit(program_id=program.id, as_of=now().date())
    page = coordinator.page(f"/console/programs/{program.id}/insights")
    assert f"Not enough ended matches yet: {model.closed_matches} of the 50" in page


def test_the_page_shows_discrimination_calibration_and_the_flagged_pairs(coordinator):
    program = demo_history.load(slug="risk-page", pairs=300, months=36, seed=1, missed_hazard=0.3)
    model = risk.fit(program_id=program.id, as_of=now().date())
    flags = risk.score(program_id=program.id, as_of=now().date())
    page = coordinator.page(f"/console/programs/{program.id}/insights")
    v = model.validation
    assert f'<th scope="row">Concordance</th><td>{v["concordance"]:.2f}</td>' in page
    assert f'<th scope="row">Sensitivity at 30%</th><td>{v["sensitivity"]:.0%}</td>' in page
    assert f'<th scope="row">Specificity at 30%</th><td>{v["specificity"]:.0%}</td>' in page
    first = v["calibration"][0]
    assert (
        f'<th scope="row">1 (lowest)</th><td>{first["n"]}</td>'
        f"<td>{first['predicted']:.0%}</td><td>{first['observed']:.0%}</td>"
    ) in page
    top = flags[0]
    assert f">Pair {top.pair_id}</a></th><td>{top.risk:.0%}</td>" in page
    assert "; ".join(top.factors).replace("'", "&#39;") in page
