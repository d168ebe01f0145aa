"""A mentor's background check nearing expiry reminds the coordinator, once per expiry date."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from service.database import db
from service.inbox.models import InboxItem
from service.intake.jobs import run_intake_sweep


def _approved_mentor(api, world, expires_in_days: int) -> dict:
    person = api.ok(
        "post",
        "/participants/applications",
        {
            "program_id": world.program["id"],
            "role": "mentor",
            "full_name": "Ana Souza",
            "email": "ana@example.org",
        },
        status=201,
    )
    path = f"/participants/{person['id']}"
    api.ok("post", f"{path}/intake", {"trigger": "start_screening"})
    api.ok(
        "patch",
        f"{path}/screening",
        {
            "interview_on": date.today().isoformat(),
            "references_on": date.today().isoformat(),
            "background_check": "passed",
            "background_check_expires_on": (
                date.today() + timedelta(days=expires_in_days)
            ).isoformat(),
        },
    )
    api.ok("post", f"{path}/intake", {"trigger": "approve"})
    return person


def _reminders(app) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                sa.select(InboxItem.title).where(InboxItem.kind == "background_check_expiring")
            )
        )


def test_a_check_expiring_within_30_days_reminds_the_admins(app, api, world, make_staff):
    make_staff("admin", "Ada Min")
    _approved_mentor(api, world, expires_in_days=10)
    with app.app_context():
        assert run_intake_sweep()["checks_expiring"] == 1
    expires = (date.today() + timedelta(days=10)).isoformat()
    assert _reminders(app) == [f"Ana Souza's background check expires on {expires}"]


def test_the_reminder_comes_once_per_expiry_date(app, api, world, make_staff):
    make_staff("admin", "Ada Min")
    _approved_mentor(api, world, expires_in_days=10)
    with app.app_context():
        run_intake_sweep()
        assert run_intake_sweep()["checks_expiring"] == 0
    assert len(_reminders(app)) == 1


def test_a_renewed_check_that_nears_expiry_reminds_again(app, api, world, make_staff):
    make_staff("admin", "Ada Min")
    person = _approved_mentor(api, world, expires_in_days=10)
    with app.app_context():
        run_intake_sweep()
    renewed = (date.today() + timedelta(days=20)).isoformat()
    api.ok(
        "patch", f"/participants/{person['id']}/screening", {"background_check_expires_on": renewed}
    )
    with app.app_context():
        assert run_intake_sweep()["checks_expiring"] == 1


def test_a_check_far_from_expiry_reminds_nobody(app, api, world, make_staff):
    make_staff("admin", "Ada Min")
    _approved_mentor(api, world, expires_in_days=200)
    with app.app_context():
        assert run_intake_sweep()["checks_expiring"] == 0


def test_the_reminder_is_e_mailed_to_staff_who_want_it(app, api, world, make_staff, mailbox, drain):
    admin = make_staff("admin", "Ada Min")
    _approved_mentor(api, world, expires_in_days=10)
    with app.app_context():
        run_intake_sweep()
    drain()
    [message] = mailbox.to(admin.email)
    assert "background check" in message["Subject"]
