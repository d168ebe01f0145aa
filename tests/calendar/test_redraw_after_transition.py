"""A transition does not redraw the pair's calendar itself: it marks it stale, and the sweep
redraws it (or the first read of it does) before any contact is made from it.

Everything runs on a controllable clock; e-mail goes over a real SMTP server.
"""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
import time_machine

from service.calendar.models import Contact, Schedule
from service.calendar.sweep import sweep
from service.clock import now
from service.database import db
from service.pairs.models import Pair
from tests.calendar.test_monitoring import QUIET, START, at
from tests.helpers import World

pytestmark = pytest.mark.slow


def _stale(app, pair_id: int) -> bool:
    with app.app_context():
        return db.session.get_one(Pair, pair_id).calendar_stale


def _staff_due_on(app, pair_id: int) -> date | None:
    with app.app_context():
        return db.session.scalar(
            sa.select(Schedule.next_due_on).where(
                Schedule.pair_id == pair_id, Schedule.kind == "staff_contact"
            )
        )


def _contacts(app, pair_id: int) -> list[tuple[str, str, str]]:
    with app.app_context():
        return [
            (c.kind, c.recipient.split(":")[0], c.status)
            for c in db.session.scalars(
                sa.select(Contact).where(Contact.pair_id == pair_id).order_by(Contact.id)
            )
        ]


def test_a_transition_leaves_the_calendar_stale_and_the_next_sweep_redraws_it(app, api):
    with time_machine.travel(at(date(2027, 1, 20), 10), tick=False):
        world = World.build(api, mentors=1, mentees=1, **QUIET)
        pair = world.drive_to("active")
        before = _staff_due_on(app, pair["id"])
        assert api.trigger(pair["id"], "flag_risk", signals=["no_chemistry"]).status_code == 200
        assert _stale(app, pair["id"])
        assert _staff_due_on(app, pair["id"]) == before  # drawn for the state it left

        with app.app_context():
            result = sweep()
        assert result.failures == []
        assert result.redrawn == 1
        assert not _stale(app, pair["id"])
        # At risk, the coordinator's call falls due that day: made by the same sweep.
        assert ("staff_contact", "staff", "due") in _contacts(app, pair["id"])
        assert _staff_due_on(app, pair["id"]) == date(2027, 2, 3)


def test_no_contact_goes_out_from_a_calendar_drawn_for_a_state_the_pair_has_left(app, api):
    with time_machine.travel(START, tick=False):
        world = World.build(api, mentors=1, mentees=1, **QUIET)
        pair = world.drive_to("active")
        with app.app_context():
            # Its check-ins fall due now...
            db.session.execute(
                sa.update(Schedule)
                .where(Schedule.pair_id == pair["id"], Schedule.kind == "checkin")
                .values(next_due_at=now())
            )
            db.session.commit()
        # ...but the pair has just withdrawn: its calendar still has them.
        filed = api.trigger(pair["id"], "withdraw", closure_reason="withdrawn", reason="Moved away")
        assert filed.status_code == 202, filed.get_json()
        assert world.approve(filed.get_json()["proposal"]["id"])["pair"]["state"] == "closed"
        assert _stale(app, pair["id"])

        with app.app_context():
            result = sweep()
            kinds = set(
                db.session.scalars(sa.select(Schedule.kind).where(Schedule.pair_id == pair["id"]))
            )
        assert result.failures == []
        assert not [c for c in _contacts(app, pair["id"]) if c[0] == "checkin"]
        assert "checkin" not in kinds


def test_reading_a_stale_calendar_redraws_it_first(app, api):
    with time_machine.travel(at(date(2027, 1, 20), 10), tick=False):
        world = World.build(api, mentors=1, mentees=1, **QUIET)
        pair = world.drive_to("active")
        assert api.trigger(pair["id"], "flag_risk", signals=["no_chemistry"]).status_code == 200
        assert _stale(app, pair["id"])

        calendar = api.get(f"/pairs/{pair['id']}/calendar")
        assert calendar.status_code == 200
        upcoming = {item["kind"]: item["next_due_on"] for item in calendar.get_json()["upcoming"]}
        assert upcoming["staff_contact"] == "2027-01-20"
        assert not _stale(app, pair["id"])


def test_a_sweep_with_no_pair_moved_redraws_nothing(app, api):
    with time_machine.travel(START, tick=False):
        world = World.build(api, mentors=1, mentees=1, **QUIET)
        world.drive_to("active")
        with app.app_context():
            result = sweep()
        assert result.redrawn == 0
