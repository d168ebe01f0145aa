"""The intake machine: applied → screening → approved, declined or withdrawn, and its guards."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from workflows import intake
from workflows.intake import CheckResult, Facts, IntakeState

TODAY = date(2026, 11, 29)
SCREENED_MENTOR = Facts(
    today=TODAY,
    role="mentor",
    interview_recorded=True,
    references_recorded=True,
    background_check=CheckResult.PASSED,
    background_check_expires_on=TODAY + timedelta(days=365),
)


def test_an_application_is_screened_before_it_is_decided():
    assert intake.decide("applied", "start_screening", Facts()) == IntakeState.SCREENING


def test_an_application_cannot_be_approved_before_screening():
    with pytest.raises(intake.TriggerNotAllowed) as refused:
        intake.decide("applied", "approve", SCREENED_MENTOR)
    assert refused.value.allowed == ["start_screening", "decline", "withdraw"]


def test_a_screened_mentor_is_approved():
    assert intake.decide("screening", "approve", SCREENED_MENTOR) == IntakeState.APPROVED


def test_a_mentor_without_a_background_check_is_not_approved():
    facts = Facts(**{**SCREENED_MENTOR.__dict__, "background_check": None})
    with pytest.raises(intake.GuardFailed) as refused:
        intake.decide("screening", "approve", facts)
    assert refused.value.failed == [intake.mentor_background_check_passed]


def test_a_failed_background_check_does_not_approve_a_mentor():
    facts = Facts(**{**SCREENED_MENTOR.__dict__, "background_check": CheckResult.FAILED})
    with pytest.raises(intake.GuardFailed):
        intake.decide("screening", "approve", facts)


def test_an_expired_background_check_does_not_approve_a_mentor():
    facts = Facts(
        **{**SCREENED_MENTOR.__dict__, "background_check_expires_on": TODAY - timedelta(days=1)}
    )
    with pytest.raises(intake.GuardFailed) as refused:
        intake.decide("screening", "approve", facts)
    assert "has not expired" in str(refused.value)


def test_a_check_expiring_today_still_counts_today():
    facts = Facts(**{**SCREENED_MENTOR.__dict__, "background_check_expires_on": TODAY})
    assert intake.decide("screening", "approve", facts) == IntakeState.APPROVED


def test_a_mentor_needs_an_interview_and_references_when_the_program_asks():
    facts = Facts(
        **{**SCREENED_MENTOR.__dict__, "interview_recorded": False, "references_recorded": False}
    )
    with pytest.raises(intake.GuardFailed) as refused:
        intake.decide("screening", "approve", facts)
    assert refused.value.failed == [intake.mentor_interviewed, intake.mentor_references_checked]


def test_a_program_that_asks_no_interview_or_references_approves_without_them():
    facts = Facts(
        **{
            **SCREENED_MENTOR.__dict__,
            "interview_recorded": False,
            "references_recorded": False,
            "requires_interview": False,
            "requires_references": False,
        }
    )
    assert intake.decide("screening", "approve", facts) == IntakeState.APPROVED


def test_a_minor_is_not_approved_without_a_guardians_consent():
    with pytest.raises(intake.GuardFailed) as refused:
        intake.decide("screening", "approve", Facts(role="mentee", youth_program=True))
    assert refused.value.failed == [intake.minor_has_guardian_consent]


def test_a_minor_with_a_guardians_consent_is_approved():
    facts = Facts(role="mentee", youth_program=True, guardian_consent_recorded=True)
    assert intake.decide("screening", "approve", facts) == IntakeState.APPROVED


def test_a_mentee_of_an_adult_program_needs_no_background_check_or_consent():
    assert intake.decide("screening", "approve", Facts(role="mentee")) == IntakeState.APPROVED


@pytest.mark.parametrize("trigger", ["decline", "withdraw"])
def test_declining_or_withdrawing_needs_a_reason(trigger):
    with pytest.raises(intake.GuardFailed):
        intake.decide("screening", trigger, Facts(reason="  "))


@pytest.mark.parametrize(("trigger", "state"), [("decline", "declined"), ("withdraw", "withdrawn")])
def test_an_application_is_declined_or_withdrawn_with_a_reason(trigger, state):
    assert intake.decide("applied", trigger, Facts(reason="moved away")) == state


@pytest.mark.parametrize("state", ["approved", "declined", "withdrawn"])
def test_a_decided_application_allows_nothing_more(state):
    assert intake.allowed_triggers(state) == []


def test_an_unknown_trigger_is_named_as_such():
    with pytest.raises(intake.UnknownTrigger):
        intake.decide("applied", "hire", Facts())


def test_what_approval_still_needs_is_told_in_words():
    assert intake.unmet_requirements(Facts(role="mentee", youth_program=True)) == [
        "a minor's parent or guardian has given consent (a youth program)"
    ]


def test_the_diagram_is_drawn_from_the_declarations():
    diagram = intake.mermaid_diagram()
    assert "SCREENING --> APPROVED: approve [mentor_background_check_passed" in diagram
    assert "APPROVED --> [*]" in diagram
