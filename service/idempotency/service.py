"""Claim a key, store the answer with the work, replay it, and forget it after a day."""

from __future__ import annotations

import logging
import math
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import SQLAlchemyError

from service.clock import now
from service.database import db, insert_unless_exists, rowcount, transaction
from service.idempotency.models import IdempotencyKey
from service.problems import Problem

log = logging.getLogger(__name__)

# Claiming and releasing a key are bookkeeping: a failure after them still changed nothing
# the client asked for (service.database.request_outcome).

# How long a request may hold a key before a retry may take it over. The holder's answer
# is stored only if it still holds the key then, so a slow holder never doubles the work.
LEASE = timedelta(seconds=60)


@dataclass(frozen=True)
class Claim:
    id: int
    lease: str


@dataclass(frozen=True)
class StoredAnswer:
    status_code: int
    body: str
    headers: dict[str, Any]


def _in_flight(until: Any = None) -> Problem:
    wait = 1
    if until is not None:
        wait = max(1, math.ceil((until - now()).total_seconds()))
    return Problem(
        "idempotency-key-in-flight",
        "A request with this Idempotency-Key is still being processed; retry in "
        f"{wait} s to get its answer.",
        headers={"Retry-After": str(wait)},
    )


def claim(*, owner: str, key: str, fingerprint: str) -> Claim | StoredAnswer:
    """Take `key` for this request, or find the answer already given under it.

    Raises a 422 problem when the key was used for another request, and a 409 while another
    request holds it."""
    moment = now()
    lease = secrets.token_hex(16)
    ttl = timedelta(seconds=current_app.config["IDEMPOTENCY_KEY_TTL_SECONDS"])
    with transaction():
        db.session.execute(
            sa.delete(IdempotencyKey)
            .where(
                IdempotencyKey.owner == owner,
                IdempotencyKey.key == key,
                IdempotencyKey.expires_at < moment,
            )
            .execution_options(bookkeeping=True)
        )
        claimed = insert_unless_exists(
            IdempotencyKey,
            {
                "owner": owner,
                "key": key,
                "fingerprint": fingerprint,
                "lease": lease,
                "locked_until": moment + LEASE,
                "expires_at": moment + ttl,
                "created_at": moment,
            },
            ["owner", "key"],
            bookkeeping=True,
        )
    if claimed is not None:
        return Claim(claimed, lease)
    record = db.session.scalar(
        sa.select(IdempotencyKey).where(IdempotencyKey.owner == owner, IdempotencyKey.key == key)
    )
    if record is None:  # forgotten between the two statements
        raise _in_flight()
    if record.fingerprint != fingerprint:
        raise Problem(
            "idempotency-key-reused",
            "This Idempotency-Key was used for another request (method, path or body); "
            "use a new key for a new request.",
        )
    if record.status_code is not None:
        return StoredAnswer(
            record.status_code, record.response_body or "", record.response_headers or {}
        )
    if record.locked_until is not None and record.locked_until > moment:
        raise _in_flight(record.locked_until)
    # The request that held it ended without an answer, so its work was rolled back: retry.
    with transaction():
        taken = db.session.execute(
            sa.update(IdempotencyKey)
            .where(
                IdempotencyKey.id == record.id,
                IdempotencyKey.status_code.is_(None),
                IdempotencyKey.lease == record.lease,
            )
            .values(lease=lease, locked_until=moment + LEASE)
            .execution_options(synchronize_session=False, bookkeeping=True)
        )
    if rowcount(taken) != 1:
        raise _in_flight()
    return Claim(record.id, lease)


def answer(claim: Claim, *, status_code: int, body: str, headers: dict[str, Any]) -> None:
    """Store the answer, inside the transaction of the work it answers."""
    stored = db.session.execute(
        sa.update(IdempotencyKey)
        .where(
            IdempotencyKey.id == claim.id,
            IdempotencyKey.lease == claim.lease,
            IdempotencyKey.status_code.is_(None),
        )
        .values(
            status_code=status_code,
            response_body=body,
            response_headers=headers,
            lease=None,
            locked_until=None,
        )
        .execution_options(synchronize_session=False)
    )
    if rowcount(stored) != 1:
        # This request took too long and a retry took the key over: let that one answer.
        raise _in_flight()


def release(claim: Claim) -> None:
    """After a failure: free the key at once for a retry (the work was rolled back). If the
    database is gone too, the lease runs out instead. An answered key is never released."""
    try:
        with transaction():
            db.session.execute(
                sa.delete(IdempotencyKey)
                .where(
                    IdempotencyKey.id == claim.id,
                    IdempotencyKey.lease == claim.lease,
                    IdempotencyKey.status_code.is_(None),
                )
                .execution_options(bookkeeping=True)
            )
    except SQLAlchemyError as error:
        log.warning("idempotency key %s not released (its lease runs out): %s", claim.id, error)


def purge_expired() -> int:
    """Forget keys past their time; returns how many."""
    with transaction():
        purged = db.session.execute(
            sa.delete(IdempotencyKey).where(IdempotencyKey.expires_at < now())
        )
    return rowcount(purged)
