"""POST /api/v1/inbound/{slug}/meetings: our meeting events, signed per Standard Webhooks."""

from __future__ import annotations

import json
from datetime import timedelta

from tests.helpers.inbound import ago, cancellation, iso, meeting_event, meetings_of, signal_codes


def test_three_cancellations_within_the_window_flag_an_active_pair_at_risk(
    api, sender, active_pair
):
    pair_id = active_pair["id"]
    for days_ago in (20, 10, 2):
        assert sender.post(cancellation(pair_id, days_ago=days_ago)).status_code == 201

    assert api.ok("get", f"/pairs/{pair_id}")["state"] == "at_risk"
    flag = api.ok("get", f"/pairs/{pair_id}/history")["items"][-1]
    assert (flag["trigger"], flag["signals"]) == ("flag_risk", ["missed_meetings"])
    assert flag["actor"]["label"] == "inbound source school-calendar"
    assert signal_codes(api, pair_id) == ["missed_meetings"]


def test_two_cancellations_are_not_enough(api, sender, active_pair):
    pair_id = active_pair["id"]
    for days_ago in (10, 2):
        assert sender.post(cancellation(pair_id, days_ago=days_ago)).status_code == 201

    assert api.ok("get", f"/pairs/{pair_id}")["state"] == "active"
    assert signal_codes(api, pair_id) == []
    assert [m["status"] for m in meetings_of(api, pair_id)] == ["cancelled", "cancelled"]


def test_cancellations_further_apart_than_the_window_are_not_a_streak(api, sender, active_pair):
    pair_id = active_pair["id"]
    for days_ago in (70, 35, 1):
        sender.post(cancellation(pair_id, days_ago=days_ago))

    assert api.ok("get", f"/pairs/{pair_id}")["state"] == "active"


def test_no_shows_count_with_cancellations(api, sender, active_pair):
    pair_id = active_pair["id"]
    sender.post(cancellation(pair_id, days_ago=9))
    sender.post(meeting_event("no_show", pair_id=pair_id, starts_at=iso(ago(days=5))))
    sender.post(meeting_event("no_show", pair_id=pair_id, missed_by="mentor"))

    assert api.ok("get", f"/pairs/{pair_id}")["state"] == "at_risk"
    assert [m["missed_by"] for m in meetings_of(api, pair_id)] == ["mentee", None, "mentor"]


def test_a_streak_raises_its_signal_once(api, sender, active_pair):
    pair_id = active_pair["id"]
    for days_ago in (12, 9, 6, 3):
        sender.post(cancellation(pair_id, days_ago=days_ago))

    assert signal_codes(api, pair_id) == ["missed_meetings"]


def test_a_coordinators_cancellation_is_not_the_pairs_warning_sign(api, sender, active_pair):
    pair_id = active_pair["id"]
    sender.post(cancellation(pair_id, days_ago=9))
    sender.post(cancellation(pair_id, days_ago=5))
    sender.post(cancellation(pair_id, days_ago=1, cancelled_by="coordinator"))

    assert api.ok("get", f"/pairs/{pair_id}")["state"] == "active"
    assert meetings_of(api, pair_id)[-1]["missed_by"] is None


def test_a_cancellation_records_who_cancelled_and_the_notice_given(api, sender, active_pair):
    pair_id = active_pair["id"]
    response = sender.post(cancellation(pair_id, days_ago=1, notice_hours=30))

    assert response.status_code == 201, response.get_json()
    event = response.get_json()
    assert (event["status"], event["pair_id"], event["sender"]) == (
        "applied",
        pair_id,
        "source:school-calendar",
    )
    (meeting,) = meetings_of(api, pair_id)
    assert meeting["id"] == event["meeting_id"]
    assert (meeting["status"], meeting["missed_by"], meeting["notice_hours"]) == (
        "cancelled",
        "mentee",
        30,
    )


def test_a_held_meeting_becomes_a_meeting_of_the_pair(api, sender, active_pair):
    pair_id = active_pair["id"]
    body = meeting_event("held", pair_id=pair_id, duration_minutes=50)

    assert sender.post(body).status_code == 201
    (meeting,) = meetings_of(api, pair_id)
    assert (meeting["status"], meeting["duration_minutes"]) == ("held", 50)


def test_a_scheduled_meeting_is_kept_as_an_event_only(api, admin_api, sender, active_pair):
    pair_id = active_pair["id"]
    body = meeting_event("scheduled", pair_id=pair_id, starts_at=iso(ago(days=-3)))

    event = sender.post(body).get_json()
    assert (event["status"], event["meeting_id"]) == ("applied", None)
    assert meetings_of(api, pair_id) == []
    stored = admin_api.ok("get", f"/inbound/events/{event['id']}")
    assert stored["details"]["starts_at"] == body["starts_at"]


def test_the_second_late_change_raises_last_minute_rescheduling(api, sender, active_pair):
    pair_id = active_pair["id"]
    due = ago(days=-2)
    moved = meeting_event(
        "rescheduled",
        pair_id=pair_id,
        starts_at=iso(due + timedelta(days=7)),
        previous_starts_at=iso(due),
        cancelled_at=iso(due - timedelta(hours=3)),
        cancelled_by="mentor",
    )
    first = sender.post(moved).get_json()
    assert first["details"]["late"] is True
    assert signal_codes(api, pair_id) == []

    sender.post(cancellation(pair_id, days_ago=1, notice_hours=2))

    assert signal_codes(api, pair_id) == ["last_minute_rescheduling"]
    assert api.ok("get", f"/pairs/{pair_id}")["state"] == "at_risk"


def test_changes_with_enough_notice_are_not_last_minute(api, sender, active_pair):
    pair_id = active_pair["id"]
    sender.post(cancellation(pair_id, days_ago=5, notice_hours=30))
    sender.post(cancellation(pair_id, days_ago=1, notice_hours=48))

    assert signal_codes(api, pair_id) == []


def test_the_programs_thresholds_apply(api, world, sender):
    world.api.ok(
        "patch",
        f"/programs/{world.program['id']}",
        {"cancellations_to_flag": 2, "cancellation_window_days": 7},
    )
    pair_id = world.drive_to("active")["id"]
    sender.post(cancellation(pair_id, days_ago=6))
    sender.post(cancellation(pair_id, days_ago=1))

    assert api.ok("get", f"/pairs/{pair_id}")["state"] == "at_risk"


def test_a_replayed_request_is_refused_and_changes_nothing(api, admin_api, sender, active_pair):
    body = json.dumps(cancellation(active_pair["id"])).encode()
    # The same body, validly signed, but ten minutes ago: a captured request sent again.
    response = sender.send(body, sender.headers(body, at=ago(minutes=10)))

    assert response.status_code == 401
    assert response.get_json()["type"] == "/problems/inbound-replayed"
    assert meetings_of(api, active_pair["id"]) == []
    assert admin_api.ok("get", "/inbound/events")["items"] == []


def test_a_duplicate_event_id_is_refused_and_creates_no_second_meeting(api, sender, active_pair):
    body = cancellation(active_pair["id"])
    first = sender.post(body)
    again = sender.post(body)

    assert again.status_code == 409
    problem = again.get_json()
    assert problem["type"] == "/problems/inbound-duplicate"
    assert problem["inbound_event_id"] == first.get_json()["id"]
    assert len(meetings_of(api, active_pair["id"])) == 1


def test_a_bad_signature_is_401(api, sender, active_pair):
    response = sender.post(cancellation(active_pair["id"]), secret="whsec_" + "A" * 32)

    assert response.status_code == 401
    assert response.get_json()["type"] == "/problems/inbound-signature-invalid"
    assert meetings_of(api, active_pair["id"]) == []


def test_an_unsigned_request_is_401(sender, active_pair):
    response = sender.send(json.dumps(cancellation(active_pair["id"])).encode(), {})

    assert response.status_code == 401
    assert response.get_json()["type"] == "/problems/inbound-signature-invalid"


def test_a_body_changed_after_signing_is_401(sender, active_pair):
    signed = json.dumps(cancellation(active_pair["id"])).encode()
    headers = sender.headers(signed)

    response = sender.send(signed.replace(b"mentee", b"mentor"), headers)

    assert response.status_code == 401


def test_malformed_json_is_refused(sender):
    response = sender.post(b"{not json")

    assert response.status_code == 400
    assert response.get_json()["type"] == "/problems/malformed-request"


def test_missing_fields_are_named_in_a_422(sender):
    response = sender.post({"type": "meeting.cancelled"})

    assert response.status_code == 422
    fields = {error["field"] for error in response.get_json()["errors"]}
    assert {"id", "starts_at"} <= fields


def test_a_reschedule_needs_the_time_it_moved_from(sender, active_pair):
    response = sender.post(meeting_event("rescheduled", pair_id=active_pair["id"]))

    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "previous_starts_at"


def test_a_held_meeting_cannot_be_in_the_future(sender, active_pair):
    body = meeting_event("held", pair_id=active_pair["id"], starts_at=iso(ago(days=-3)))

    assert sender.post(body).status_code == 422


def test_an_unknown_source_is_404(client):
    response = client.post(
        "/api/v1/inbound/nobody/meetings", data=b"{}", content_type="application/json"
    )

    assert response.status_code == 404


def test_a_disabled_source_is_refused(admin_api, sender, source, active_pair):
    admin_api.ok("patch", f"/inbound-sources/{source['id']}", {"enabled": False})

    response = sender.post(cancellation(active_pair["id"]))

    assert response.status_code == 403


def test_the_pair_is_found_from_its_participants_addresses(api, world, sender):
    pair = world.drive_to("active")
    mentor, mentee = world.mentors[0], world.mentees[0]
    body = meeting_event("no_show", participants=[mentee["email"].upper(), mentor["email"]])

    event = sender.post(body).get_json()

    assert (event["status"], event["pair_id"]) == ("applied", pair["id"])


def test_an_event_for_a_pair_without_a_mentor_is_kept_but_records_nothing(api, world, sender):
    pair = world.drive_to("recruited")

    response = sender.post(cancellation(pair["id"]))

    assert response.status_code == 202
    assert response.get_json()["status"] == "ignored"
    assert meetings_of(api, pair["id"]) == []
