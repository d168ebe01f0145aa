from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from service.columns import created_at_column
from service.database import Model


class Signal(Model):
    """A typed observation about a pair, with where it came from."""

    __tablename__ = "signals"
    __table_args__ = (sa.Index("ix_signals_pair_id_raised_at", "pair_id", "raised_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pair_id: Mapped[int] = mapped_column(sa.ForeignKey("pairs.id"))
    code: Mapped[str] = mapped_column(sa.String(40))
    category: Mapped[str] = mapped_column(sa.String(20))
    # survey, meeting, monitoring, inbound, api, coordinator
    source: Mapped[str] = mapped_column(sa.String(20))
    # The record that raised it, e.g. a survey response id; never the answer itself.
    source_id: Mapped[str | None] = mapped_column(sa.String(64))
    question: Mapped[str | None] = mapped_column(sa.String(64))
    raised_at: Mapped[datetime] = created_at_column()
