"""Training for everyone the practice names: a program may require training of the mentee's
parents or guardians too, and a training record keeps what the session covered (its topics),
not only its name."""

from __future__ import annotations

import html

from tests.helpers import World

WITH_GUARDIANS = {
    "mentor": ["mentor_orientation"],
    "mentee": ["mentee_orientation"],
    "guardian": ["guardian_orientation"],
}


def _pair_in_training_with_a_guardian(api) -> tuple[World, dict, dict]:
    world = World.build(api, required_training=WITH_GUARDIANS)
    guardian = world.add_participant("guardian", guardian_of_id=world.mentees[0]["id"])
    return world, world.drive_to("training"), guardian


def test_a_pair_is_not_activated_until_the_guardians_required_training_is_attended(api):
    world, pair, guardian = _pair_in_training_with_a_guardian(api)

    refused = api.trigger(pair["id"], "activate")

    assert refused.status_code == 409
    problem = refused.get_json()
    assert "a parent or guardian still needs guardian_orientation" in problem["detail"]
    assert "guardians_completed_training" in [r["guard"] for r in problem["requirements"]]
    world.record_training(guardian["id"], "guardian_orientation")
    assert api.trigger(pair["id"], "activate").status_code == 200


def test_guardian_training_is_not_asked_of_a_mentee_without_a_guardian(api):
    world = World.build(api, required_training=WITH_GUARDIANS)
    pair = world.drive_to("training")

    assert api.trigger(pair["id"], "activate").status_code == 200


def test_a_training_record_keeps_the_topics_the_session_covered(api, world):
    mentor = world.add_participant("mentor")

    recorded = api.ok(
        "post",
        f"/participants/{mentor['id']}/training",
        {
            "session": "mentor_orientation",
            "completed_on": "2026-10-01",
            "topics": ["safety", "boundaries", "goal setting"],
        },
    )

    assert recorded["topics"] == ["safety", "boundaries", "goal setting"]
    [listed] = api.ok("get", f"/participants/{mentor['id']}/training")["items"]
    assert listed["topics"] == ["safety", "boundaries", "goal setting"]


def test_the_pair_page_records_a_guardians_training_and_shows_what_it_covered(
    api, make_staff, console_as
):
    _world, pair, guardian = _pair_in_training_with_a_guardian(api)
    console = console_as(make_staff())
    before = html.unescape(console.page(f"/console/pairs/{pair['id']}"))
    assert "still needs guardian orientation" in before

    console.post(
        f"/console/pairs/{pair['id']}/training",
        data={
            "participant_id": str(guardian["id"]),
            "session": "guardian_orientation",
            "topics": "safety, the program's rules,  contact with the mentor",
        },
    )

    [record] = api.ok("get", f"/participants/{guardian['id']}/training")["items"]
    assert record["topics"] == ["safety", "the program's rules", "contact with the mentor"]
    page = html.unescape(console.page(f"/console/pairs/{pair['id']}"))
    assert "Guardian orientation" in page
    assert "safety, the program's rules, contact with the mentor" in page
