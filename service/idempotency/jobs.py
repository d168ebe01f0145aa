"""The clock enqueues this every hour."""

from __future__ import annotations

from service.idempotency.service import purge_expired
from service.jobs import job_context


def purge_expired_keys() -> int:
    with job_context():
        return purge_expired()
