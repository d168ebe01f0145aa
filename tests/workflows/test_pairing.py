"""The pair lifecycle, checked for every (state, trigger) pair."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from workflows import pairing
from workflows.pairing import ClosureReason, Facts, State, Trigger

TODAY = date(2026, 11, 24)

# Facts under which every guard holds, so the table below tests the declarations alone.
ALL_GUARDS_HOLD = Facts(
    today=TODAY,
    proposed_mentor_id=7,
    mentor_open_places=1,
    previous_mentor_ids=frozenset({3}),
    mentor_accepted_introduction=True,
    mentee_accepted_introduction=True,
    is_successor_pair=True,
    mentor_completed_extra_training=True,
    signals=("missed_meetings",),
    reason="agreed with both",
    interventions_since_at_risk=1,
    final_session_on=TODAY + timedelta(days=14),
    final_session_logged=True,
    actor_is_admin=True,
)

S, T = State, Trigger
EXPECTED: dict[tuple[State, Trigger], State] = {
    (S.RECRUITED, T.MATCH): S.MATCHED,
    (S.RECRUITED, T.WITHDRAW): S.CLOSED,
    (S.MATCHED, T.START_TRAINING): S.TRAINING,
    (S.MATCHED, T.WITHDRAW): S.CLOSED,
    (S.TRAINING, T.ACTIVATE): S.ACTIVE,
    (S.TRAINING, T.WITHDRAW): S.CLOSED,
    (S.ACTIVE, T.FLAG_RISK): S.AT_RISK,
    (S.ACTIVE, T.BEGIN_CLOSURE): S.CLOSING,
    (S.ACTIVE, T.WITHDRAW): S.CLOSED,
    (S.AT_RISK, T.RESOLVE): S.ACTIVE,
    (S.AT_RISK, T.REMATCH): S.REMATCHED,
    (S.AT_RISK, T.BEGIN_CLOSURE): S.CLOSING,
    (S.AT_RISK, T.WITHDRAW): S.CLOSED,
    (S.CLOSING, T.CLOSE): S.CLOSED,
    (S.CLOSING, T.WITHDRAW): S.CLOSED,
    (S.CLOSED, T.REOPEN): S.ACTIVE,
}

EVERY_PAIR = [(state, trigger) for state in State for trigger in Trigger]


@pytest.mark.parametrize(("state", "trigger"), EVERY_PAIR, ids=lambda v: str(v))
def test_every_state_and_trigger_leads_where_the_spec_says_or_is_refused(state, trigger):
    expected = EXPECTED.get((state, trigger))
    if expected is None:
        with pytest.raises(pairing.TriggerNotAllowed) as refusal:
            pairing.decide(state, trigger, ALL_GUARDS_HOLD)
        assert trigger not in refusal.value.allowed
    else:
        assert pairing.decide(state, trigger, ALL_GUARDS_HOLD) == expected


@pytest.mark.parametrize("state", list(State), ids=str)
def test_allowed_triggers_are_exactly_the_declared_ones(state):
    declared = {trigger for (source, trigger) in EXPECTED if source == state}
    assert set(pairing.allowed_triggers(state)) == declared


def test_terminal_states_allow_nothing_but_reopening_a_closed_pair():
    assert pairing.allowed_triggers(State.REMATCHED) == []
    assert pairing.allowed_triggers(State.CLOSED) == [Trigger.REOPEN]


def test_an_unknown_trigger_is_refused_by_name():
    with pytest.raises(pairing.UnknownTrigger, match="'fly'"):
        pairing.decide(State.ACTIVE, "fly", ALL_GUARDS_HOLD)


def _with(**changes) -> Facts:
    return Facts(**{**ALL_GUARDS_HOLD.__dict__, **changes})


GUARD_CASES = [
    (S.RECRUITED, T.MATCH, {"proposed_mentor_id": None}, "mentor_chosen"),
    (S.RECRUITED, T.MATCH, {"mentor_open_places": 0}, "mentor_has_capacity"),
    (S.RECRUITED, T.MATCH, {"previous_mentor_ids": frozenset({7})}, "mentor_is_new_to_mentee"),
    (
        S.MATCHED,
        T.START_TRAINING,
        {"mentee_accepted_introduction": False},
        "both_accepted_introduction",
    ),
    (
        S.MATCHED,
        T.START_TRAINING,
        {"mentor_accepted_introduction": False},
        "both_accepted_introduction",
    ),
    (
        S.TRAINING,
        T.ACTIVATE,
        {"mentor_missing_training": ("mentor_orientation",)},
        "both_completed_training",
    ),
    (
        S.TRAINING,
        T.ACTIVATE,
        {"mentee_missing_training": ("joint_workshop",)},
        "both_completed_training",
    ),
    (
        S.TRAINING,
        T.ACTIVATE,
        {"mentor_completed_extra_training": False},
        "new_mentor_completed_extra_training",
    ),
    (S.ACTIVE, T.FLAG_RISK, {"signals": (), "reason": None}, "has_signal_or_flag"),
    (S.ACTIVE, T.FLAG_RISK, {"signals": (), "reason": "   "}, "has_signal_or_flag"),
    (S.AT_RISK, T.RESOLVE, {"interventions_since_at_risk": 0}, "intervention_recorded"),
    (S.AT_RISK, T.REMATCH, {"previous_mentor_ids": frozenset({7})}, "mentor_is_new_to_mentee"),
    (S.AT_RISK, T.REMATCH, {"mentor_open_places": 0}, "mentor_has_capacity"),
    (
        S.AT_RISK,
        T.REMATCH,
        {"last_interaction_on": TODAY - timedelta(days=3), "rematch_buffer_days": 14},
        "rematch_buffer_respected",
    ),
    (S.ACTIVE, T.BEGIN_CLOSURE, {"final_session_on": None}, "final_session_date_ahead"),
    (
        S.ACTIVE,
        T.BEGIN_CLOSURE,
        {"final_session_on": TODAY - timedelta(days=1)},
        "final_session_date_ahead",
    ),
    (S.CLOSING, T.CLOSE, {"final_session_logged": False}, "final_session_logged"),
    (S.ACTIVE, T.WITHDRAW, {"reason": None}, "reason_given"),
    (S.CLOSED, T.REOPEN, {"actor_is_admin": False}, "actor_is_admin"),
    (S.CLOSED, T.REOPEN, {"reason": ""}, "reason_given"),
    (S.CLOSED, T.REOPEN, {"current_closure_reason": ClosureReason.SAFETY}, "not_closed_for_safety"),
]


@pytest.mark.parametrize(("state", "trigger", "changes", "guard"), GUARD_CASES)
def test_a_failing_guard_refuses_the_trigger_and_is_named(state, trigger, changes, guard):
    with pytest.raises(pairing.GuardFailed) as refusal:
        pairing.decide(state, trigger, _with(**changes))
    assert [check.__name__ for check in refusal.value.failed] == [guard]
    assert refusal.value.requirements[0] in str(refusal.value)


def test_a_new_pair_needs_no_extra_training_only_a_successor_does():
    first_match = _with(is_successor_pair=False, mentor_completed_extra_training=False)
    assert pairing.decide(State.TRAINING, Trigger.ACTIVATE, first_match) == State.ACTIVE


def test_a_rematch_may_come_once_the_buffer_after_the_last_meeting_has_passed():
    waited = _with(last_interaction_on=TODAY - timedelta(days=14), rematch_buffer_days=14)
    assert pairing.decide(State.AT_RISK, Trigger.REMATCH, waited) == State.REMATCHED


def test_a_coordinator_may_override_the_rematch_buffer_with_a_reason():
    early = _with(
        last_interaction_on=TODAY,
        rematch_buffer_days=14,
        buffer_override_reason="The mentee asked to change mentor at once",
    )
    assert pairing.decide(State.AT_RISK, Trigger.REMATCH, early) == State.REMATCHED


def test_a_final_session_today_is_still_ahead():
    assert pairing.decide(State.ACTIVE, Trigger.BEGIN_CLOSURE, _with(final_session_on=TODAY))


def test_every_failing_guard_is_reported_not_just_the_first():
    facts = _with(proposed_mentor_id=None, mentor_open_places=0)
    with pytest.raises(pairing.GuardFailed) as refusal:
        pairing.decide(State.RECRUITED, Trigger.MATCH, facts)
    assert {g.__name__ for g in refusal.value.failed} == {"mentor_chosen", "mentor_has_capacity"}


@pytest.mark.parametrize("trigger", sorted(pairing.DEFAULT_APPROVAL_REQUIRED))
def test_rematch_closure_and_withdrawal_need_approval_by_default(trigger):
    assert pairing.needs_approval(trigger, pairing.DEFAULT_APPROVAL_REQUIRED)


def test_flagging_risk_is_automatic_by_default():
    assert not pairing.needs_approval(Trigger.FLAG_RISK, pairing.DEFAULT_APPROVAL_REQUIRED)


def test_a_safety_signal_flags_at_once_even_where_flagging_needs_approval():
    required = {Trigger.FLAG_RISK}
    assert pairing.needs_approval(Trigger.FLAG_RISK, required, signals=["missed_meetings"])
    assert not pairing.needs_approval(Trigger.FLAG_RISK, required, signals=["harassment"])


def test_a_safety_withdrawal_is_immediate():
    required = pairing.DEFAULT_APPROVAL_REQUIRED
    assert pairing.needs_approval(Trigger.WITHDRAW, required, closure_reason="withdrawn")
    assert not pairing.needs_approval(Trigger.WITHDRAW, required, closure_reason="safety")


def test_the_diagram_shows_every_state_and_every_transition():
    diagram = pairing.mermaid_diagram()
    for state in State:
        assert f'state "{state.value}" as {state.name}' in diagram
    for (source, trigger), dest in EXPECTED.items():
        edge = next(
            line
            for line in diagram.splitlines()
            if line.strip().startswith(f"{source.name} --> {dest.name}:")
        )
        assert str(trigger) in edge
