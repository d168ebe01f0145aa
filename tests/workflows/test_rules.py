"""From answers to signals, and from signals to the lifecycle."""

from __future__ import annotations

import pytest

from surveys import loader
from surveys.definition import Rule
from workflows import rules
from workflows.pairing import State, Trigger


def _standard(key: str):
    return loader.standard()[key][0]


CALM = {
    "meetings_held": 3,
    "meetings_missed": 0,
    "relationship_rating": 8,
    "progress_on_actions": "yes",
    "talking_balance": "even",
    "feels_unsafe": "no",
}


def _codes(answers: dict) -> list[str]:
    return [s.code for s in rules.signals_from_answers(_standard("checkin_mentee"), answers)]


def test_a_calm_check_in_raises_nothing():
    assert _codes(CALM) == []


def test_two_missed_meetings_raise_missed_meetings():
    assert _codes({**CALM, "meetings_missed": 2}) == ["missed_meetings"]


def test_one_missed_meeting_raises_nothing():
    assert _codes({**CALM, "meetings_missed": 1}) == []


def test_a_mentor_who_does_most_of_the_talking_raises_mentor_not_listening():
    assert _codes({**CALM, "talking_balance": "mentor"}) == ["mentor_not_listening"]


def test_each_ticked_warning_sign_raises_its_signal():
    codes = _codes({**CALM, "noticed": ["cut_short", "no_click"]})
    assert set(codes) == {"distracted_or_cut_short", "no_chemistry"}


def test_any_safety_answer_raises_safety_concern_and_names_the_question_not_the_answer():
    raised = rules.signals_from_answers(
        _standard("checkin_mentee"), {**CALM, "feels_unsafe": "yes"}
    )
    assert [(s.code, s.question) for s in raised] == [("safety_concern", "feels_unsafe")]


@pytest.mark.parametrize(
    ("operator", "value", "answer", "holds"),
    [
        ("equals", "yes", "yes", True),
        ("equals", "yes", "no", False),
        ("in", ["a", "b"], "b", True),
        ("in", ["a", "b"], "c", False),
        ("includes", "x", ["x", "y"], True),
        ("includes", "x", ["y"], False),
        ("at_least", 2, 2, True),
        ("at_least", 2, 1, False),
        ("at_most", 3, 3, True),
        ("at_most", 3, 4, False),
        ("answered", True, "something", True),
        ("answered", True, "  ", False),
        ("equals", "yes", None, False),
        ("at_least", 2, None, False),
    ],
)
def test_rule_operators(operator, value, answer, holds):
    assert rules.rule_holds(Rule("missed_meetings", "q", operator, value), answer) is holds


def _trends(rating: int, history: rules.RatingHistory) -> list[str]:
    answers = {**CALM, "relationship_rating": rating}
    definition = _standard("checkin_mentee")
    return [s.code for s in rules.trend_signals(definition, answers, history)]


def test_a_sharp_drop_since_the_last_rating_raises_rating_drop():
    assert _trends(5, rules.RatingHistory(previous_own=8)) == ["rating_drop"]


def test_a_small_drop_raises_nothing():
    assert _trends(6, rules.RatingHistory(previous_own=8)) == []


def test_ratings_further_apart_than_the_gap_raise_rating_divergence():
    assert _trends(9, rules.RatingHistory(latest_other=5)) == ["rating_divergence"]


def test_ratings_exactly_the_gap_apart_raise_nothing():
    assert _trends(8, rules.RatingHistory(latest_other=5)) == []


def test_the_first_rating_has_nothing_to_compare_with():
    assert _trends(2, rules.RatingHistory()) == []


def test_an_active_pair_with_a_risk_signal_is_flagged():
    assert rules.reaction(State.ACTIVE, ["missed_meetings"]) == Trigger.FLAG_RISK


@pytest.mark.parametrize("state", [s for s in State if s != State.ACTIVE])
def test_only_an_active_pair_is_flagged(state):
    assert rules.reaction(state, ["missed_meetings"]) is None


def test_a_signal_about_staff_does_not_flag_the_pair():
    assert rules.reaction(State.ACTIVE, ["checkin_overdue"]) is None


FIRST_MEETING = {"first_meeting_held": "yes", "prepared": "well", "talking_balance": "even"}


def _first_meeting_codes(good_match: str) -> list[str]:
    answers = {**FIRST_MEETING, "good_match": good_match}
    return [s.code for s in rules.signals_from_answers(_standard("first_meeting"), answers)]


@pytest.mark.parametrize("disagree", ["1", "2"])
def test_a_first_meeting_that_does_not_feel_like_a_good_match_raises_match_in_doubt(disagree):
    assert _first_meeting_codes(disagree) == ["match_in_doubt"]


@pytest.mark.parametrize("not_low", ["3", "4", "5"])
def test_a_first_meeting_that_feels_like_a_good_match_or_undecided_raises_nothing(not_low):
    assert _first_meeting_codes(not_low) == []


CALM_MENTOR = {
    "meetings_held": 3,
    "meetings_missed": 0,
    "relationship_rating": 8,
    "mentee_progress": "yes",
    "concern": "no",
}


def _mentor_codes(answers: dict) -> list[str]:
    return [s.code for s in rules.signals_from_answers(_standard("checkin_mentor"), answers)]


def test_a_mentor_who_has_taken_on_more_than_they_can_manage_raises_mentor_overstretched():
    assert _mentor_codes({**CALM_MENTOR, "mentoring_load": "too_much"}) == ["mentor_overstretched"]


@pytest.mark.parametrize("load", ["manageable", "stretched"])
def test_a_mentor_who_manages_or_is_sometimes_stretched_raises_nothing(load):
    assert _mentor_codes({**CALM_MENTOR, "mentoring_load": load}) == []


@pytest.mark.parametrize("survey", ["checkin_mentee", "checkin_mentor"])
def test_two_meetings_moved_at_short_notice_in_a_check_in_raise_last_minute_rescheduling(survey):
    calm = CALM if survey == "checkin_mentee" else CALM_MENTOR
    raised = rules.signals_from_answers(_standard(survey), {**calm, "meetings_moved_late": 2})
    assert [s.code for s in raised] == ["last_minute_rescheduling"]


def test_one_meeting_moved_at_short_notice_is_life_and_raises_nothing():
    assert _codes({**CALM, "meetings_moved_late": 1}) == []


LOGGED_MEETING = {"occurred_on": "2026-03-02", "held": "cancelled", "final_session": "no"}


def test_a_meeting_log_saying_late_changes_happen_often_raises_last_minute_rescheduling():
    answers = {**LOGGED_MEETING, "short_notice": "often"}
    raised = rules.signals_from_answers(_standard("meeting_log"), answers)
    assert [s.code for s in raised] == ["last_minute_rescheduling"]


def test_a_meeting_log_with_one_late_change_raises_nothing():
    answers = {**LOGGED_MEETING, "short_notice": "once"}
    assert rules.signals_from_answers(_standard("meeting_log"), answers) == []


def test_a_guardian_seeing_meetings_often_moved_at_the_last_minute_raises_the_signal():
    answers = {"meetings_happening": "moved", "child_enjoys": "4", "concern": "no"}
    raised = rules.signals_from_answers(_standard("checkin_guardian"), answers)
    assert [s.code for s in raised] == ["last_minute_rescheduling"]
