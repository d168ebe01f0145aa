from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from service.columns import created_at_column
from service.database import Model, db


class StaffRole(StrEnum):
    ADMIN = "admin"
    COORDINATOR = "coordinator"
    # Support staff see only the pairs assigned to them.
    SUPPORT = "support"


# What staff may choose to receive by e-mail; everything also lands in the in-app inbox.
# Safety alerts are always e-mailed: that one is not a preference.
EMAIL_KINDS: dict[str, str] = {
    "safety_alert": "Safety alerts (always sent)",
    "proposal_waiting": "A transition waits for my approval",
    "checkin_overdue": "A check-in is overdue",
    "staff_contact_due": "A check-in of mine is due",
    "meeting_requirement": "A pair falls below its meeting requirement",
    "rematch_suggested": "A pair still at risk a month after an intervention",
    "digest": "The daily digest",
    "webhook_disabled": "A webhook endpoint was disabled after failing",
    "safety_handover": "A pair with safety records changed coordinator",
    "background_check_expiring": "A mentor's background check expires soon",
}
ALWAYS_EMAILED = frozenset({"safety_alert"})


def default_email_preferences() -> dict[str, Any]:
    return {kind: kind != "staff_contact_due" for kind in EMAIL_KINDS}


class LoginFailure(Model):
    """No longer written: failed sign-ins are counted by the rate limiter in Redis. The table
    stays for one release, since the previous release writes it during a rollout; a later
    migration drops it (README, Upgrading)."""

    __tablename__ = "login_failures"
    __table_args__ = (sa.Index("ix_login_failures_email_at", "email", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254))
    address: Mapped[str | None] = mapped_column(sa.String(64))
    at: Mapped[datetime] = created_at_column()


pair_support = sa.Table(
    "pair_support",
    db.metadata,
    sa.Column("pair_id", sa.ForeignKey("pairs.id"), primary_key=True),
    sa.Column("user_id", sa.ForeignKey("users.id"), primary_key=True),
)
"""Support staff assigned to a pair: the only pairs they may open."""


class User(Model):
    """A member of staff: admin, coordinator or support."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    full_name: Mapped[str] = mapped_column(sa.String(200))
    role: Mapped[str] = mapped_column(sa.String(12))
    # Hashed with a memory-hard algorithm (scrypt); None until a password is set.
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    language: Mapped[str] = mapped_column(sa.String(16), default="en")
    email_preferences: Mapped[dict[str, Any]] = mapped_column(default=default_email_preferences)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = created_at_column()

    # Flask-Login
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)

    def wants_email(self, kind: str) -> bool:
        return kind in ALWAYS_EMAILED or bool(self.email_preferences.get(kind, True))


class SessionEnd(StrEnum):
    """Why a staff session was ended before its time ran out."""

    SIGNED_OUT = "signed_out"
    PASSWORD_CHANGED = "password_changed"
    DISABLED = "disabled"
    REVOKED = "revoked"


class StaffSession(Model):
    """A signed-in browser. The cookie carries a random secret; only its SHA-256 digest is
    kept here, so a copy of the database signs nobody in. Every console request checks its
    row: ended, idle too long or too old, and the cookie no longer works."""

    __tablename__ = "staff_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    secret_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = created_at_column()
    # Written at most once a minute, not on every request.
    last_seen_at: Mapped[datetime] = created_at_column()
    address: Mapped[str | None] = mapped_column(sa.String(64))
    user_agent: Mapped[str | None] = mapped_column(sa.String(255))
    ended_at: Mapped[datetime | None]
    ended_why: Mapped[str | None] = mapped_column(sa.String(20))
    ended_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))


class SavedView(Model):
    """A list as a member of staff likes to see it (its search, filters and order), under a
    name of theirs: one click on Monday instead of six."""

    __tablename__ = "saved_views"
    __table_args__ = (sa.UniqueConstraint("user_id", "list", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    # Which list of the console: "pairs", "proposals" or "inbox".
    list: Mapped[str] = mapped_column(sa.String(30))
    name: Mapped[str] = mapped_column(sa.String(80))
    # The list's address after its `?`: the search, filters and order, as the page reads them.
    query: Mapped[str] = mapped_column(sa.String(1000))
    created_at: Mapped[datetime] = created_at_column()
