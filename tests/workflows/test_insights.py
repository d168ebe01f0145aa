"""The statistics of the insights pages, on hand-made histories whose figures are worked out
by hand here."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workflows.cadence import POLICIES
from workflows.insights import (
    MONTH_DAYS,
    Delivered,
    Followed,
    PlannedEnd,
    Share,
    closed_before,
    closed_before_planned_end,
    contact_codes,
    fidelity,
    fidelity_table,
    kaplan_meier,
    median_duration,
    promised,
    rating_fell,
    shown,
)

# Five matches: three ended (after 30, 60 and 90 days), two still open (seen for 60 and 120).
DAYS = [30, 60, 60, 90, 120]
ENDED = [True, True, False, True, False]
# How long each could have been seen: the three that ended were made a year before the end.
FOLLOWUPS = [365, 365, 60, 365, 120]
# How long each could have been seen: the three that ended were made a year before the end.
FOLLOWUPS = [365, 365, 60, 365, 120]


def test_kaplan_meier_steps_equal_the_product_limit_worked_by_hand():
    # Day 30: 5 at risk, 1 ends: 4/5 = 0.8. Day 60: 4 at risk, 1 ends (1 censored):
    # 0.8 * 3/4 = 0.6. Day 90: 2 at risk, 1 ends: 0.6 * 1/2 = 0.3. Day 120: 1 censored.
    steps = kaplan_meier(DAYS, ENDED)
    assert [(s.day, s.at_risk, s.closed, s.censored) for s in steps] == [
        (30, 5, 1, 0),
        (60, 4, 1, 1),
        (90, 2, 1, 0),
        (120, 1, 0, 1),
    ]
    assert [s.survival for s in steps] == pytest.approx([0.8, 0.6, 0.3, 0.3])


def test_the_median_is_the_first_day_survival_reaches_one_half():
    assert median_duration(kaplan_meier(DAYS, ENDED)) == 90


def test_no_median_when_more_than_half_are_still_open():
    # One of four ends: survival 0.75, never down to a half.
    assert median_duration(kaplan_meier([10, 20, 30, 40], [True, False, False, False])) is None


def test_open_matches_never_count_as_endings():
    steps = kaplan_meier([10, 20], [False, False])
    assert [s.survival for s in steps] == [1.0, 1.0]


def test_durations_and_flags_must_pair_up():
    with pytest.raises(ValueError, match="2 durations but 1"):
        kaplan_meier([1, 2], [True])


def test_closed_before_three_months_leaves_out_matches_too_young_to_tell():
    # Before 91.3 days: 30, 60 and 90 ended; the open 120 lasted; the open 60 is too young.
    assert closed_before(DAYS, ENDED, FOLLOWUPS, 3 * MONTH_DAYS) == Share(3, 4)
    # Before 6 months: only the three made a year before the end could have lasted that long.
    assert closed_before(DAYS, ENDED, FOLLOWUPS, 6 * MONTH_DAYS) == Share(3, 3)


def test_a_young_match_that_ended_early_is_left_out_like_one_that_did_not():
    # Both made 40 days before the end; one ended after 10 days. Neither could reach 3 months.
    assert closed_before([10, 40], [True, False], [40, 40], 3 * MONTH_DAYS) == Share(0, 0)


def test_closed_before_the_planned_end():
    matches = [
        PlannedEnd(date(2025, 12, 31), date(2025, 6, 1), date(2025, 6, 1)),  # early
        PlannedEnd(date(2025, 12, 31), date(2025, 12, 31), date(2025, 12, 31)),  # on time
        PlannedEnd(date(2025, 6, 30), None, date(2025, 9, 1)),  # open, planned end passed
        PlannedEnd(date(2026, 6, 30), None, date(2025, 9, 1)),  # open, not there yet
    ]
    assert closed_before_planned_end(matches) == Share(1, 3)


def test_a_share_has_no_value_without_a_group():
    assert Share(0, 0).value is None
    assert Share(1, 4).value == 0.25


def test_a_figure_from_fewer_than_the_minimum_is_not_shown():
    assert not shown(4, 5)
    assert shown(5, 5)


def test_a_rating_fell_when_the_last_is_below_the_first():
    assert rating_fell([8, 9, 6]) is True
    assert rating_fell([6, 4, 7]) is False
    assert rating_fell([7]) is None


def test_monthly_contacts_are_due_one_after_another_and_each_counts_until_the_next():
    plan = next(p for p in POLICIES["mentor_5th"].contacts if p.kind == "checkin")
    windows = promised(plan, date(2025, 1, 10), observed_until=date(2025, 5, 1))
    # Due Feb 10, Mar 10, Apr 10; the April one's window (to May 10) is still open.
    assert [(w.due_on, w.until) for w in windows] == [
        (date(2025, 2, 10), date(2025, 3, 10)),
        (date(2025, 3, 10), date(2025, 4, 10)),
    ]


def test_fidelity_counts_each_promised_contact_with_each_person():
    # MENTOR's Elements: contact twice in the first month, then monthly. Activated Jan 1,
    # seen until Apr 1: check-ins due Jan 15, Jan 29, Feb 28 (windows close Jan 29, Feb 28,
    # Mar 28), the next due Mar 28 is still open. Two people (no guardian): 6 due.
    made = [
        Delivered("checkin", "mentee", date(2025, 1, 16)),
        Delivered("checkin", "mentor", date(2025, 1, 20)),
        Delivered("checkin", "mentee", date(2025, 2, 3)),
        # The mentor's second was never answered; both answered in March.
        Delivered("checkin", "mentee", date(2025, 3, 1)),
        Delivered("checkin", "mentor", date(2025, 3, 2)),
        # The coordinator: first two on time, the third after its window closed.
        Delivered("staff_contact", "staff", date(2025, 1, 15)),
        Delivered("staff_contact", "staff", date(2025, 2, 1)),
        Delivered("staff_contact", "staff", date(2025, 3, 29)),
        Delivered("first_meeting", "mentee", date(2025, 1, 4)),
    ]
    plans = {
        f.kind: (f.due, f.kept)
        for f in fidelity(
            POLICIES["mentor_eep"],
            activated_on=date(2025, 1, 1),
            event_on=None,
            observed_until=date(2025, 4, 1),
            roles=["mentee", "mentor"],
            delivered=made,
        )
    }
    # Check-ins: mentee 3 of 3, mentor 2 of 3 (missed Jan 29 to Feb 28) = 5 of 6.
    # Coordinator: Jan 15 and Feb 1 kept, nothing between Feb 28 and Mar 28 = 2 of 3.
    # First meeting (due Jan 3, for two weeks): the mentee answered, the mentor did not.
    assert plans == {"checkin": (6, 5), "staff_contact": (3, 2), "first_meeting": (2, 1)}


def test_participant_contacts_due_during_a_pause_are_not_owed():
    made = [Delivered("checkin", "mentee", date(2025, 2, 11))]
    result = fidelity(
        POLICIES["mentor_5th"],
        activated_on=date(2025, 1, 10),
        event_on=None,
        observed_until=date(2025, 4, 11),
        roles=["mentee"],
        delivered=made,
        paused=[(date(2025, 3, 1), date(2025, 4, 1))],
    )
    plans = {f.kind: (f.due, f.kept) for f in result}
    # Due Feb 10 (kept) and Mar 10 (paused: not owed); the coordinator's in-depth meetings
    # go on through a pause: Feb 10 and Mar 10, neither made.
    assert plans["checkin"] == (1, 1)
    assert plans["in_depth"] == (2, 0)


# -- many pairs at once: the same counts as one pair at a time ------------------------------

_ROLES = ("mentee", "mentor", "guardian", "staff")
_KINDS = ("checkin", "staff_contact", "in_depth", "first_meeting", "event_followup", "other")


@st.composite
def _followed_pairs(draw: st.DrawFn) -> tuple[list[Followed], list[list[Delivered]]]:
    start = date(2024, 1, 1)
    pairs, made = [], []
    for _ in range(draw(st.integers(0, 6))):
        activated = draw(st.one_of(st.none(), st.integers(0, 400)))
        seen = draw(st.integers(0, 800))
        pauses = draw(st.lists(st.tuples(st.integers(0, 700), st.integers(1, 90)), max_size=2))
        roles = draw(st.sampled_from([("mentee", "mentor"), ("mentee", "mentor", "guardian")]))
        pairs.append(
            Followed(
                activated_on=start + timedelta(days=activated) if activated is not None else None,
                observed_until=start + timedelta(days=seen),
                roles=frozenset(roles),
                paused=tuple(
                    (start + timedelta(days=a), start + timedelta(days=a + n)) for a, n in pauses
                ),
            )
        )
        made.append(
            [
                Delivered(kind, role, start + timedelta(days=day))
                for kind, role, day in draw(
                    st.lists(
                        st.tuples(
                            st.sampled_from(_KINDS),
                            st.sampled_from(_ROLES),
                            st.integers(-30, 900),
                        ),
                        max_size=40,
                    )
                )
            ]
        )
    return pairs, made


@settings(max_examples=150, deadline=None)
@given(
    policy=st.sampled_from(sorted(POLICIES)),
    event=st.one_of(st.none(), st.integers(0, 400)),
    drawn=_followed_pairs(),
)
def test_the_fidelity_of_many_pairs_at_once_is_that_of_each_pair_on_its_own(
    policy: str, event: int | None, drawn: tuple[list[Followed], list[list[Delivered]]]
) -> None:
    pairs, made = drawn
    event_on = date(2024, 1, 1) + timedelta(days=event) if event is not None else None
    codes = contact_codes(POLICIES[policy])
    epoch = date(1970, 1, 1)
    rows = [
        (index, codes.get((d.kind, d.role), -1), (d.on - epoch).days)
        for index, delivered in enumerate(made)
        for d in delivered
    ]
    table = fidelity_table(
        POLICIES[policy], event_on=event_on, pairs=pairs, made=np.asarray(rows, dtype=np.int64)
    )
    for index, (pair, delivered) in enumerate(zip(pairs, made, strict=True)):
        one = fidelity(
            POLICIES[policy],
            activated_on=pair.activated_on,
            event_on=event_on,
            observed_until=pair.observed_until,
            roles=pair.roles,
            delivered=delivered,
            paused=pair.paused,
        )
        expected = {(f.kind, f.due, f.kept) for f in one if f.due}
        got = {
            (kind, int(table.due[index, column]), int(table.kept[index, column]))
            for column, kind in enumerate(table.kinds)
            if table.due[index, column]
        }
        assert got == expected
