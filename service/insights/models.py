from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from service.clock import now
from service.database import JSONType, Model


class RiskModel(Model):
    """A program's closure-risk model: the latest fit (or why there is none), how it did on
    the hold-out, and the pairs its latest scoring flagged. One row per program, replaced by
    each fit."""

    __tablename__ = "risk_models"

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(sa.ForeignKey("programs.id"), unique=True)
    # fitted, or refused (too few ended matches: `detail` says how many of how many).
    status: Mapped[str] = mapped_column(sa.String(20))
    detail: Mapped[str] = mapped_column(sa.Text, default="")
    as_of: Mapped[date]
    closed_matches: Mapped[int] = mapped_column(default=0)
    # workflows.risk.CoxModel.as_dict(), fitted on every pair; None when refused.
    model: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    # Concordance, screening and calibration on the time-based hold-out.
    validation: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    fitted_at: Mapped[datetime] = mapped_column(default=now)
    # The latest scoring: [{"pair_id", "risk", "factors": [[feature, contribution], ...]}].
    flagged: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    scored_at: Mapped[datetime | None]
