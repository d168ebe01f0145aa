"""Meetings: the minimum record of what happened."""

from __future__ import annotations


def test_a_held_meeting_is_logged_with_who_what_where_and_how_long(api, world):
    pair = world.drive_to("active")
    meeting = world.log_meeting(
        pair["id"], location="Library", activities="CV review", attendees=["mentor", "mentee"]
    )
    assert (meeting["status"], meeting["duration_minutes"], meeting["location"]) == (
        "held",
        60,
        "Library",
    )
    assert meeting["occurred_at"] == "2026-11-20T16:00:00+00:00"
    listed = api.ok("get", f"/pairs/{pair['id']}/meetings")["items"]
    assert [m["id"] for m in listed] == [meeting["id"]]


def test_a_cancelled_meeting_records_who_cancelled(api, world):
    pair = world.drive_to("active")
    meeting = world.log_meeting(
        pair["id"], status="cancelled", duration_minutes=None, missed_by="mentor"
    )
    assert (meeting["status"], meeting["missed_by"]) == ("cancelled", "mentor")


def test_a_held_meeting_needs_its_length(api, world):
    pair = world.drive_to("active")
    response = api.post(
        f"/pairs/{pair['id']}/meetings",
        {"occurred_at": "2026-11-20T16:00:00+00:00", "status": "held"},
    )
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "duration_minutes"


def test_a_time_without_an_offset_is_refused(api, world):
    pair = world.drive_to("active")
    response = api.post(
        f"/pairs/{pair['id']}/meetings",
        {"occurred_at": "2026-11-20T16:00:00", "status": "held", "duration_minutes": 30},
    )
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "occurred_at"


def test_a_time_with_an_offset_is_stored_in_utc(api, world):
    pair = world.drive_to("active")
    meeting = world.log_meeting(pair["id"], occurred_at="2026-11-20T17:00:00+01:00")
    assert meeting["occurred_at"] == "2026-11-20T16:00:00+00:00"


def test_the_final_session_is_logged_only_once_closure_has_begun(api, world):
    pair = world.drive_to("active")
    response = api.post(
        f"/pairs/{pair['id']}/meetings",
        {
            "occurred_at": "2026-11-20T16:00:00+00:00",
            "status": "held",
            "duration_minutes": 60,
            "is_final_session": True,
        },
    )
    assert response.status_code == 409
    assert "begin_closure" in response.get_json()["detail"]


def test_a_pair_without_a_mentor_has_no_meetings_to_log(api, world):
    pair = world.new_pair()
    response = api.post(
        f"/pairs/{pair['id']}/meetings",
        {"occurred_at": "2026-11-20T16:00:00+00:00", "status": "no_show", "missed_by": "mentee"},
    )
    assert response.status_code == 409
