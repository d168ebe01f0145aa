"""Server-side records of staff sessions: what makes a captured cookie useless once its
session is over (signed out, password changed, account disabled, revoked, idle, too old).

The signed cookie carries a random secret; the table keeps its SHA-256 digest. Idle and
absolute expiry follow from the timestamps and are computed on each request, not stored.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from service.accounts.models import SessionEnd, StaffRole, StaffSession, User
from service.clock import now
from service.database import db, rowcount, transaction
from service.errors import NotFound

# Writing `last_seen_at` on every request would turn every page view into a write.
LAST_SEEN_RESOLUTION = timedelta(minutes=1)
# Ended sessions are kept this long for the sessions pages, then deleted at a sign-in.
KEEP_ENDED = timedelta(days=90)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _limits() -> tuple[timedelta, timedelta]:
    config = current_app.config
    return config["SESSION_IDLE_TIMEOUT"], config["SESSION_MAX_AGE"]


def _live(moment: datetime) -> sa.ColumnElement[bool]:
    """Rows of sessions that still work at `moment`."""
    idle, max_age = _limits()
    return sa.and_(
        StaffSession.ended_at.is_(None),
        StaffSession.last_seen_at > moment - idle,
        StaffSession.created_at > moment - max_age,
    )


def start(*, user_id: int, address: str | None, user_agent: str | None) -> str:
    """A new session for a user who just proved who they are; returns the cookie's secret."""
    secret = secrets.token_urlsafe(32)
    moment = now()
    with transaction():
        db.session.execute(
            sa.delete(StaffSession).where(
                StaffSession.user_id == user_id,
                sa.or_(
                    StaffSession.ended_at < moment - KEEP_ENDED,
                    StaffSession.created_at < moment - KEEP_ENDED,
                ),
            )
        )
        db.session.add(
            StaffSession(
                secret_hash=_digest(secret),
                user_id=user_id,
                created_at=moment,
                last_seen_at=moment,
                address=address,
                user_agent=(user_agent or "")[:255] or None,
            )
        )
    return secret


def resume(secret: str | None, *, user_id: int) -> tuple[User, StaffSession] | None:
    """The user and session a cookie names, if the session still works; None otherwise."""
    if not secret:
        return None
    moment = now()
    found = db.session.execute(
        sa.select(StaffSession, User)
        .join(User, User.id == StaffSession.user_id)
        .where(StaffSession.secret_hash == _digest(secret), _live(moment))
    ).first()
    if found is None:
        return None
    record, user = found
    if record.user_id != user_id or not user.active:
        return None
    if moment - record.last_seen_at > LAST_SEEN_RESOLUTION:
        db.session.execute(
            sa.update(StaffSession)
            .where(StaffSession.id == record.id)
            .values(last_seen_at=moment)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
    return user, record


def end_current(secret: str | None) -> None:
    """Signing out: the session this cookie names ends."""
    if not secret:
        return
    with transaction():
        db.session.execute(
            sa.update(StaffSession)
            .where(StaffSession.secret_hash == _digest(secret), StaffSession.ended_at.is_(None))
            .values(ended_at=now(), ended_why=SessionEnd.SIGNED_OUT)
            .execution_options(synchronize_session=False)
        )


def end_all(*, user_id: int, why: SessionEnd, by_user_id: int | None = None) -> int:
    """End every session of a user, in the caller's transaction. Returns how many."""
    ended = db.session.execute(
        sa.update(StaffSession)
        .where(StaffSession.user_id == user_id, StaffSession.ended_at.is_(None))
        .values(ended_at=now(), ended_why=why, ended_by_id=by_user_id)
        .execution_options(synchronize_session=False)
    )
    return rowcount(ended)


def revoke(*, session_id: int, by: User) -> StaffSession:
    """End one session: its owner may, and so may an admin."""
    with transaction():
        record = db.session.get(StaffSession, session_id)
        if record is None or (record.user_id != by.id and by.role != StaffRole.ADMIN):
            raise NotFound.of("session", session_id)
        if record.ended_at is None:
            record.ended_at = now()
            record.ended_why = SessionEnd.REVOKED
            record.ended_by_id = by.id
    return record


def revoke_others(*, user: User, keep_session_id: int) -> int:
    """'Sign out everywhere else': every session of `user` but this browser's."""
    with transaction():
        ended = db.session.execute(
            sa.update(StaffSession)
            .where(
                StaffSession.user_id == user.id,
                StaffSession.id != keep_session_id,
                StaffSession.ended_at.is_(None),
            )
            .values(ended_at=now(), ended_why=SessionEnd.REVOKED, ended_by_id=user.id)
            .execution_options(synchronize_session=False)
        )
    return rowcount(ended)


@dataclass(frozen=True)
class SessionView:
    """A session as the sessions pages show it."""

    id: int
    created_at: datetime
    last_seen_at: datetime
    address: str | None
    user_agent: str | None
    expires_at: datetime


def live_sessions(*, user_id: int) -> list[SessionView]:
    """A user's sessions that still work, the most recently used first."""
    moment = now()
    idle, max_age = _limits()
    records = db.session.scalars(
        sa.select(StaffSession)
        .where(StaffSession.user_id == user_id, _live(moment))
        .order_by(StaffSession.last_seen_at.desc(), StaffSession.id.desc())
    )
    return [
        SessionView(
            id=r.id,
            created_at=r.created_at,
            last_seen_at=r.last_seen_at,
            address=r.address,
            user_agent=r.user_agent,
            expires_at=min(r.last_seen_at + idle, r.created_at + max_age),
        )
        for r in records
    ]


def live_counts() -> dict[int, int]:
    """How many working sessions each user has (for the staff list)."""
    rows = db.session.execute(
        sa.select(StaffSession.user_id, sa.func.count())
        .where(_live(now()))
        .group_by(StaffSession.user_id)
    )
    return {user_id: count for user_id, count in rows}
