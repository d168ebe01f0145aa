"""GET /api/v1/programs/{id}/insights: the figures as JSON, filtered, small groups null."""

from __future__ import annotations

import pytest

from tests.helpers import Api
from tests.helpers.history import History
from tests.insights.test_figures import five_matches

pytestmark = pytest.mark.usefixtures("app_context")


@pytest.fixture
def reader(client, make_token):
    return Api(client, make_token("programs:read"))


def test_it_returns_the_figures_of_the_period(reader):
    history = History.new()
    five_matches(history)
    body = reader.ok(
        "get", f"/programs/{history.program.id}/insights?from=2025-01-01&to=2025-12-31"
    )
    assert body["from"] == "2025-01-01" and body["to"] == "2025-12-31"
    assert body["matches"] == 5
    assert body["duration"]["median_days"] == {"value": 90.0, "n": 5, "suppressed": False}
    assert [s["survival"] for s in body["duration"]["survival"]] == pytest.approx(
        [0.8, 0.6, 0.3, 0.3]
    )
    assert body["endings"]["rematch_rate"]["value"] == pytest.approx(0.2)


def test_figures_from_small_groups_are_null(reader):
    history = History.new()
    five_matches(history)
    body = reader.ok(
        "get", f"/programs/{history.program.id}/insights?from=2025-01-01&to=2025-06-30"
    )
    assert body["matches"] == 3
    assert body["duration"]["median_days"] == {"value": None, "n": 3, "suppressed": True}
    assert body["duration"]["survival"] == [] and body["duration"]["survival_suppressed"]
    # One ending of each kind: each count is below the minimum of 5.
    assert set(body["endings"]["by_closure"].values()) == {None}


def test_a_period_in_the_wrong_order_is_a_validation_problem(reader):
    history = History.new()
    response = reader.get(f"/programs/{history.program.id}/insights?from=2025-06-01&to=2025-01-01")
    assert response.status_code == 422
    assert response.json["type"].endswith("validation-error")


def test_an_unknown_program_is_not_found(reader):
    assert reader.get("/programs/999999/insights").status_code == 404


def test_it_needs_the_programs_read_scope(client, make_token):
    history = History.new()
    api = Api(client, make_token("pairs:read"))
    assert api.get(f"/programs/{history.program.id}/insights").status_code == 403


def test_a_program_without_matches_has_empty_figures(reader):
    history = History.new()
    body = reader.ok("get", f"/programs/{history.program.id}/insights")
    assert body["matches"] == 0
    assert body["duration"]["median_days"] == {"value": None, "n": 0, "suppressed": True}
    assert body["fidelity"]["by_contact"] == []
