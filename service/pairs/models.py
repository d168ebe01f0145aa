from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.actors import ActorRef
from service.clock import now
from service.columns import actor_composite, created_at_column
from service.database import Model
from workflows.pairing import TERMINAL_STATES, State

if TYPE_CHECKING:
    from service.accounts.models import User
    from service.participants.models import Participant
    from service.programs.models import Program

_OPEN = sa.text("state NOT IN (" + ", ".join(f"'{s.value}'" for s in sorted(TERMINAL_STATES)) + ")")


class Pair(Model):
    __tablename__ = "pairs"
    __table_args__ = (
        # Keyset pages by id, filtered by program, state or both: each an index range.
        sa.Index("ix_pairs_program_id_state_id", "program_id", "state", "id"),
        sa.Index("ix_pairs_program_id_id", "program_id", "id"),
        sa.Index("ix_pairs_state_id", "state", "id"),
        # A mentee is in at most one open pair; a re-match closes the old one first.
        sa.Index(
            "uq_pairs_open_mentee",
            "mentee_id",
            unique=True,
            sqlite_where=_OPEN,
            postgresql_where=_OPEN,
        ),
        # The pairs whose calendar waits to be redrawn: few at any time, found by the sweep.
        sa.Index(
            "ix_pairs_calendar_stale",
            "id",
            sqlite_where=sa.text("calendar_stale = 1"),
            postgresql_where=sa.text("calendar_stale"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(sa.ForeignKey("programs.id"))
    # Indexed beside the open-pair unique index: the waiting list and the profile read a
    # mentee's closed pairs too.
    mentee_id: Mapped[int] = mapped_column(sa.ForeignKey("participants.id"), index=True)
    mentor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("participants.id"), index=True)
    state: Mapped[str] = mapped_column(sa.String(20), default=State.RECRUITED)
    # Every transition is a compare-and-set on this column; it is also the sequence
    # number of the pair's latest transition record.
    version: Mapped[int] = mapped_column(default=0)
    # The order of the pair's outbox events, for receivers that must order them.
    event_sequence: Mapped[int] = mapped_column(default=0)
    # The pair moved since its calendar was drawn: the sweep redraws it (and makes no contact
    # from it until then), or the first read of the calendar does. A transition only sets it,
    # in its compare-and-set, so that redrawing is not part of the transition's work.
    calendar_stale: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    state_changed_at: Mapped[datetime] = created_at_column()
    created_at: Mapped[datetime] = created_at_column()
    # Any change to the row, by the ORM or a Core UPDATE: what the warehouse export
    # (service/insights/warehouse.py) reads to send only the pairs changed since last time.
    updated_at: Mapped[datetime] = mapped_column(default=now, onupdate=now)
    predecessor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("pairs.id"))
    successor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("pairs.id"))
    mentor_accepted_at: Mapped[datetime | None]
    mentee_accepted_at: Mapped[datetime | None]
    final_session_on: Mapped[date | None]
    # The coordinator who looks after the pair: alerts and the digest go to them.
    coordinator_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    # Anchors of the program calendar.
    matched_at: Mapped[datetime | None]
    activated_at: Mapped[datetime | None]
    planned_end_on: Mapped[date | None]
    closure_reason: Mapped[str | None] = mapped_column(sa.String(20))
    closed_at: Mapped[datetime | None]
    # The latest pause (a recorded hold, see workflows/cadence.py): from, and until (not
    # included; the day the pair resumes). Kept after it ends: the calendar counts from it.
    paused_from: Mapped[date | None]
    paused_until: Mapped[date | None]
    # How many goals the pair's mentoring agreement holds (kept by `pairs.agreement`): a
    # survey page asks about the goals only when there are some, so the many pages of pairs
    # without any send no query for them.
    agreed_goals: Mapped[int] = mapped_column(default=0, server_default="0")

    # One row each, loaded on first use like `session.get` (from the identity map when it is
    # there already); a query over many pairs that reads them loads them with the pairs.
    program: Mapped[Program] = relationship(foreign_keys=[program_id])
    mentee: Mapped[Participant] = relationship(foreign_keys=[mentee_id])
    mentor: Mapped[Participant | None] = relationship(foreign_keys=[mentor_id])
    coordinator: Mapped[User | None] = relationship(foreign_keys=[coordinator_id])
    # Written with Core statements (service/pairs/staffing.py), so read-only here; never
    # loaded unasked, since a list of pairs would load it once per pair.
    support_staff: Mapped[list[User]] = relationship(
        secondary="pair_support", viewonly=True, lazy="raise"
    )

    @property
    def is_open(self) -> bool:
        return State(self.state) not in TERMINAL_STATES


class TransitionRecord(Model):
    """The audit trail: one row per applied transition, numbered without gaps per pair."""

    __tablename__ = "transition_records"
    __table_args__ = (sa.UniqueConstraint("pair_id", "sequence"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pair_id: Mapped[int] = mapped_column(sa.ForeignKey("pairs.id"))
    sequence: Mapped[int]
    trigger: Mapped[str] = mapped_column(sa.String(20))
    from_state: Mapped[str] = mapped_column(sa.String(20))
    to_state: Mapped[str] = mapped_column(sa.String(20))
    actor: Mapped[ActorRef] = actor_composite("actor")
    reason: Mapped[str | None] = mapped_column(sa.Text)
    signals: Mapped[list[str]] = mapped_column(default=list)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    proposal_id: Mapped[int | None] = mapped_column(sa.ForeignKey("proposals.id"))
    created_at: Mapped[datetime] = created_at_column()


class Intervention(Model):
    """What a coordinator did about a pair's trouble (the playbook's record)."""

    __tablename__ = "interventions"

    id: Mapped[int] = mapped_column(primary_key=True)
    pair_id: Mapped[int] = mapped_column(sa.ForeignKey("pairs.id"), index=True)
    description: Mapped[str] = mapped_column(sa.Text)
    approach: Mapped[str | None] = mapped_column(sa.String(20))
    signal: Mapped[str | None] = mapped_column(sa.String(40))
    follow_up_on: Mapped[date | None]
    recorded_by: Mapped[ActorRef] = actor_composite("recorded_by")
    created_at: Mapped[datetime] = created_at_column()


class Pause(Model):
    """A pause a coordinator recorded: why, and from when until when."""

    __tablename__ = "pauses"

    id: Mapped[int] = mapped_column(primary_key=True)
    pair_id: Mapped[int] = mapped_column(sa.ForeignKey("pairs.id"), index=True)
    reason: Mapped[str] = mapped_column(sa.String(20))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    recorded_by: Mapped[ActorRef] = actor_composite("recorded_by")
    created_at: Mapped[datetime] = created_at_column()


class StaffPost(StrEnum):
    """What a member of staff is on a pair."""

    COORDINATOR = "coordinator"
    SUPPORT = "support"


class StaffChange(Model):
    """One change of who looks after a pair: its coordinator, or one member of its support
    staff (from nobody: added; to nobody: removed). Who made it is kept with it."""

    __tablename__ = "staff_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    pair_id: Mapped[int] = mapped_column(sa.ForeignKey("pairs.id"), index=True)
    role: Mapped[str] = mapped_column(sa.String(12))
    from_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    to_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    changed_by: Mapped[ActorRef] = actor_composite("changed_by")
    created_at: Mapped[datetime] = created_at_column()


class MentoringAgreement(Model):
    """The road map a pair agrees at the joint workshop: how often and how they meet, their
    ground rules, and how they will handle "chemistry" problems. Its goals are rows of their
    own (`AgreementGoal`), so progress on each can be followed over time."""

    __tablename__ = "mentoring_agreements"

    id: Mapped[int] = mapped_column(primary_key=True)
    pair_id: Mapped[int] = mapped_column(sa.ForeignKey("pairs.id"), unique=True)
    agreed_on: Mapped[date]
    meeting_frequency: Mapped[str] = mapped_column(sa.String(200))
    meeting_format: Mapped[str] = mapped_column(sa.String(200))
    ground_rules: Mapped[str] = mapped_column(sa.Text)
    chemistry_plan: Mapped[str] = mapped_column(sa.Text)
    recorded_by: Mapped[ActorRef] = actor_composite("recorded_by")
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = created_at_column()


class AgreementGoal(Model):
    """One goal of a pair's agreement. A goal dropped when the agreement is revisited is
    retired, not deleted: the progress reported on it stays readable."""

    __tablename__ = "agreement_goals"

    id: Mapped[int] = mapped_column(primary_key=True)
    pair_id: Mapped[int] = mapped_column(sa.ForeignKey("pairs.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    position: Mapped[int]
    created_at: Mapped[datetime] = created_at_column()
    retired_at: Mapped[datetime | None]


class GoalProgress(Model):
    """Progress on one goal as someone reported it: in a meeting log, a check-in, or a
    coordinator's check-in (1 not started … 4 achieved)."""

    __tablename__ = "goal_progress"

    id: Mapped[int] = mapped_column(primary_key=True)
    goal_id: Mapped[int] = mapped_column(sa.ForeignKey("agreement_goals.id"), index=True)
    pair_id: Mapped[int] = mapped_column(sa.ForeignKey("pairs.id"), index=True)
    response_id: Mapped[int | None] = mapped_column(sa.ForeignKey("survey_responses.id"))
    respondent_role: Mapped[str] = mapped_column(sa.String(12))
    rating: Mapped[int]
    recorded_at: Mapped[datetime] = created_at_column()
