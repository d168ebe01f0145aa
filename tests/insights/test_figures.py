"""A program's insights, computed from a hand-made history in the database: each figure
equals the value worked out by hand beside it."""

from __future__ import annotations

from datetime import date

import pytest

from service.database import db
from service.errors import Invalid
from service.insights.figures import Period, compute
from service.pairs.models import Pair
from tests.helpers.history import History

pytestmark = pytest.mark.usefixtures("app_context")

YEAR = Period(date(2025, 1, 1), date(2025, 12, 31))


def five_matches(history: History, coordinator_id: int | None = None) -> dict[str, int]:
    """Matched in 2025 and followed to the year's end (January 1, 2026): lasting 30 (ended
    early), 60 (re-matched), 60 (still open), 90 (completed) and 120 days (still open)."""
    return {
        "a": history.pair(matched=date(2025, 1, 1), created=date(2024, 12, 22),
                          activated=date(2025, 1, 5), closed=date(2025, 1, 31),
                          reason="ended_early", coordinator_id=coordinator_id),
        "b": history.pair(matched=date(2025, 1, 1), created=date(2024, 12, 2),
                          activated=date(2025, 1, 5), rematched=date(2025, 3, 2)),
        "c": history.pair(matched=date(2025, 11, 2), created=date(2025, 11, 2),
                          activated=date(2025, 11, 9), coordinator_id=coordinator_id),
        "d": history.pair(matched=date(2025, 1, 1), created=date(2024, 12, 12),
                          activated=date(2025, 1, 5), closed=date(2025, 4, 1),
                          planned_end=date(2025, 6, 30)),
        "e": history.pair(matched=date(2025, 9, 3), created=date(2025, 8, 3),
                          activated=date(2025, 9, 10), planned_end=date(2025, 12, 1)),
    }  # fmt: skip


def test_the_survival_curve_follows_each_match_from_its_match_to_its_end_or_the_period_end():
    history = History.new()
    five_matches(history)
    history.pair(matched=date(2024, 6, 1), closed=date(2024, 7, 1))  # before the period
    insights = compute(program_id=history.program.id, period=YEAR)
    assert insights.matches == 5
    assert [(s.day, s.at_risk, s.closed, s.censored) for s in insights.survival] == [
        (30, 5, 1, 0),
        (60, 4, 1, 1),
        (90, 2, 1, 0),
        (120, 1, 0, 1),
    ]
    assert [s.survival for s in insights.survival] == pytest.approx([0.8, 0.6, 0.3, 0.3])
    assert insights.median_days.value == 90


def test_early_closure_shares_count_only_matches_whose_fate_is_known():
    history = History.new(insights_min_group=4)
    five_matches(history)
    insights = compute(program_id=history.program.id, period=YEAR)
    # Before 3 months: 30, 60 and 90 ended; the open 120 lasted; the open 60 is too young.
    assert insights.closed_before_months[3].value == pytest.approx(3 / 4)
    assert insights.closed_before_months[3].n == 4
    # Planned ends: d ended Apr 1, before June 30; e's (Dec 1) passed with e still open.
    assert insights.closed_before_planned_end.value is None  # two matches: fewer than 4
    assert insights.closed_before_planned_end.suppressed


def test_why_matches_end_and_the_rematch_rate():
    history = History.new()
    five_matches(history)
    insights = compute(program_id=history.program.id, period=YEAR)
    assert insights.endings == {"completed": 1, "ended_early": 1, "rematched": 1}
    assert insights.ended == 3
    assert insights.rematch_rate.value == pytest.approx(1 / 5)


def test_waiting_for_a_match_is_the_median_from_joining_to_the_match():
    history = History.new()
    five_matches(history)
    insights = compute(program_id=history.program.id, period=YEAR)
    # Waits of 10, 30, 0, 20 and 31 days.
    assert insights.waiting_days_median.value == 20


def test_a_coordinators_matches_alone_are_too_few_to_show(make_staff):
    history = History.new()
    coordinator = make_staff("coordinator")
    five_matches(history, coordinator_id=coordinator.id)
    insights = compute(program_id=history.program.id, period=YEAR, coordinator_id=coordinator.id)
    assert insights.matches == 2
    assert insights.median_days.suppressed and insights.median_days.value is None
    assert insights.survival == [] and not insights.survival_shown
    assert all(c.suppressed for c in insights.closed_before_months.values())


def test_cohorts_are_the_quarters_matches_were_made_in():
    history = History.new(insights_min_group=1)
    five_matches(history)
    insights = compute(program_id=history.program.id, period=YEAR)
    cohorts = {row["group"]: row for row in insights.by_cohort}
    assert {k: v["matches"] for k, v in cohorts.items()} == {
        "2025 Q1": 3,
        "2025 Q3": 1,
        "2025 Q4": 1,
    }
    # Q1: 30, 60 and 90 all ended: survival 2/3, 1/3, 0; the median is day 60.
    assert cohorts["2025 Q1"]["median_days"].value == 60


def test_pulse_ratings_by_month_and_side_and_the_share_whose_rating_fell():
    history = History.new(insights_min_group=2)
    pairs = five_matches(history)
    history.rating(pairs["a"], "mentee", date(2025, 1, 10), 8)
    history.rating(pairs["a"], "mentee", date(2025, 1, 20), 6)
    history.rating(pairs["d"], "mentee", date(2025, 1, 15), 5)
    history.rating(pairs["d"], "mentee", date(2025, 2, 15), 7)
    history.rating(pairs["d"], "mentor", date(2025, 1, 15), 9)
    insights = compute(program_id=history.program.id, period=YEAR)
    january = insights.pulse[0]
    assert january["month"] == "2025-01"
    assert january["mentee"].value == pytest.approx((8 + 6 + 5) / 3)
    assert january["mentee"].n == 2
    # One mentor answered in January: fewer than the program's 2.
    assert january["mentor"].suppressed
    # a's mentee fell from 8 to 6, d's rose from 5 to 7: one of two.
    assert insights.rating_fell["mentee"].value == pytest.approx(0.5)
    assert insights.rating_fell["mentor"].n == 0


def engaged(history: History) -> list[int]:
    """Three pairs active in March 2025 (one ends with it), with meetings and contacts."""
    one = history.pair(matched=date(2025, 2, 1), activated=date(2025, 3, 1))
    two = history.pair(matched=date(2025, 2, 1), activated=date(2025, 3, 1))
    three = history.pair(
        matched=date(2025, 2, 1), activated=date(2025, 3, 15), closed=date(2025, 3, 31)
    )
    for day in (date(2025, 3, 5), date(2025, 3, 12), date(2025, 4, 2)):
        history.meeting(one, day)
    history.meeting(one, date(2025, 3, 20), status="cancelled")
    history.meeting(two, date(2025, 4, 10))
    history.meeting(two, date(2025, 4, 20))
    history.meeting(three, date(2025, 3, 20))
    march = date(2025, 3, 15)
    history.contact(one, "checkin", "mentee", march, "answered", done=date(2025, 3, 16))
    history.contact(
        one, "checkin", "mentor", march, "answered", done=date(2025, 3, 19), reminders=1
    )
    history.contact(two, "checkin", "mentee", march, "overdue", reminders=1)
    history.contact(two, "checkin", "mentor", march, "invited")
    history.contact(three, "checkin", "mentee", date(2025, 3, 29), "cancelled")
    history.contact(one, "staff_contact", "staff", march, "done", done=date(2025, 3, 16))
    history.contact(two, "staff_contact", "staff", march, "done", done=date(2025, 3, 30))
    history.contact(three, "staff_contact", "staff", date(2025, 3, 29), "overdue")
    history.period_judged(one, date(2025, 3, 1), date(2025, 4, 1), compliant=True)
    history.period_judged(two, date(2025, 3, 1), date(2025, 4, 1), compliant=False)
    return [one, two, three]


SPRING = Period(date(2025, 2, 1), date(2025, 4, 30))


def test_meetings_held_per_pair_in_each_month():
    history = History.new(insights_min_group=1)
    engaged(history)
    insights = compute(program_id=history.program.id, period=SPRING)
    months = {row["month"]: row for row in insights.meetings_per_month}
    # March: three pairs ran, three held meetings (the cancelled one does not count).
    assert (months["2025-03"]["pairs"], months["2025-03"]["meetings"]) == (3, 3)
    # April: the third pair had ended; three meetings between two pairs.
    assert months["2025-04"]["per_pair"].value == pytest.approx(1.5)
    # Six meetings over five pair-months.
    assert insights.meetings_per_pair_month.value == pytest.approx(6 / 5)


def test_survey_response_rates_and_answers_that_needed_no_reminder():
    history = History.new(insights_min_group=1)
    engaged(history)
    insights = compute(program_id=history.program.id, period=SPRING)
    # Four asked (the cancelled one was never asked), two answered; one of them unreminded.
    assert insights.response_rate.value == pytest.approx(0.5)
    assert insights.answered_without_reminder.value == pytest.approx(0.5)
    assert insights.response_rates[0]["asked"] == 4


def test_staff_contacts_on_time_against_due_and_overdue():
    history = History.new(insights_min_group=1)
    engaged(history)
    insights = compute(program_id=history.program.id, period=SPRING)
    # Grace of 7 days: done the next day is on time, fifteen days later is late.
    assert insights.staff_contacts == {
        "due": 3, "on_time": 1, "late": 1, "overdue": 1, "not_yet_late": 0
    }  # fmt: skip
    assert insights.staff_on_time.value == pytest.approx(1 / 3)
    assert insights.meeting_requirement_met.value == pytest.approx(1 / 2)


def test_fidelity_to_the_programs_cadence_from_the_contacts_made():
    history = History.new(insights_min_group=1, cadence_policy="mentor_5th")
    pair = history.pair(matched=date(2025, 1, 1), activated=date(2025, 1, 10))
    history.contact(
        pair, "checkin", "mentee", date(2025, 2, 10), "answered", done=date(2025, 2, 11)
    )
    history.contact(pair, "checkin", "mentor", date(2025, 2, 10), "overdue")
    history.contact(pair, "in_depth", "staff", date(2025, 3, 10), "done", done=date(2025, 3, 12))
    insights = compute(
        program_id=history.program.id, period=Period(date(2025, 1, 1), date(2025, 4, 11))
    )
    plans = {row["contact"]: (row["due"], row["kept"]) for row in insights.fidelity}
    # Monthly check-ins due Feb 10 and Mar 10 (the April one's month is not over), with two
    # people each: 4, one kept. The coordinator's in-depth meetings: 2, one kept. The
    # first-meeting check-in (two days after activation, for two weeks): 2, none kept.
    assert plans == {"checkin": (4, 1), "in_depth": (2, 1), "first_meeting": (2, 0)}
    assert insights.fidelity_overall.value == pytest.approx(2 / 8)
    assert insights.pairs_fully_served.value == 0
    assert insights.pairs_short == [{"pair_id": pair, "due": 8, "kept": 2}]


def test_guardians_are_owed_their_check_ins_in_youth_programs():
    history = History.new(insights_min_group=1, cadence_policy="mentor_5th", youth=True)
    history.pair(matched=date(2025, 1, 1), activated=date(2025, 1, 10), guardian=True)
    insights = compute(
        program_id=history.program.id, period=Period(date(2025, 1, 1), date(2025, 4, 11))
    )
    plans = {row["contact"]: row["due"] for row in insights.fidelity}
    assert plans["checkin"] == 6


def test_a_period_that_ends_before_it_starts_is_refused():
    with pytest.raises(Invalid):
        Period(date(2025, 2, 1), date(2025, 1, 1))


def test_a_cohort_share_that_would_give_back_a_small_cohorts_is_left_out_too():
    history = History.new(insights_min_group=2)
    five_matches(history)
    insights = compute(program_id=history.program.id, period=YEAR)
    cohorts = {row["group"]: row["closed_before_3_months"] for row in insights.by_cohort}
    # Before 3 months the program's 3 of 4 is shown; Q3's one match (it lasted) is too few,
    # and Q4's is too young to count. Shown, Q1's 3 of 3 would give Q3's back: 4 x 3/4 - 3.
    assert insights.closed_before_months[3].value == pytest.approx(3 / 4)
    assert cohorts["2025 Q3"].suppressed and not cohorts["2025 Q3"].shields
    assert cohorts["2025 Q1"].value is None
    assert cohorts["2025 Q1"].suppressed and cohorts["2025 Q1"].shields
    assert cohorts["2025 Q1"].n == 3


def test_no_share_is_left_out_when_no_cohort_is_too_small():
    history = History.new(insights_min_group=1)
    five_matches(history)
    insights = compute(program_id=history.program.id, period=YEAR)
    cohorts = {row["group"]: row["closed_before_3_months"] for row in insights.by_cohort}
    assert cohorts["2025 Q1"].value == pytest.approx(1.0)
    assert not any(c.shields for c in cohorts.values())


def mentor_of_two(history: History) -> None:
    """One mentor in two pairs, rating both in January 2025."""
    first = history.pair(matched=date(2025, 1, 1), activated=date(2025, 1, 2))
    second = history.pair(matched=date(2025, 1, 1), activated=date(2025, 1, 2))
    one, two = db.session.get(Pair, first), db.session.get(Pair, second)
    assert one is not None and two is not None
    two.mentor_id = one.mentor_id
    db.session.commit()
    history.rating(first, "mentor", date(2025, 1, 10), 7)
    history.rating(second, "mentor", date(2025, 1, 12), 9)


def test_a_mentor_rating_two_pairs_in_a_month_is_one_respondent():
    history = History.new(insights_min_group=1)
    mentor_of_two(history)
    january = compute(program_id=history.program.id, period=YEAR).pulse[0]
    assert (january["mentor"].n, january["mentor"].value) == (1, pytest.approx(8))
