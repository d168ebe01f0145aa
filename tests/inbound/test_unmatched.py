"""Events whose pair cannot be told: kept as unmatched, attached by a coordinator."""

from __future__ import annotations

import re

from tests.helpers.inbound import (
    StandardSender,
    cancellation,
    invitee_event,
    meeting_event,
    meetings_of,
)


def _unknown_cancellation() -> dict:
    return invitee_event("invitee.canceled", invitee="kid@home.example", host="m@work.example")


def test_an_unmatched_calendly_event_can_be_resolved_to_a_pair(
    api, admin_api, world, calendly_sender
):
    pair = world.drive_to("active")
    waiting = calendly_sender.post(_unknown_cancellation()).get_json()

    body = {"pair_id": pair["id"], "cancelled_by": "mentee"}
    resolved = admin_api.ok("post", f"/inbound/events/{waiting['id']}/resolve", body)

    assert (resolved["status"], resolved["pair_id"]) == ("resolved", pair["id"])
    assert resolved["resolved_by"] and resolved["resolved_at"]
    (meeting,) = meetings_of(api, pair["id"])
    assert (meeting["status"], meeting["missed_by"]) == ("cancelled", "mentee")
    assert admin_api.ok("get", "/inbound/events?status=unmatched")["items"] == []


def test_resolved_events_count_toward_the_streak(api, admin_api, world, sender, calendly_sender):
    pair = world.drive_to("active")
    sender.post(cancellation(pair["id"], days_ago=8))
    sender.post(cancellation(pair["id"], days_ago=4))
    waiting = calendly_sender.post(_unknown_cancellation()).get_json()

    admin_api.ok("post", f"/inbound/events/{waiting['id']}/resolve", {"pair_id": pair["id"]})

    assert api.ok("get", f"/pairs/{pair['id']}")["state"] == "at_risk"


def test_an_event_is_resolved_once(admin_api, world, calendly_sender):
    pair = world.drive_to("active")
    waiting = calendly_sender.post(_unknown_cancellation()).get_json()
    path = f"/inbound/events/{waiting['id']}/resolve"
    admin_api.ok("post", path, {"pair_id": pair["id"]})

    assert admin_api.post(path, {"pair_id": pair["id"]}).status_code == 409


def test_an_event_is_not_attached_to_a_pair_that_does_not_meet(admin_api, world, calendly_sender):
    recruited = world.new_pair()
    waiting = calendly_sender.post(_unknown_cancellation()).get_json()

    response = admin_api.post(
        f"/inbound/events/{waiting['id']}/resolve", {"pair_id": recruited["id"]}
    )

    assert response.status_code == 409
    assert admin_api.ok("get", f"/inbound/events/{waiting['id']}")["status"] == "unmatched"


def test_an_addressed_pair_of_another_program_is_not_matched(api, admin_api, world, client):
    other = world.drive_to("active")
    program = api.ok("post", "/programs", {"name": "Another program"})
    source = admin_api.ok(
        "post",
        "/inbound-sources",
        {"slug": "elsewhere", "name": "Elsewhere", "program_id": program["id"]},
    )
    body = meeting_event("no_show", participants=[world.mentees[0]["email"]])
    event = StandardSender(client, source).post(body).get_json()

    assert (event["status"], event["pair_id"]) == ("unmatched", None)
    assert meetings_of(api, other["id"]) == []


def test_a_mentors_address_beside_a_strangers_is_left_to_a_coordinator(world, sender):
    world.drive_to("active")
    body = meeting_event(
        "no_show", participants=[world.mentors[0]["email"], "someone@else.example"]
    )

    assert sender.post(body).get_json()["status"] == "unmatched"


def test_an_unknown_pair_id_is_kept_as_unmatched(sender):
    response = sender.post(meeting_event("no_show", pair_id=999))

    assert response.status_code == 202
    assert response.get_json()["details"]["unmatched_because"] == "no pair 999"


def test_an_unmatched_event_can_be_set_aside(admin_api, calendly_sender):
    waiting = calendly_sender.post(_unknown_cancellation()).get_json()

    ignored = admin_api.ok("post", f"/inbound/events/{waiting['id']}/ignore")

    assert ignored["status"] == "ignored"


def test_the_console_lists_unmatched_events_and_attaches_one(
    api, world, calendly_sender, make_staff, console_as
):
    pair = world.drive_to("active")
    waiting = calendly_sender.post(_unknown_cancellation()).get_json()
    console = console_as(make_staff("coordinator"))

    page = console.page("/console/inbound/")
    assert "kid@home.example" in page
    assert re.search(rf'<option value="{pair["id"]}">#{pair["id"]} ', page)

    response = console.post(f"/console/inbound/{waiting['id']}/resolve", {"pair_id": pair["id"]})

    assert response.status_code == 302
    assert [m["status"] for m in meetings_of(api, pair["id"])] == ["cancelled"]
    assert "kid@home.example" not in console.page("/console/inbound/")


def test_the_console_page_is_for_coordinators_and_admins(make_staff, console_as):
    support = console_as(make_staff("support"))

    assert support.get("/console/inbound/").status_code == 403
