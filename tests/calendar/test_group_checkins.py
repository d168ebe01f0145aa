"""Group check-ins: a coordinator meets several pairs at once (the group approach). One record
covers all of them, and it counts as the coordinator's contact with each pair: what each pair
was owed is done, as if the coordinator had met the pair alone."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine

from service.accounts import service as accounts
from tests.helpers import World
from tests.helpers.calendar import simulate

pytestmark = pytest.mark.slow

START = datetime(2027, 1, 4, 8, 0, tzinfo=UTC)
STAFF_DUE = date(2027, 1, 18)
QUIET = {"timezone": "UTC", "no_meeting_alert_days": None, "match_length_months": None}


def _pairs_with_a_coordinator(app, api, count: int = 2) -> list[dict]:
    world = World.build(api, mentors=count, mentees=count, staff_contact_grace_days=3, **QUIET)
    with app.app_context():
        user_id = accounts.create(
            email="cora@example.org", full_name="Cora Ordinator", role="coordinator"
        ).id
    pairs = [world.drive_to("active", i, i) for i in range(count)]
    for pair in pairs:
        api.colleague("admin").ok("patch", f"/pairs/{pair['id']}", {"coordinator_id": user_id})
    return pairs


def _staff_contacts(api, pair_id: int) -> list[str]:
    calendar = api.ok("get", f"/pairs/{pair_id}/calendar")
    return [c["status"] for c in calendar["contacts"] if c["recipient_role"] == "staff"]


def test_a_group_check_in_counts_as_the_coordinators_contact_with_each_pair(app, api, drain):
    with time_machine.travel(START, tick=False) as clock:
        pairs = _pairs_with_a_coordinator(app, api)
        simulate(app, drain, clock, until=datetime(2027, 1, 18, 10, tzinfo=UTC))
        assert [_staff_contacts(api, p["id"]) for p in pairs] == [["due"], ["due"]]

        api.ok(
            "post",
            "/group-checkins",
            {"pair_ids": [p["id"] for p in pairs], "held_on": STAFF_DUE.isoformat()},
            status=201,
        )

        assert [_staff_contacts(api, p["id"]) for p in pairs] == [["done"], ["done"]]


def test_one_group_check_in_record_covers_every_pair_met(app, api):
    pairs = _pairs_with_a_coordinator(app, api, count=3)
    ids = [p["id"] for p in pairs]

    record = api.ok(
        "post",
        "/group-checkins",
        {"pair_ids": ids, "held_on": "2027-01-18", "notes": "Planning the holidays."},
        status=201,
    )

    assert api.ok("get", f"/group-checkins/{record['id']}")["pair_ids"] == sorted(ids)
    for pair_id in ids:
        entries = api.ok("get", f"/pairs/{pair_id}/timeline")["items"]
        [entry] = [e for e in entries if e["kind"] == "group_checkin"]
        assert entry["data"]["group_checkin_id"] == record["id"]
        assert "Planning the holidays." in entry["summary"]


def test_a_group_check_in_needs_at_least_two_pairs(app, api):
    [pair] = _pairs_with_a_coordinator(app, api, count=1)

    response = api.post("/group-checkins", {"pair_ids": [pair["id"]], "held_on": "2027-01-18"})

    assert response.status_code == 422


def test_a_group_check_in_is_recorded_once_from_the_console_for_the_pairs_ticked(
    app, api, make_staff, console_as
):
    pairs = _pairs_with_a_coordinator(app, api)
    console = console_as(make_staff())
    page = console.page("/console/pairs/group-checkin")
    assert all(f'value="{p["id"]}"' in page for p in pairs)

    response = console.post(
        "/console/pairs/group-checkin",
        data={"pair_ids": [str(p["id"]) for p in pairs], "held_on": "2027-01-18", "notes": ""},
    )

    assert response.status_code == 302
    assert "The group check-in is recorded for 2 pairs." in console.flashes()
    pair_page = console.page(f"/console/pairs/{pairs[0]['id']}")
    assert "Group check-in on 18 Jan 2027" in pair_page
