"""Three workers sweeping at once send each invitation exactly once: the database, not luck,
decides who makes a contact."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter

import pytest
import sqlalchemy as sa
from redis import Redis
from rq import Queue

from service.calendar.models import Contact, Schedule
from service.clock import now
from service.database import db
from service.notifications.models import Notification
from service.queue import DEFAULT_QUEUE
from service.surveys.models import Invitation
from tests.helpers import World
from tests.helpers.servers import repository_root

pytestmark = [pytest.mark.slow, pytest.mark.long(30)]
PAIRS = 30


def test_three_workers_sweeping_at_once_send_each_invitation_once(
    app, api, service_env, mailbox, drain
):
    world = World.build(api, mentors=PAIRS, mentees=PAIRS, name="Busy")
    pairs = [world.drive_to("active", mentee_index=i, mentor_index=i) for i in range(PAIRS)]
    with app.app_context():
        # Everything falls due at the same moment.
        db.session.execute(sa.update(Schedule).values(next_due_at=now()))
        db.session.commit()
    queue = Queue(DEFAULT_QUEUE, connection=Redis.from_url(app.config["REDIS_URL"]))
    for _ in range(3):
        queue.enqueue("service.calendar.jobs.run_sweep")
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "service.cli",
                "worker",
                "--burst",
                "--no-clock",
                "--name",
                f"sweeper-{n}",
            ],
            env=service_env,
            cwd=repository_root(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(3)
    ]
    logs = []
    for worker in workers:
        _, errors = worker.communicate(timeout=300)
        assert worker.returncode == 0, errors[-2000:]
        logs.append(errors)
    drain()

    with app.app_context():
        contacts = db.session.scalars(sa.select(Contact)).all()
        invitations = db.session.scalar(sa.select(sa.func.count(Invitation.id)))
        emails = db.session.scalar(
            sa.select(sa.func.count(Notification.id)).where(
                Notification.template.in_(["survey_invitation"])
            )
        )
    participant_contacts = [c for c in contacts if c.participant_id is not None]
    # Every pair: a check-in for mentee and mentor, and the first-meeting survey for both.
    assert len(participant_contacts) == PAIRS * 4, [
        line for log in logs for line in log.splitlines() if "ERROR" in line or "Error" in line
    ][:20]
    assert (
        Counter((c.pair_id, c.kind, c.recipient, c.due_on) for c in contacts).most_common(1)[0][1]
        == 1
    )
    assert invitations == len(participant_contacts) == emails
    received = Counter((m["To"], m["Subject"]) for m in mailbox.messages)
    assert len(received) == PAIRS * 4
    assert set(received.values()) == {1}
    assert len({p["id"] for p in pairs}) == PAIRS
