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
