"""The calendar's recurring jobs, run by the clock of `pairwise worker` / `pairwise scheduler`."""

from __future__ import annotations

from service.calendar.sweep import sweep
from service.inbox.digest import send_daily_digests
from service.jobs import job_context


def run_sweep() -> dict[str, int]:
    with job_context():
        result = sweep()
        return {
            "schedules": result.schedules,
            "contacts": result.contacts,
            "reminders": result.reminders,
            "overdue": result.overdue,
            "redrawn": result.redrawn,
            "failures": len(result.failures),
        }


def run_daily_digests() -> int:
    with job_context():
        return send_daily_digests()
