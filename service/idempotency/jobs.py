"""The clock enqueues this every hour."""

from __future__ import annotations

from service.jobs import job_context


def purge_expired_keys() -> int:
    from service.idempotency.service import purge_expired

    with job_context():
        return purge_expired()
