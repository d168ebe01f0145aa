"""Definitions compile into Flask-WTF forms that validate what the definition says."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from surveys import loader
from surveys.forms import answers_from, form_class


@pytest.fixture
def request_context(app):
    app.config["WTF_CSRF_ENABLED"] = False
    with app.test_request_context(method="POST"):
        yield
    app.config["WTF_CSRF_ENABLED"] = True


def _form(key: str, data: dict):
    definition = loader.standard()[key][0]
    form = form_class(definition)(formdata=MultiDict(data))
    return definition, form


@pytest.mark.parametrize("key", sorted(loader.standard()))
def test_every_standard_survey_compiles_to_a_form_with_a_field_per_question(request_context, key):
    definition, form = _form(key, {})
    assert [q.key for q in definition.questions] == [n for n in form.data if n != "csrf_token"]


def test_required_questions_are_refused_when_blank(request_context):
    _, form = _form("checkin_mentee", {})
    assert not form.validate()
    assert form.errors["relationship_rating"] == ["Choose a rating"]
    assert form.errors["meetings_held"] == ["Enter a number"]
    assert "how_is_it_going" not in form.errors


def test_numbers_outside_their_range_are_refused_with_the_range(request_context):
    _, form = _form("checkin_mentee", {"meetings_missed": "40"})
    form.validate()
    assert form.errors["meetings_missed"] == ["Enter a whole number from 0 to 31"]


def test_text_longer_than_its_limit_is_refused(request_context):
    _, form = _form("meeting_log", {"held": "held", "location": "x" * 201})
    form.validate()
    assert form.errors["location"] == ["Use no more than 200 characters"]


def test_a_question_shown_by_an_earlier_answer_is_required_only_when_shown(request_context):
    base = {"occurred_on": "2026-11-20", "final_session": "no"}
    _, cancelled = _form("meeting_log", {**base, "held": "cancelled"})
    assert cancelled.validate(), cancelled.errors
    _, held = _form("meeting_log", {**base, "held": "held"})
    assert not held.validate()
    assert set(held.errors) == {"duration_minutes", "attendees", "felt"}


def test_answers_to_hidden_questions_are_dropped(request_context):
    definition, form = _form(
        "meeting_log",
        {
            "occurred_on": "2026-11-20",
            "held": "cancelled",
            "missed_by": "mentor",
            "duration_minutes": "60",
            "final_session": "no",
        },
    )
    assert form.validate()
    assert answers_from(form, definition) == {
        "occurred_on": "2026-11-20",
        "held": "cancelled",
        "missed_by": "mentor",
        "final_session": "no",
    }


def test_ratings_and_likert_answers_are_numbers(request_context):
    definition, form = _form(
        "checkin_guardian", {"meetings_happening": "yes", "child_enjoys": "4", "concern": "no"}
    )
    assert form.validate(), form.errors
    assert answers_from(form, definition)["child_enjoys"] == 4


def test_consent_must_be_given_when_required(request_context):
    _, form = _form("application_mentee", {"goals": "x", "availability": "y"})
    form.validate()
    assert form.errors["consent_data"] == ["You need to agree to continue"]
