from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.actors import ActorRef
from service.clock import now
from service.columns import actor_composite, created_at_column
from service.database import JSONType, Model

if TYPE_CHECKING:
    from service.programs.models import Program


class Role(StrEnum):
    MENTOR = "mentor"
    MENTEE = "mentee"
    GUARDIAN = "guardian"


class Participant(Model):
    __tablename__ = "participants"
    __table_args__ = (
        sa.UniqueConstraint("program_id", "role", "email"),
        # A program's participants by id: keyset pages are an index range.
        sa.Index("ix_participants_program_id_id", "program_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(sa.ForeignKey("programs.id"))
    role: Mapped[str] = mapped_column(sa.String(10))
    full_name: Mapped[str] = mapped_column(sa.String(200))
    email: Mapped[str] = mapped_column(sa.String(254))
    phone: Mapped[str | None] = mapped_column(sa.String(40))
    language: Mapped[str] = mapped_column(sa.String(16), default="en")
    # How many mentees a mentor takes on at once.
    capacity: Mapped[int] = mapped_column(default=1)
    guardian_of_id: Mapped[int | None] = mapped_column(sa.ForeignKey("participants.id"))
    goals: Mapped[list[str]] = mapped_column(default=list)
    skills: Mapped[list[str]] = mapped_column(default=list)
    availability: Mapped[str] = mapped_column(sa.Text, default="")
    # What matching compares besides goals, skills and availability (workflows/matching.py):
    # languages spoken besides `language`, where they live and their time zone, their gender
    # and, for mentees, the mentor's gender they ask for; a family or household name (two
    # people with the same one are never paired) and the ids of participants they must never
    # be paired with.
    languages: Mapped[list[str]] = mapped_column(default=list, server_default="[]")
    location: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")
    timezone: Mapped[str | None] = mapped_column(sa.String(64))
    gender: Mapped[str | None] = mapped_column(sa.String(40))
    gender_preference: Mapped[str | None] = mapped_column(sa.String(40))
    household: Mapped[str | None] = mapped_column(sa.String(100))
    conflicts: Mapped[list[int]] = mapped_column(JSONType, default=list, server_default="[]")
    active: Mapped[bool] = mapped_column(default=True)
    # Intake and screening (workflows/intake.py): applied, screening, approved, declined or
    # withdrawn. Only approved mentors are offered by matching. Anyone added directly, not
    # through an application, is approved: a coordinator vouches for them.
    intake_state: Mapped[str] = mapped_column(
        sa.String(12), default="approved", server_default="approved"
    )
    # Bumped when a pair takes one of this mentor's places, so that two concurrent
    # matches to one mentor are serialised by the row lock and cannot exceed capacity.
    placement_version: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = mapped_column(default=now, onupdate=now)

    program: Mapped[Program] = relationship()


class Screening(Model):
    """What screening an applicant found: the application, an interview, references, a
    background check's result and expiry (the check itself is done elsewhere) and, for a
    minor, a parent's or guardian's consent. One row per applicant, kept after approval so
    the check's expiry can be watched."""

    __tablename__ = "screenings"
    __table_args__ = (
        # The sweep looks for checks nearing expiry: an index range.
        sa.Index("ix_screenings_background_check_expires_on", "background_check_expires_on"),
    )

    participant_id: Mapped[int] = mapped_column(sa.ForeignKey("participants.id"), primary_key=True)
    applied_on: Mapped[date | None]
    application: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    interview_on: Mapped[date | None]
    interview_notes: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    references_on: Mapped[date | None]
    references_notes: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    background_check: Mapped[str | None] = mapped_column(sa.String(10))
    background_check_expires_on: Mapped[date | None]
    # The expiry date the coordinator was last reminded of: once per check.
    expiry_reminded_for: Mapped[date | None]
    guardian_consent_on: Mapped[date | None]
    guardian_consent_by: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    updated_at: Mapped[datetime] = mapped_column(default=now, onupdate=now)


class IntakeRecord(Model):
    """Intake's audit trail: one row per applied transition, with who, when and why."""

    __tablename__ = "intake_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(sa.ForeignKey("participants.id"), index=True)
    trigger: Mapped[str] = mapped_column(sa.String(20))
    from_state: Mapped[str | None] = mapped_column(sa.String(12))
    to_state: Mapped[str] = mapped_column(sa.String(12))
    actor: Mapped[ActorRef] = actor_composite("actor")
    reason: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = created_at_column()


class WaitingNotice(Model):
    """A kind word to a mentee who has waited long: once per wait and threshold."""

    __tablename__ = "waiting_notices"
    __table_args__ = (sa.UniqueConstraint("participant_id", "waiting_since", "threshold_days"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(sa.ForeignKey("participants.id"))
    waiting_since: Mapped[datetime]
    threshold_days: Mapped[int]
    sent_at: Mapped[datetime] = created_at_column()
