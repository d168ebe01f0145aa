from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.actors import ActorRef
from service.columns import actor_composite, created_at_column
from service.database import Model

if TYPE_CHECKING:
    from service.pairs.models import Pair
    from service.participants.models import Participant
    from service.programs.models import Program

_STANDARD = sa.text("program_id IS NULL")
_PROGRAM = sa.text("program_id IS NOT NULL")


class SurveyVersion(Model):
    """One version of a survey definition, as authored. Answers point at the version they
    were given under, so old answers always read with their own questions."""

    __tablename__ = "survey_versions"
    __table_args__ = (
        sa.Index(
            "uq_survey_versions_standard",
            "survey_key",
            "version",
            unique=True,
            sqlite_where=_STANDARD,
            postgresql_where=_STANDARD,
        ),
        sa.Index(
            "uq_survey_versions_program",
            "survey_key",
            "program_id",
            "version",
            unique=True,
            sqlite_where=_PROGRAM,
            postgresql_where=_PROGRAM,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_key: Mapped[str] = mapped_column(sa.String(60))
    # None for the standard set shipped in surveys/definitions.
    program_id: Mapped[int | None] = mapped_column(sa.ForeignKey("programs.id"))
    version: Mapped[int]
    definition: Mapped[dict[str, Any]]
    created_by: Mapped[ActorRef] = actor_composite("created_by")
    created_at: Mapped[datetime] = created_at_column()

    # None for the standard set.
    program: Mapped[Program | None] = relationship()


class Invitation(Model):
    """A signed, expiring, single-use link to one survey for one participant (and pair)."""

    __tablename__ = "invitations"
    __table_args__ = (sa.Index("ix_invitations_participant_id", "participant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Random and unique: part of the signed token, so each link is distinct and unguessable.
    nonce: Mapped[str] = mapped_column(sa.String(32), unique=True)
    survey_version_id: Mapped[int] = mapped_column(sa.ForeignKey("survey_versions.id"))
    participant_id: Mapped[int] = mapped_column(sa.ForeignKey("participants.id"))
    pair_id: Mapped[int | None] = mapped_column(sa.ForeignKey("pairs.id"), index=True)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    # A fresh link sent after this one expired.
    reissued_from_id: Mapped[int | None] = mapped_column(sa.ForeignKey("invitations.id"))
    # What the calendar sent an outcome survey for: "baseline", "month_6", "closure"; the
    # outcomes report pairs a participant's answers by it. None for every other survey.
    occasion: Mapped[str | None] = mapped_column(sa.String(20))
    created_by: Mapped[ActorRef] = actor_composite("created_by")
    created_at: Mapped[datetime] = created_at_column()

    survey_version: Mapped[SurveyVersion] = relationship()
    participant: Mapped[Participant] = relationship()
    pair: Mapped[Pair | None] = relationship()


class SurveyResponse(Model):
    __tablename__ = "survey_responses"
    __table_args__ = (
        sa.Index("ix_survey_responses_pair_id_submitted_at", "pair_id", "submitted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # One response per invitation: a double submit stores one. None for records staff
    # make themselves (a coordinator's check-in).
    invitation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("invitations.id"), unique=True)
    survey_version_id: Mapped[int] = mapped_column(sa.ForeignKey("survey_versions.id"))
    survey_key: Mapped[str] = mapped_column(sa.String(60))
    purpose: Mapped[str] = mapped_column(sa.String(30))
    participant_id: Mapped[int | None] = mapped_column(sa.ForeignKey("participants.id"))
    respondent_role: Mapped[str] = mapped_column(sa.String(12))
    recorded_by: Mapped[ActorRef | None] = actor_composite("recorded_by", nullable=True)
    pair_id: Mapped[int | None] = mapped_column(sa.ForeignKey("pairs.id"))
    answers: Mapped[dict[str, Any]]
    # The 1-10 relationship rating, kept apart so trends are one indexed query.
    pulse_rating: Mapped[int | None]
    submitted_at: Mapped[datetime] = created_at_column()

    invitation: Mapped[Invitation | None] = relationship()
    survey_version: Mapped[SurveyVersion] = relationship()
    participant: Mapped[Participant | None] = relationship()
    pair: Mapped[Pair | None] = relationship()


class GroupCheckin(Model):
    """A coordinator's check-in with several pairs at once (the group approach): one record
    for all of them, which counts as the coordinator's contact with each pair."""

    __tablename__ = "group_checkins"

    id: Mapped[int] = mapped_column(primary_key=True)
    held_on: Mapped[date]
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    recorded_by: Mapped[ActorRef] = actor_composite("recorded_by")
    created_at: Mapped[datetime] = created_at_column()


class GroupCheckinPair(Model):
    """One pair a group check-in covered."""

    __tablename__ = "group_checkin_pairs"

    group_checkin_id: Mapped[int] = mapped_column(
        sa.ForeignKey("group_checkins.id"), primary_key=True
    )
    pair_id: Mapped[int] = mapped_column(sa.ForeignKey("pairs.id"), primary_key=True, index=True)
