"""Why matches end: the reasons mentoring practice names for relationships that stop
working, and the ordinary ends (a move, the program's planned end). Every closure and
re-match records them from the mentor's, the mentee's and the coordinator's point of view:
a primary reason and any others, so that a program can learn from how its matches end.
Pure: no database.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class EndingReason(StrEnum):
    LACK_OF_TIME = "lack_of_time"
    POOR_COMMUNICATION = "poor_communication"
    LACK_OF_FEEDBACK = "lack_of_feedback"
    PERSONALITY_MISMATCH = "personality_mismatch"
    INCOMPATIBLE_GOALS = "incompatible_goals"
    LACK_OF_COMMITMENT = "lack_of_commitment"
    MENTEE_RELUCTANCE = "mentee_reluctance"
    PERCEIVED_COMPETITION = "perceived_competition"
    MOVE_OR_LIFE_CHANGE = "move_or_life_change"
    FAMILY_OR_GUARDIAN = "family_or_guardian"
    PROGRAM_ENDED = "program_ended"
    SAFETY = "safety"


LABELS: dict[EndingReason, str] = {
    EndingReason.LACK_OF_TIME: "Lack of time",
    EndingReason.POOR_COMMUNICATION: "Poor communication",
    EndingReason.LACK_OF_FEEDBACK: "Lack of feedback",
    EndingReason.PERSONALITY_MISMATCH: "Mismatch of personalities",
    EndingReason.INCOMPATIBLE_GOALS: "Incompatible goals or expectations",
    EndingReason.LACK_OF_COMMITMENT: "Lack of commitment",
    EndingReason.MENTEE_RELUCTANCE: "The mentee was reluctant to own their development",
    EndingReason.PERCEIVED_COMPETITION: "Perceived (or real) competition",
    EndingReason.MOVE_OR_LIFE_CHANGE: "A move or another change in life",
    EndingReason.FAMILY_OR_GUARDIAN: "Family or guardian issues",
    EndingReason.PROGRAM_ENDED: "The program came to its planned end",
    EndingReason.SAFETY: "Safety",
}


class Viewpoint(StrEnum):
    """Whose account of the ending it is."""

    MENTOR = "mentor"
    MENTEE = "mentee"
    COORDINATOR = "coordinator"


def is_confidential(reasons: Iterable[str]) -> bool:
    """An ending for safety is a safety record: it never leaves the service."""
    return EndingReason.SAFETY in set(reasons)
