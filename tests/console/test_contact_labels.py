"""The calendar's contacts in plain words: "Mentee check-in, 13 Dec", never a code."""

from __future__ import annotations

from datetime import date

import time_machine

from service.console import labels
from workflows import cadence


@time_machine.travel("2026-11-30 09:00:00+00:00")
def test_a_participants_check_in_is_named_for_whom_it_goes_to_with_the_day():
    assert labels.contact("checkin", date(2026, 12, 13), "mentee:12") == "Mentee check-in, 13 Dec"


@time_machine.travel("2026-11-30 09:00:00+00:00")
def test_a_day_in_another_year_carries_its_year():
    assert labels.contact("staff_contact", date(2027, 1, 4)) == (
        "Your check-in with the pair, 4 Jan 2027"
    )


def test_a_guardian_a_survey_s_recipient_and_the_calendar_s_entry_are_named_in_words():
    assert labels.contact_kind("checkin", "guardian:31") == "Parent or guardian check-in"
    assert labels.contact_kind("checkin") == "Participants' check-ins"
    assert labels.contact_kind("six_month_update", "mentor:7") == "Six-month update (mentor)"


def test_every_kind_the_calendar_draws_has_a_name():
    kinds = {plan.kind for policy in cadence.POLICIES.values() for plan in policy.contacts}
    kinds |= {str(monitor) for monitor in cadence.Monitor}
    assert kinds - labels.KINDS.keys() == set()


def test_the_outcome_surveys_contacts_are_named_for_their_occasion():
    assert labels.contact_kind("outcome_baseline", "mentee:7") == "Outcome survey (at the start)"
    assert labels.contact_kind("outcome_month_6", "mentee:7") == "Outcome survey (6 months on)"
    assert labels.contact_kind("outcome_closure", "mentee:7") == "Outcome survey (at closure)"
