"""What a pair's flows accept, declared once for the API's schemas and the console's forms
(`tests/console/test_form_bounds.py` checks both sides read these)."""

from __future__ import annotations

# Why a transition is asked for (a proposal's reason, a withdrawal's, a flag's).
REASON_MAX = 5000
# Why a re-match does not wait for the program's buffer after the final interaction.
BUFFER_OVERRIDE_REASON: tuple[int, int] = (1, 2000)
# Who accepted the introduction.
ROLES: tuple[str, ...] = ("mentor", "mentee")
# An intervention: what was done, and with whom.
INTERVENTION_DESCRIPTION: tuple[int, int] = (1, 5000)
INTERVENTION_APPROACHES: tuple[str, ...] = ("individual", "pair", "group", "other")
# A pause: what the coordinator notes about it.
PAUSE_NOTE_MAX = 2000
# The mentoring agreement: how often and how the pair meets, their ground rules, how they
# handle "chemistry" problems, and their goals (each named in the pair's surveys).
AGREEMENT_MEETING: tuple[int, int] = (1, 200)
AGREEMENT_TEXT: tuple[int, int] = (1, 4000)
AGREEMENT_GOAL: tuple[int, int] = (1, 200)
AGREEMENT_GOALS: tuple[int, int] = (1, 10)
# Progress on a goal, as the surveys ask it: 1 not started … 4 achieved.
GOAL_PROGRESS: dict[int, str] = {
    1: "Not started yet",
    2: "Some progress",
    3: "Good progress",
    4: "Achieved",
}
# A group check-in: a coordinator meets several pairs at once.
GROUP_CHECKIN_PAIRS: tuple[int, int] = (2, 50)
GROUP_CHECKIN_NOTES = 5000
