from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from service.clock import now
from service.columns import created_at_column
from service.database import JSONType, Model
from workflows import matching as matching_criteria
from workflows.pairing import DEFAULT_APPROVAL_REQUIRED


class ProgramKind(StrEnum):
    LONG_TERM = "long_term"
    EVENT_BASED = "event_based"


def default_approval_required() -> list[str]:
    return sorted(DEFAULT_APPROVAL_REQUIRED)


def default_required_training() -> dict[str, Any]:
    # Mentors have a session of their own, mentees theirs, then a joint workshop.
    return {
        "mentor": ["mentor_orientation", "joint_workshop"],
        "mentee": ["mentee_orientation", "joint_workshop"],
    }


# Settings a program may turn off with null; applied when a program is created without them.
DEFAULT_OUTCOME_MONTHS = (6, 12)


def default_outcome_months() -> list[int]:
    return list(DEFAULT_OUTCOME_MONTHS)


OPTIONAL_DEFAULTS: dict[str, Any] = {"no_meeting_alert_days": 30, "match_length_months": 12}


class Program(Model):
    __tablename__ = "programs"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    description: Mapped[str] = mapped_column(sa.Text, default="")
    kind: Mapped[str] = mapped_column(sa.String(20), default=ProgramKind.LONG_TERM)
    # Youth programs involve a parent or guardian in monitoring.
    youth: Mapped[bool] = mapped_column(default=False)
    timezone: Mapped[str] = mapped_column(sa.String(64), default="UTC")
    approval_required: Mapped[list[str]] = mapped_column(default=default_approval_required)
    # Four-eyes: whoever filed a proposal may not approve it, unless the program says so.
    allow_self_approval: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    required_training: Mapped[dict[str, Any]] = mapped_column(default=default_required_training)
    # Pulse ratings (1-10): how far a rating may fall since the last check-in, and how far
    # mentor and mentee may disagree, before a signal is raised.
    rating_drop_threshold: Mapped[int] = mapped_column(default=3, server_default="3")
    rating_divergence_gap: Mapped[int] = mapped_column(default=3, server_default="3")
    # How long an invitation link stays valid.
    invitation_valid_days: Mapped[int] = mapped_column(default=14, server_default="14")
    # The calendar (workflows/cadence.py).
    cadence_policy: Mapped[str] = mapped_column(
        sa.String(20), default="mentor_eep", server_default="mentor_eep"
    )
    reminder_after_days: Mapped[int] = mapped_column(default=3, server_default="3")
    reminders_max: Mapped[int] = mapped_column(default=1, server_default="1")
    staff_contact_grace_days: Mapped[int] = mapped_column(default=7, server_default="7")
    # No participant gets two check-ins closer than this: the later one merges into the first.
    checkin_spacing_days: Mapped[int] = mapped_column(default=7, server_default="7")
    # E.g. {"period": "week", "meetings": 1} or {"period": "month", "minutes": 240}.
    meeting_requirement: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    # None turns these off; their defaults are in OPTIONAL_DEFAULTS, since the ORM would
    # replace an explicit None with a column default.
    no_meeting_alert_days: Mapped[int | None]
    match_length_months: Mapped[int | None]
    # How long before the planned end the closure is proposed, so the mentee is told in time.
    closure_notice_days: Mapped[int] = mapped_column(default=30, server_default="30")
    # Event-based programs: the day of the event the follow-ups count from.
    event_on: Mapped[date | None]
    # A re-match waits this long after the final interaction.
    rematch_buffer_days: Mapped[int] = mapped_column(default=14, server_default="14")
    # Warning signs from meeting events: this many cancellations or no-shows
    # within the window flag the pair; less notice than this is a last-minute change.
    cancellations_to_flag: Mapped[int] = mapped_column(default=3, server_default="3")
    cancellation_window_days: Mapped[int] = mapped_column(default=30, server_default="30")
    late_notice_hours: Mapped[int] = mapped_column(default=24, server_default="24")
    # Insights: no figure drawn from fewer pairs or respondents than this is shown or
    # exported, so nobody can be singled out.
    insights_min_group: Mapped[int] = mapped_column(default=5, server_default="5")
    # The closure-risk model: fitted only from this many ended matches, and a pair whose
    # chance of ending early within six months reaches the threshold (percent) is flagged.
    risk_min_closed_matches: Mapped[int] = mapped_column(default=50, server_default="50")
    risk_threshold_percent: Mapped[int] = mapped_column(default=30, server_default="30")
    # The program's own words for the playbook (workflows/playbook.py), by signal.
    playbook: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")
    # Matching criteria, by name (workflows/matching.py): {"mode": off|prefer|require,
    # "weight": 0-10}; a criterion left out is at its default.
    matching: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")
    # Screening a mentor (workflows/intake.py): a passed, unexpired background check always;
    # an interview and references when these say so.
    screening_interview: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    screening_references: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    # The waiting list: how long a mentee should wait for a match at most; None: no target.
    waiting_target_days: Mapped[int | None]
    # Mentee choice: a coordinator may e-mail a waiting mentee a link to choose among their
    # best suggested mentors (this many, frozen when sent); the choice is the pair's match.
    mentee_choice: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    mentee_choice_mentors: Mapped[int] = mapped_column(default=3, server_default="3")
    # Outcome measures: the mentee's outcome survey at activation (the baseline), at these
    # months after it, and at closure; off unless the program turns it on.
    outcome_measures: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    outcome_months: Mapped[list[int]] = mapped_column(
        JSONType, default=default_outcome_months, server_default="[6, 12]"
    )
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = mapped_column(default=now, onupdate=now)

    @property
    def matching_rules(self) -> dict[str, dict[str, Any]]:
        """Every matching criterion's mode and weight, those never set at their default."""
        return matching_criteria.merged(self.matching, None)

    @matching_rules.setter
    def matching_rules(self, changes: dict[str, dict[str, Any]]) -> None:
        # A change may name some criteria only, or only a mode: the rest stays.
        self.matching = matching_criteria.merged(self.matching, changes)
