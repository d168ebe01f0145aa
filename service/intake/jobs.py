"""Participants' background jobs: the intake sweep (background checks nearing expiry, kind
words to mentees who have waited long) and imports too large for one request."""

from __future__ import annotations

from service.intake import service as intake
from service.jobs import job_context
from service.participants import waiting


def run_intake_sweep() -> dict[str, int]:
    with job_context():
        return {
            "checks_expiring": intake.remind_expiring_checks(),
            "waiting_emails": waiting.send_kind_words(),
        }
