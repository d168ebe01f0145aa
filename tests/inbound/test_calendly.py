"""POST /api/v1/inbound/{slug}/calendly: Calendly's invitee webhooks, signed with its key."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.helpers.inbound import ago, invitee_event, meetings_of


def test_a_signed_invitee_canceled_is_attached_to_the_right_pair(api, world, calendly_sender):
    world.drive_to("active", mentee_index=1, mentor_index=1)
    pair = world.drive_to("active")
    mentor, mentee = world.mentors[0], world.mentees[0]
    body = invitee_event("invitee.canceled", invitee=mentee["email"], host=mentor["email"])

    response = calendly_sender.post(body)

    assert response.status_code == 201, response.get_json()
    event = response.get_json()
    assert (event["pair_id"], event["kind"]) == (pair["id"], "meeting.cancelled")
    assert event["external_id"] == f"invitee.canceled:{body['payload']['uri']}"
    (meeting,) = meetings_of(api, pair["id"])
    assert (meeting["status"], meeting["missed_by"], meeting["notice_hours"]) == (
        "cancelled",
        "mentee",
        2,
    )


def test_a_host_cancellation_is_the_hosts_side(api, world, calendly_sender):
    pair = world.drive_to("active")
    mentor, mentee = world.mentors[0], world.mentees[0]
    # The mentee may as well host: the addresses say who is who.
    body = invitee_event(
        "invitee.canceled", invitee=mentor["email"], host=mentee["email"], canceler_type="host"
    )

    calendly_sender.post(body)

    assert meetings_of(api, pair["id"])[0]["missed_by"] == "mentee"


def test_the_cancellation_reason_is_not_kept(admin_api, world, calendly_sender):
    world.drive_to("active")
    body = invitee_event(
        "invitee.canceled", invitee=world.mentees[0]["email"], host=world.mentors[0]["email"]
    )

    event = calendly_sender.post(body).get_json()

    assert "came up at school" not in str(admin_api.ok("get", f"/inbound/events/{event['id']}"))


def test_a_canceled_invitee_that_was_rescheduled_is_a_reschedule(api, world, calendly_sender):
    pair = world.drive_to("active")
    body = invitee_event(
        "invitee.canceled",
        invitee=world.mentees[0]["email"],
        host=world.mentors[0]["email"],
        rescheduled=True,
    )

    event = calendly_sender.post(body).get_json()

    assert (event["kind"], event["meeting_id"]) == ("meeting.rescheduled", None)
    assert event["details"]["late"] is True
    assert meetings_of(api, pair["id"]) == []


def test_an_invitee_created_is_a_scheduled_meeting(api, world, calendly_sender):
    pair = world.drive_to("active")
    body = invitee_event(
        "invitee.created",
        invitee=world.mentees[0]["email"],
        host=world.mentors[0]["email"],
        starts_at=ago(days=-4),
    )

    event = calendly_sender.post(body).get_json()

    assert (event["kind"], event["status"], event["pair_id"]) == (
        "meeting.scheduled",
        "applied",
        pair["id"],
    )
    assert event["details"]["duration_minutes"] == 45


def test_unknown_addresses_are_kept_as_unmatched(admin_api, world, calendly_sender):
    body = invitee_event("invitee.canceled", invitee="who@elsewhere.org", host="x@elsewhere.org")

    response = calendly_sender.post(body)

    assert response.status_code == 202
    assert response.get_json()["status"] == "unmatched"
    (waiting,) = admin_api.ok("get", "/inbound/events?status=unmatched")["items"]
    assert waiting["emails"] == ["who@elsewhere.org", "x@elsewhere.org"]


def test_a_stale_signature_is_refused(world, calendly_sender, admin_api):
    body = invitee_event(
        "invitee.canceled", invitee=world.mentees[0]["email"], host=world.mentors[0]["email"]
    )

    response = calendly_sender.post(body, at=datetime.now(UTC) - timedelta(minutes=6))

    assert response.status_code == 401
    assert response.get_json()["type"] == "/problems/inbound-replayed"
    assert admin_api.ok("get", "/inbound/events")["items"] == []


def test_a_wrong_signature_is_refused(world, calendly_sender):
    body = invitee_event("invitee.created", invitee="a@example.org", host="b@example.org")

    response = calendly_sender.post(body, key="not-the-signing-key-at-all")

    assert response.status_code == 401
    assert response.get_json()["type"] == "/problems/inbound-signature-invalid"


def test_a_missing_signature_is_refused(client, calendly_source):
    response = client.post(
        "/api/v1/inbound/calendly/calendly", data=b"{}", content_type="application/json"
    )

    assert response.status_code == 401


def test_the_same_delivery_twice_is_a_409(world, calendly_sender):
    body = invitee_event("invitee.created", invitee="a@example.org", host="b@example.org")

    assert calendly_sender.post(body).status_code == 202
    assert calendly_sender.post(body).status_code == 409


def test_an_event_pairwise_does_not_read_is_acknowledged(calendly_sender):
    body = {"event": "routing_form_submission.created", "payload": {"uri": "x"}}

    response = calendly_sender.post(body)

    assert response.status_code == 202
    assert response.get_json()["status"] == "ignored"


def test_a_payload_without_its_scheduled_event_is_a_422(calendly_sender):
    body = {"event": "invitee.created", "payload": {"uri": "u", "email": "a@example.org"}}

    response = calendly_sender.post(body)

    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "payload.scheduled_event"


def test_a_standard_source_does_not_take_calendly_payloads(client, source):
    response = client.post(
        "/api/v1/inbound/school-calendar/calendly", data=b"{}", content_type="application/json"
    )

    assert response.status_code == 404
