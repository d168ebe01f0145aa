from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from service.columns import created_at_column
from service.database import Model


class TrainingSession(StrEnum):
    # Mentors first meet separately from mentees, then together.
    MENTOR_ORIENTATION = "mentor_orientation"
    MENTEE_ORIENTATION = "mentee_orientation"
    JOINT_WORKSHOP = "joint_workshop"
    # Parents and guardians of young mentees learn the program's rules and their part in it.
    GUARDIAN_ORIENTATION = "guardian_orientation"
    # A re-matched mentor gets an extra session for that match.
    REMATCH_BRIEFING = "rematch_briefing"


class TrainingRecord(Model):
    __tablename__ = "training_records"
    __table_args__ = (sa.Index("ix_training_records_participant_id", "participant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(sa.ForeignKey("participants.id"))
    session: Mapped[str] = mapped_column(sa.String(40))
    # Set for sessions that belong to one match (the re-match briefing).
    pair_id: Mapped[int | None] = mapped_column(sa.ForeignKey("pairs.id"))
    completed_on: Mapped[date]
    # What the session covered (for example "safety", "boundaries", "goal setting").
    topics: Mapped[list[str]] = mapped_column(default=list)
    created_at: Mapped[datetime] = created_at_column()
