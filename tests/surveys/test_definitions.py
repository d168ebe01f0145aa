"""Survey definitions are data, validated when loaded, with errors naming file and question."""

from __future__ import annotations

import textwrap

import pytest

from surveys import loader
from surveys.definition import QUESTION_TYPES, DefinitionError, parse
from workflows.signals import SIGNALS

STANDARD_SET = {
    "application_mentee",
    "application_mentor",
    "training_feedback",
    "meeting_log",
    "first_meeting",
    "checkin_mentee",
    "checkin_mentor",
    "checkin_guardian",
    "coordinator_checkin",
    "closure_reflection",
    "event_followup",
    "six_month_update",
    "outcomes_mentee",
}


def test_the_standard_set_loads():
    assert set(loader.standard()) == STANDARD_SET


def test_every_question_type_is_used_somewhere_in_the_standard_set():
    used = {q.type for d, _ in loader.standard().values() for q in d.questions}
    assert used == set(QUESTION_TYPES)


def test_the_periodic_check_ins_carry_the_pulse_rating_and_a_safety_question():
    for key in ("checkin_mentee", "checkin_mentor"):
        definition, _ = loader.standard()[key]
        rating = definition.question("relationship_rating")
        assert (rating.type, rating.min, rating.max) == ("rating", 1, 10)
        assert {t.signal for t in definition.trends} == {"rating_drop", "rating_divergence"}
        assert any(q.safety for q in definition.questions)


def test_the_mentee_check_in_covers_the_warning_signs():
    definition, _ = loader.standard()["checkin_mentee"]
    signals = {rule.signal for rule in definition.all_rules}
    assert {
        "missed_meetings",
        "no_progress_on_actions",
        "distracted_or_cut_short",
        "one_side_not_contributing",
        "mentor_not_listening",
        "safety_concern",
    } <= signals


def test_applications_ask_for_consent_to_how_data_is_used():
    for key in ("application_mentee", "application_mentor"):
        definition, _ = loader.standard()[key]
        assert any(q.type == "consent" and q.required for q in definition.questions)


def test_the_closure_reflection_shares_a_story_only_with_consent():
    definition, _ = loader.standard()["closure_reflection"]
    story = definition.question("story")
    assert story.visibility == "public"
    assert story.show_if.question == "share_story"
    assert story.show_if.values == ("yes",)


def _write(tmp_path, body: str):
    path = tmp_path / "broken.yaml"
    path.write_text(textwrap.dedent(body))
    return path


BASE = """
key: broken
title: Broken
audience: mentee
purpose: periodic_checkin
questions:
"""


@pytest.mark.parametrize(
    ("questions", "message"),
    [
        ("  - {key: mood, type: slider, label: Mood}\n", "question 'mood': unknown type 'slider'"),
        (
            "  - {key: mood, type: text, label: Mood}\n  - {key: mood, type: text, label: Again}\n",
            "question 'mood': duplicate key",
        ),
        (
            "  - {key: later, type: text, label: L, show_if: {question: first, equals: 'yes'}}\n"
            "  - {key: first, type: yes_no, label: F}\n",
            "question 'later': show_if names 'first', which is not an earlier question",
        ),
        (
            "  - {key: pick, type: single_choice, label: P}\n",
            "question 'pick': a choice question needs a non-empty list of choices",
        ),
        (
            "  - {key: pick, type: single_choice, label: P, choices: [{value: a, label: A, "
            "signal: grumpy}]}\n",
            "question 'pick': choice 'a': unknown signal 'grumpy'",
        ),
        (
            "  - {key: n, type: number, label: N, min: 5, max: 1}\n",
            "question 'n': min 5 is above max 1",
        ),
        (
            "  - {key: n, type: number, label: N, colour: red}\n",
            "question 'n': unknown field(s) 'colour'",
        ),
    ],
)
def test_a_malformed_question_is_named_with_its_file(tmp_path, questions, message):
    path = _write(tmp_path, BASE + questions)
    with pytest.raises(DefinitionError) as error:
        loader.load_file(path)
    assert str(path) in str(error.value) or "broken.yaml" in str(error.value)
    assert message in str(error.value)


def test_a_rule_naming_a_missing_question_is_refused(tmp_path):
    path = _write(
        tmp_path,
        BASE + "  - {key: n, type: number, label: N}\nrules:\n"
        "  - {signal: missed_meetings, when: {question: missed, at_least: 2}}\n",
    )
    with pytest.raises(
        DefinitionError, match="question 'missed': rule for 'missed_meetings' names"
    ):
        loader.load_file(path)


def test_a_rule_naming_an_unknown_signal_is_refused(tmp_path):
    path = _write(
        tmp_path,
        BASE + "  - {key: n, type: number, label: N}\nrules:\n"
        "  - {signal: grumpy, when: {question: n, at_least: 2}}\n",
    )
    with pytest.raises(DefinitionError, match="unknown signal 'grumpy'"):
        loader.load_file(path)


def test_invalid_yaml_names_the_file(tmp_path):
    path = _write(tmp_path, "key: [unclosed\n")
    with pytest.raises(DefinitionError, match=r"broken\.yaml: not valid YAML"):
        loader.load_file(path)


def test_a_meeting_log_must_keep_the_questions_that_become_the_meeting_record():
    data = {
        "key": "m",
        "title": "M",
        "audience": "mentee",
        "purpose": "meeting_log",
        "questions": [{"key": "held", "type": "yes_no", "label": "Held?"}],
    }
    with pytest.raises(DefinitionError, match="question 'occurred_on': a meeting_log survey must"):
        parse(data, source="test")


def test_two_files_with_one_key_are_refused(tmp_path):
    for name in ("a.yaml", "b.yaml"):
        (tmp_path / name).write_text(
            BASE.replace("broken", "same") + "  - {key: n, type: text, label: N}\n"
        )
    with pytest.raises(DefinitionError, match=r"b\.yaml: key 'same' is already defined in a\.yaml"):
        loader.load_directory(tmp_path)


def test_every_signal_a_standard_survey_raises_is_in_the_catalogue():
    for definition, _ in loader.standard().values():
        for rule in definition.all_rules:
            assert rule.signal in SIGNALS


def test_an_unquoted_yes_is_refused_with_a_hint_to_quote_it(tmp_path):
    path = _write(
        tmp_path,
        BASE
        + "  - {key: pick, type: single_choice, label: P, choices: [{value: yes, label: Y}]}\n",
    )
    with pytest.raises(DefinitionError) as error:
        loader.load_file(path)
    assert "question 'pick': choice True: value must be text, got True" in str(error.value)
    assert "quotes" in str(error.value)


def test_a_rating_scale_from_zero_offers_zero():
    definition, _ = loader.standard()["closure_reflection"]
    recommend = definition.question("recommend")
    assert [choice.value for choice in recommend.options] == [str(n) for n in range(11)]
