"""Scales in survey definitions: which questions they score, which are reverse-scored, and how
a response is scored; a scale that names the wrong questions is refused, naming the file, the
scale and the question."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from surveys import loader
from surveys.definition import DefinitionError, parse

QUESTIONS = [
    {"key": "calm", "type": "likert", "label": "I feel calm."},
    {"key": "worried", "type": "likert", "label": "I often feel worried."},
    {"key": "sure", "type": "likert", "label": "I feel sure of myself."},
    {"key": "steady", "type": "rating", "label": "How steady do you feel?", "min": 0, "max": 4},
    {"key": "story", "type": "text", "label": "Anything else?", "required": False},
]


def survey(*scales: dict) -> dict:
    return {
        "key": "outcomes_test",
        "title": "How are things?",
        "audience": "mentee",
        "purpose": "outcome_measure",
        "questions": QUESTIONS,
        "scales": list(scales),
    }


def refusal(*scales: dict) -> DefinitionError:
    with pytest.raises(DefinitionError) as refused:
        parse(survey(*scales), "surveys/definitions/outcomes_test.yaml")
    return refused.value


CALM = {"key": "calm_scale", "title": "Calm", "items": ["calm", "worried", "sure"],
        "reverse": ["worried"]}  # fmt: skip


def test_a_scale_is_the_mean_of_its_items_with_reverse_scored_items_turned_round():
    definition = parse(survey(CALM), "outcomes_test.yaml")
    # worried 2 on a 1-5 scale counts 1 + 5 - 2 = 4: (5 + 4 + 3) / 3.
    assert definition.scale_scores({"calm": 5, "worried": 2, "sure": 3}) == {"calm_scale": 4.0}


def test_a_reverse_scored_rating_turns_round_within_its_own_range():
    steady = {"key": "steady_scale", "title": "Steady", "items": ["steady", "calm"],
              "reverse": ["steady"]}  # fmt: skip
    definition = parse(survey(steady), "outcomes_test.yaml")
    # steady 1 on a 0-4 rating counts 0 + 4 - 1 = 3: (3 + 5) / 2.
    assert definition.scale_scores({"steady": 1, "calm": 5}) == {"steady_scale": 4.0}


def test_a_response_missing_more_than_half_of_a_scales_items_has_no_score_for_it():
    definition = parse(survey(CALM), "outcomes_test.yaml")
    assert definition.scale_scores({"calm": 5}) == {"calm_scale": None}
    four = {**CALM, "items": ["calm", "worried", "sure", "steady"]}
    definition = parse(survey(four), "outcomes_test.yaml")
    # Half answered is enough: (5 + 4) / 2.
    assert definition.scale_scores({"calm": 5, "worried": 2}) == {"calm_scale": 4.5}


def test_a_subscale_is_scored_on_its_own_under_the_scales_key():
    scale = {**CALM, "subscales": [{"key": "worry", "title": "Worry", "items": ["worried"]}]}
    definition = parse(survey(scale), "outcomes_test.yaml")
    scores = definition.scale_scores({"calm": 1, "worried": 5, "sure": 3})
    assert scores == {"calm_scale": pytest.approx(5 / 3), "calm_scale.worry": 1.0}


def test_a_scale_naming_a_missing_question_is_refused_naming_file_scale_and_question():
    error = refusal({"key": "calm_scale", "title": "Calm", "items": ["calm", "relaxed"]})
    assert str(error) == (
        "surveys/definitions/outcomes_test.yaml: question 'relaxed': scale 'calm_scale': "
        "names a missing question"
    )
    assert error.question == "relaxed"


def test_a_scale_item_must_be_a_likert_or_rating_question():
    error = refusal({"key": "calm_scale", "title": "Calm", "items": ["calm", "story"]})
    assert str(error).endswith(
        "question 'story': scale 'calm_scale': an item must be a Likert or rating question, "
        "not text"
    )


def test_a_reverse_scored_item_must_be_one_of_the_scales_items():
    error = refusal({"key": "calm_scale", "title": "Calm", "items": ["calm"],
                     "reverse": ["worried"]})  # fmt: skip
    assert str(error).endswith(
        "question 'worried': scale 'calm_scale': a reverse-scored item must be one of its items"
    )


def test_a_subscales_items_must_be_the_scales_own():
    scale = {**CALM, "subscales": [{"key": "steady", "title": "Steady", "items": ["steady"]}]}
    error = refusal(scale)
    assert str(error).endswith(
        "question 'steady': scale 'calm_scale': subscale 'steady': its items must be items of "
        "the scale"
    )


def test_two_scales_with_one_key_are_refused():
    error = refusal(CALM, {**CALM, "reverse": []})
    assert "scale 'calm_scale': another scale has this key" in str(error)


def test_a_misspelt_field_of_a_scale_is_named():
    error = refusal({**CALM, "reversed": ["worried"]})
    assert str(error) == (
        "surveys/definitions/outcomes_test.yaml: scale 'calm_scale': unknown field(s) 'reversed'"
    )


def test_the_mentee_outcome_survey_has_scales_with_reverse_scored_items_and_subscales():
    definition, _ = loader.standard()["outcomes_mentee"]
    assert definition.purpose == "outcome_measure"
    assert [s.key for s in definition.scales] == ["confidence", "connectedness", "hope"]
    assert all(s.reverse for s in definition.scales)
    assert any(s.subscales for s in definition.scales)


# An answer as a response may hold it: a number of either kind, or what is not a number.
ANSWERS = st.one_of(
    st.integers(0, 6),
    st.floats(0, 6, allow_nan=False),
    st.booleans(),
    st.none(),
    st.sampled_from(["3", ""]),
)
EVEN = {"key": "even", "title": "Even", "items": ["calm", "steady"]}
SUBSCALED = {**CALM, "items": ["calm", "worried", "sure", "steady"], "subscales": [EVEN]}


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.dictionaries(st.sampled_from(["calm", "worried", "sure", "steady", "story"]), ANSWERS),
        max_size=8,
    )
)
def test_many_responses_scored_at_once_get_each_the_score_it_gets_alone(responses):
    definition = parse(survey(SUBSCALED), "outcomes_test.yaml")
    together = definition.scale_scores_of(responses)
    for index, response in enumerate(responses):
        alone = definition.scale_scores(response)
        assert set(together) == set(alone)
        for key, score in alone.items():
            values, known = together[key]
            assert (values[index].item() if known[index] else None) == score
