"""Outcome measures in a program's settings: off for a new program, turned on with the months
the outcome survey is given again, and months that are not whole numbers within the bounds
refused in words; the API takes the same values."""

from __future__ import annotations

import html

from tests.console.test_mentee_choice import _settings_form


def test_a_coordinator_turns_outcome_measures_on_with_their_months(
    api, world, make_staff, console_as
):
    console = console_as(make_staff())
    path = f"/console/programs/{world.program['id']}"
    page = html.unescape(console.page(path))
    assert "Ask mentees the outcome survey" in page
    assert 'id="outcome_months" name="outcome_months" value="6, 12"' in page
    assert api.ok("get", f"/programs/{world.program['id']}")["outcome_measures"] is False

    form = {**_settings_form(page), "outcome_measures": "yes", "outcome_months": "3, 9, 18"}
    assert console.post(path, data=form).status_code == 302
    program = api.ok("get", f"/programs/{world.program['id']}")
    assert (program["outcome_measures"], program["outcome_months"]) == (True, [3, 9, 18])


def test_outcome_months_out_of_bounds_or_not_numbers_are_refused_in_words(
    world, make_staff, console_as
):
    console = console_as(make_staff())
    path = f"/console/programs/{world.program['id']}"
    form = {**_settings_form(html.unescape(console.page(path))), "outcome_measures": "yes"}
    for months, message in (
        ("6, 61", "Outcome months: each a whole number from 1 to 60."),
        ("six", "Outcome months: whole numbers of months, separated by commas."),
        (", ".join(str(n) for n in range(1, 12)), "Outcome months: at most 10 follow-ups."),
    ):
        refused = console.post(path, data={**form, "outcome_months": months})
        assert refused.status_code == 422, months
        assert message in html.unescape(refused.get_data(as_text=True)), months


def test_the_api_refuses_outcome_months_out_of_bounds(api, world):
    response = api.patch(f"/programs/{world.program['id']}", json={"outcome_months": [0]})
    assert response.status_code == 422
    assert "outcome_months" in str(response.get_json()["errors"])
