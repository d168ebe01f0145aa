"""The catalogue of signals: typed observations about a pair, with where they come from.

Warning signs say a relationship is not working; challenges are the ones mentors and
mentees commonly report; safety signals are the challenges that must never wait for a
coordinator's approval (the documentation's practice page names the sources).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class SignalCategory(StrEnum):
    WARNING_SIGN = "warning_sign"
    CHALLENGE = "challenge"
    SAFETY = "safety"
    MONITORING = "monitoring"
    COORDINATOR = "coordinator"


@dataclass(frozen=True)
class SignalType:
    code: str
    label: str
    category: SignalCategory
    # False for signals that concern staff rather than the relationship itself.
    flags_risk: bool = True

    @property
    def is_safety(self) -> bool:
        return self.category is SignalCategory.SAFETY


def _catalogue(*types: SignalType) -> dict[str, SignalType]:
    return {signal.code: signal for signal in types}


W, C, S, M = (
    SignalCategory.WARNING_SIGN,
    SignalCategory.CHALLENGE,
    SignalCategory.SAFETY,
    SignalCategory.MONITORING,
)

SIGNALS: dict[str, SignalType] = _catalogue(
    SignalType("missed_meetings", "Meetings are cancelled or missed", W),
    SignalType("last_minute_rescheduling", "Meetings are rearranged at the last minute", W),
    SignalType("no_progress_on_actions", "No progress on actions agreed in meetings", W),
    SignalType("distracted_or_cut_short", "Sessions are distracted or cut short", W),
    SignalType("one_side_not_contributing", "One side does not contribute in meetings", W),
    SignalType("too_busy_to_schedule", "Too busy to schedule catch-ups", C),
    SignalType("no_chemistry", "No chemistry, or skills and experience not aligned", C),
    SignalType("match_in_doubt", "After the first meeting, unsure it is a good match", C),
    SignalType("mentor_not_listening", "Mentor talks a lot and does not listen", C),
    SignalType("mentee_sees_no_progress", "Mentee does not feel they are making progress", C),
    SignalType("mentor_sees_no_progress", "Mentor does not feel the mentee is progressing", C),
    SignalType("mentee_unprepared", "Mentee comes to meetings unprepared", C),
    SignalType("mentee_ashamed_to_ask", "Mentee feels ashamed to ask for help", C),
    SignalType("mentor_pushing_risks", "Mentor pushes the mentee to take uncomfortable risks", C),
    SignalType("ambivalence", "Mentee is ambivalent about the program", C),
    SignalType("dependence", "Mentee depends too much on the mentor", C),
    SignalType("mentor_overstretched", "Mentor has taken on more than they can manage", C),
    SignalType("unrealistic_expectations", "Expectations of quick results are unrealistic", C),
    SignalType("harassment", "Harassment reported or observed", S),
    SignalType("inappropriate_relationship", "Inappropriate (intimate) relationship", S),
    SignalType("mentee_feels_unsafe", "Mentee feels unsafe", S),
    SignalType("safety_concern", "A safety concern was reported", S),
    SignalType("meeting_requirement_missed", "Below the program's meeting requirement", M),
    SignalType("rating_drop", "Relationship rating dropped sharply", M),
    SignalType("rating_divergence", "Mentor and mentee rate the relationship differently", M),
    # The program's closure-risk model: it asks a coordinator to look, and never flags the
    # pair by itself.
    SignalType("closure_risk_high", "High estimated risk of ending early", M, flags_risk=False),
    SignalType("checkin_overdue", "A staff check-in is overdue", M, flags_risk=False),
    SignalType("coordinator_flag", "Flagged by a coordinator", SignalCategory.COORDINATOR),
)


def is_known(code: str) -> bool:
    return code in SIGNALS


def is_safety(code: str) -> bool:
    signal = SIGNALS.get(code)
    return signal is not None and signal.is_safety
