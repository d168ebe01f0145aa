from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from service.actors import ActorRef
from service.clock import now
from service.columns import actor_composite, created_at_column
from service.database import JSONType, Model


class OfferOutcome(StrEnum):
    CHOSEN = "chosen"  # the mentee chose: the pair is matched
    PROPOSED = "proposed"  # the mentee chose: the match waits for a coordinator's approval
    REPLACED = "replaced"  # a newer offer went to the mentee


class ChoiceOffer(Model):
    """A signed, expiring, single-use link for a waiting mentee to choose their mentor among
    their best suggestions, frozen as they stood when it was sent."""

    __tablename__ = "choice_offers"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Random and unique: part of the signed token, so each link is distinct and unguessable.
    nonce: Mapped[str] = mapped_column(sa.String(32), unique=True)
    pair_id: Mapped[int] = mapped_column(sa.ForeignKey("pairs.id"), index=True)
    mentee_id: Mapped[int] = mapped_column(sa.ForeignKey("participants.id"))
    # The mentors offered, best first: {"mentor_id", "first_name", "score", "reasons",
    # "in_common"}; what the mentee reads is `first_name` and `in_common` only.
    options: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    expires_at: Mapped[datetime]
    # Set once, by compare-and-set, when the link has done its job (or was replaced).
    used_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(sa.String(12))
    chosen_mentor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("participants.id"))
    created_by: Mapped[ActorRef] = actor_composite("created_by")
    created_at: Mapped[datetime] = created_at_column()

    @property
    def status(self) -> str:
        """open, expired, or what became of it (chosen, proposed, replaced)."""
        if self.outcome:
            return self.outcome
        return "expired" if self.expires_at <= now() else "open"
