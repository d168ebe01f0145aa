"""What a program's settings accept, declared once: the API's `ProgramSchema` and the
console's settings form both read these, and `tests/console/test_form_bounds.py` fails when
either side stops doing so.

`cancellation_window_days` goes up to 365 on both sides: the console had drifted to 180,
while the API documented 365, and a year is a window some programs ask for (a monthly
meeting cancelled three times in a year is still worth a look).
"""

from __future__ import annotations

# Settings every program has: (lowest, highest), both included.
NUMBERS: dict[str, tuple[int, int]] = {
    "reminder_after_days": (1, 30),
    "reminders_max": (0, 5),
    "staff_contact_grace_days": (1, 60),
    "checkin_spacing_days": (1, 60),
    "closure_notice_days": (1, 180),
    "rematch_buffer_days": (0, 90),
    "invitation_valid_days": (1, 90),
    "rating_drop_threshold": (1, 9),
    "rating_divergence_gap": (1, 9),
    "cancellations_to_flag": (1, 20),
    "cancellation_window_days": (1, 365),
    "late_notice_hours": (1, 168),
    "insights_min_group": (1, 100),
    "risk_min_closed_matches": (20, 100000),
    "risk_threshold_percent": (1, 99),
}
# Settings a program may leave empty, which turns what they drive off.
OPTIONAL_NUMBERS: dict[str, tuple[int, int]] = {
    "no_meeting_alert_days": (1, 365),
    "match_length_months": (1, 60),
    # The waiting list: the longest a mentee should wait for a match.
    "waiting_target_days": (1, 730),
}

# The meeting requirement: so many meetings, or minutes, or both, per period.
REQUIREMENT_PERIODS: tuple[str, ...] = ("week", "month")
REQUIREMENT_MEETINGS: tuple[int, int] = (0, 50)
REQUIREMENT_MINUTES: tuple[int, int] = (0, 10_000)

# The program's own words for one signal's playbook entry.
PLAYBOOK_TEXT_MAX = 4000

# What a program is called and where it runs.
NAME_MAX = 200
SLUG_MAX = 80
SLUG_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
SLUG_RULE = "Use lowercase letters, digits and single hyphens, e.g. 'riverside-youth'."
DESCRIPTION_MAX = 5000
TIMEZONE_MAX = 64

# Mentee choice: how many of their best suggested mentors a mentee chooses among.
MENTEE_CHOICE_MENTORS: tuple[int, int] = (2, 5)

# Outcome measures: the months after activation the outcome survey is given again, each
# from 1 to 60, at most this many of them.
OUTCOME_MONTHS: tuple[int, int] = (1, 60)
OUTCOME_OCCASIONS_MAX = 10

# Matching criteria (workflows/matching.py): each off, preferred or required, with a weight.
MATCHING_MODES: tuple[str, ...] = ("off", "prefer", "require")
MATCHING_WEIGHT: tuple[int, int] = (0, 10)
