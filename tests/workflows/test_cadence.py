"""The program calendar as data: who is contacted when, under each policy."""

from __future__ import annotations

from datetime import date
from itertools import islice

import pytest

from workflows import cadence
from workflows.cadence import POLICIES, Interval, MeetingRequirement, add_months
from workflows.pairing import State

ANCHOR = date(2026, 1, 1)


def _plan(policy: str, kind: str) -> cadence.ContactPlan:
    return next(p for p in POLICIES[policy].contacts if p.kind == kind)


def _first(plan, n) -> list[date]:
    return list(islice(plan.occurrences(ANCHOR), n))


def test_mentor_eep_contacts_twice_in_the_first_month_then_monthly():
    days = _first(_plan("mentor_eep", "checkin"), 6)
    assert days == [
        date(2026, 1, 15),
        date(2026, 1, 29),
        date(2026, 2, 28),
        date(2026, 3, 28),
        date(2026, 4, 28),
        date(2026, 5, 28),
    ]
    assert sum(d < add_months(ANCHOR, 1) for d in days) == 2


def test_mentor_eep_contacts_mentor_mentee_and_guardian_and_staff_alike():
    plan = _plan("mentor_eep", "checkin")
    assert plan.audience == ("mentee", "mentor", "guardian")
    assert _first(_plan("mentor_eep", "staff_contact"), 3) == _first(plan, 3)


def test_the_5th_edition_checks_in_monthly_for_a_year_then_quarterly():
    days = _first(_plan("mentor_5th", "checkin"), 14)
    assert days[:12] == [add_months(ANCHOR, n) for n in range(1, 13)]
    assert days[12:] == [add_months(ANCHOR, 15), add_months(ANCHOR, 18)]


def test_the_5th_edition_meets_in_depth_monthly_for_a_quarter_then_quarterly():
    days = _first(_plan("mentor_5th", "in_depth"), 5)
    assert days == [add_months(ANCHOR, n) for n in (1, 2, 3, 6, 9)]


def test_the_bimonthly_policy_checks_in_every_two_months():
    assert _first(_plan("bimonthly", "checkin"), 3) == [
        date(2026, 3, 1),
        date(2026, 5, 1),
        date(2026, 7, 1),
    ]


def test_an_event_is_followed_up_after_two_to_three_weeks_and_again_at_six_months():
    followup = _first(_plan("event_based", "event_followup"), 5)
    assert followup == [date(2026, 1, 18)]
    assert 14 <= (followup[0] - ANCHOR).days <= 21
    assert _first(_plan("event_based", "six_month_update"), 5) == [date(2026, 7, 1)]


def test_the_first_meeting_check_in_follows_activation_once():
    assert _first(cadence.FIRST_MEETING, 3) == [date(2026, 1, 3)]


def test_the_next_contact_skips_what_was_sent_and_what_is_past():
    plan = _plan("mentor_eep", "checkin")
    assert plan.next_on(ANCHOR, after=None, today=date(2026, 1, 20)) == date(2026, 1, 29)
    assert plan.next_on(ANCHOR, after=date(2026, 1, 29), today=date(2026, 1, 29)) == date(
        2026, 2, 28
    )


def test_at_risk_contacts_come_every_two_weeks_from_the_flag():
    since = date(2026, 3, 10)
    assert cadence.next_at_risk(
        since=since, after=None, today=since, every=Interval(days=14)
    ) == date(2026, 3, 24)
    assert cadence.next_at_risk(
        since=since, after=date(2026, 3, 24), today=date(2026, 3, 24), every=Interval(days=14)
    ) == date(2026, 4, 7)


@pytest.mark.parametrize(
    ("state", "closure", "kinds"),
    [
        (State.MATCHED, None, set()),
        (State.ACTIVE, None, {"checkin", "staff_contact", "first_meeting"}),
        (State.AT_RISK, None, {"checkin", "staff_contact", "first_meeting"}),
        (State.CLOSING, "completed", set()),
        (State.CLOSED, "completed", {"six_month_update"}),
        (State.CLOSED, "safety", set()),
    ],
)
def test_which_contacts_run_in_which_state(state, closure, kinds):
    assert {p.kind for p in cadence.plans_for(POLICIES["mentor_eep"], state, closure)} == kinds


def test_event_contacts_run_whatever_the_state_unless_withdrawn():
    policy = POLICIES["event_based"]
    assert {p.kind for p in cadence.plans_for(policy, State.CLOSED, "completed")} == {
        "event_followup",
        "six_month_update",
    }
    assert cadence.plans_for(policy, State.CLOSED, "withdrawn") == []


def test_contacts_are_due_at_nine_in_the_programs_timezone():
    due = cadence.due_at(date(2026, 6, 1), "Europe/Oslo")
    assert due.utcoffset().total_seconds() == 7200
    assert (due.hour, due.minute) == (9, 0)


def test_month_arithmetic_keeps_to_the_end_of_short_months():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)


def test_a_weekly_requirement_counts_monday_to_sunday():
    weekly = MeetingRequirement("week", meetings=1)
    assert weekly.period_of(date(2026, 11, 26)) == (date(2026, 11, 23), date(2026, 11, 30))
    assert weekly.met_by(1, 0) and not weekly.met_by(0, 0)


def test_four_hours_a_month_counts_minutes():
    monthly = MeetingRequirement("month", minutes=240)
    assert monthly.period_of(date(2026, 2, 14)) == (date(2026, 2, 1), date(2026, 3, 1))
    assert monthly.met_by(2, 240) and not monthly.met_by(5, 239)


def test_every_policy_is_named_and_sourced():
    for policy in POLICIES.values():
        assert policy.title and policy.source and policy.contacts


# -- the practice: at risk, the first call, spacing, activation, guardians -------------------


@pytest.mark.parametrize("name", sorted(POLICIES))
def test_every_repeated_contact_plan_of_every_policy_tightens_while_at_risk(name):
    for plan in POLICIES[name].contacts:
        assert plan.tightens_at_risk == bool(plan.phases), plan.kind
    assert _plan("mentor_5th", "in_depth").tightens_at_risk


def test_the_coordinators_first_at_risk_contact_falls_due_the_day_the_pair_is_flagged():
    since = date(2026, 3, 10)  # a Tuesday
    every = Interval(days=14)
    first = cadence.next_at_risk(since=since, after=None, today=since, every=every, call_first=True)
    assert first == since
    assert cadence.next_at_risk(
        since=since, after=since, today=since, every=every, call_first=True
    ) == date(2026, 3, 24)


def test_a_pair_flagged_at_the_weekend_has_its_first_call_due_the_next_working_day():
    saturday, sunday = date(2026, 3, 14), date(2026, 3, 15)
    every = Interval(days=14)
    for since in (saturday, sunday):
        assert cadence.next_at_risk(
            since=since, after=None, today=since, every=every, call_first=True
        ) == date(2026, 3, 16)


def test_a_plan_merges_a_participants_contact_closer_than_the_spacing_into_the_last():
    plan = _plan("mentor_eep", "checkin")
    last = date(2026, 2, 24)  # four days before the regular 28 February
    assert plan.next_on(ANCHOR, after=last, today=last) == date(2026, 2, 28)
    spaced = plan.spaced_after(last, 7)
    assert plan.next_on(ANCHOR, after=spaced, today=last) == date(2026, 3, 28)
    assert _plan("mentor_eep", "staff_contact").spaced_after(last, 7) == last


@pytest.mark.parametrize("name", sorted(POLICIES))
def test_the_relationships_repeated_contacts_count_from_activation(name):
    for plan in POLICIES[name].contacts:
        if plan.phases:
            assert plan.anchor == cadence.Anchor.ACTIVATED, plan.kind


def test_every_policy_says_whether_guardians_are_contacted_and_every_long_term_one_does():
    says = {name: policy.guardians for name, policy in POLICIES.items()}
    assert says == {
        "mentor_eep": True,
        "mentor_5th": True,
        "bimonthly": True,
        "event_based": False,
    }
    for name, policy in POLICIES.items():
        for plan in policy.contacts:
            if plan.phases and plan.audience != (cadence.STAFF,):
                assert ("guardian" in plan.audience) == policy.guardians, (name, plan.kind)


def test_a_policy_whose_check_ins_leave_out_the_guardians_it_promises_is_refused():
    checkin = cadence.ContactPlan(
        "checkin",
        ("mentee", "mentor"),
        "checkin_{role}",
        phases=(cadence.Phase(Interval(months=1)),),
    )
    with pytest.raises(ValueError, match="must include the guardian"):
        cadence.CadencePolicy("monthly", "Monthly", "", (checkin,), guardians=True)


def test_a_pause_holds_the_participants_contacts_and_the_meeting_requirement_only():
    policy = POLICIES["mentor_5th"]
    held = {p.kind for p in policy.contacts if cadence.suspended_by_pause(p, p.kind)}
    assert held == {"checkin", "first_meeting"}
    assert not cadence.suspended_by_pause(_plan("mentor_5th", "in_depth"), "in_depth")
    monitors = {m for m in cadence.Monitor if cadence.suspended_by_pause(None, m)}
    assert monitors == {cadence.Monitor.MEETING_REQUIREMENT, cadence.Monitor.NO_MEETING}
    assert cadence.paused_on(date(2026, 3, 1), date(2026, 3, 1), date(2026, 3, 15))
    assert not cadence.paused_on(date(2026, 3, 15), date(2026, 3, 1), date(2026, 3, 15))
