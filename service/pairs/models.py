from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.actors import ActorRef
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
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(sa.ForeignKey("programs.id"))
    mentee_id: Mapped[int] = mapped_column(sa.ForeignKey("participants.id"))
    mentor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("participants.id"), index=True)
    state: Mapped[str] = mapped_column(sa.String(20), default=State.RECRUITED)
    # Every transition is a compare-and-set on this column; it is also the sequence
    # number of the pair's latest transition record.
    version: Mapped[int] = mapped_column(default=0)
    # The order of the pair's outbox events, for receivers that must order them.
    event_sequence: Mapped[int] = mapped_column(default=0)
    state_changed_at: Mapped[datetime] = created_at_column()
    created_at: Mapped[datetime] = created_at_column()
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
