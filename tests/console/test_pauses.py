"""Pauses: a coordinator records one, with a reason and an end date, in the console or
through the API; only a running relationship can pause."""

from __future__ import annotations

from datetime import date, timedelta


def test_a_coordinator_pauses_a_pair_in_the_console_with_a_reason_and_an_end_date(
    world, api, make_staff, console_as
):
    pair = world.drive_to("active")
    console = console_as(make_staff(name="Cora Ordinator"))
    until = date.today() + timedelta(days=21)

    console.post(
        f"/console/pairs/{pair['id']}/pauses",
        data={"reason": "travel", "ends_on": until.isoformat(), "note": "Mentor abroad"},
    )

    [pause] = api.ok("get", f"/pairs/{pair['id']}/pauses")["items"]
    assert (pause["reason"], pause["ends_on"], pause["note"]) == (
        "travel",
        until.isoformat(),
        "Mentor abroad",
    )
    assert pause["recorded_by"]["label"] == "Cora Ordinator"
    assert world.pair(pair["id"])["paused_until"] == until.isoformat()
    page = console.page(f"/console/pairs/{pair['id']}")
    assert f"Paused until {until:%d %b %Y}" in page


def test_a_pause_without_an_end_date_is_refused(world, api, make_staff, console_as):
    pair = world.drive_to("active")
    console = console_as(make_staff())

    console.post(f"/console/pairs/{pair['id']}/pauses", data={"reason": "illness"})

    assert "choose the day the pair resumes" in console.flashes()
    assert api.ok("get", f"/pairs/{pair['id']}/pauses")["items"] == []


def test_a_pause_must_end_after_today(world, api):
    pair = world.drive_to("active")
    response = api.post(
        f"/pairs/{pair['id']}/pauses",
        {"reason": "illness", "ends_on": date.today().isoformat()},
    )
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["errors"][0]["field"] == "ends_on"


def test_only_an_active_or_at_risk_pair_can_be_paused(world, api):
    pair = world.drive_to("training")
    ends_on = (date.today() + timedelta(days=7)).isoformat()
    response = api.post(f"/pairs/{pair['id']}/pauses", {"reason": "illness", "ends_on": ends_on})
    assert response.status_code == 409, response.get_json()
    assert "only active or at-risk pairs can be paused" in response.get_json()["detail"]


def test_a_pause_is_on_the_pairs_timeline_with_its_reason_and_dates(world, api):
    pair = world.drive_to("active")
    until = date.today() + timedelta(days=14)
    api.ok(
        "post", f"/pairs/{pair['id']}/pauses", {"reason": "illness", "ends_on": until.isoformat()}
    )

    [entry] = [
        item
        for item in api.ok("get", f"/pairs/{pair['id']}/timeline")["items"]
        if item["kind"] == "pause"
    ]
    assert f"until {until:%d %b %Y} (illness)" in entry["summary"]
    assert (entry["data"]["reason"], entry["data"]["ends_on"]) == ("illness", until.isoformat())
