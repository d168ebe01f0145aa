"""Named, expiring locks in the database: at most one holder at a time, across processes."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from service.clock import now
from service.database import db, rowcount
from service.events.models import Lease


def acquire(name: str, holder: str, ttl: timedelta) -> bool:
    """Take or renew the lease; True when `holder` holds it until now + ttl. Commits."""
    moment = now()
    renewed = db.session.execute(
        sa.update(Lease)
        .where(Lease.name == name, sa.or_(Lease.holder == holder, Lease.expires_at < moment))
        .values(holder=holder, expires_at=moment + ttl)
        .execution_options(synchronize_session=False)
    )
    if rowcount(renewed) == 1:
        db.session.commit()
        return True
    db.session.rollback()
    try:
        db.session.add(Lease(name=name, holder=holder, expires_at=moment + ttl))
        db.session.commit()
        return True
    except IntegrityError:
        # Somebody else holds it and it has not expired.
        db.session.rollback()
        return False


def release(name: str, holder: str) -> None:
    db.session.execute(
        sa.delete(Lease)
        .where(Lease.name == name, Lease.holder == holder)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
