"""Why matches end: for every closure and re-match, the reasons from the practice literature
(a primary one and any others), from the mentor's, the mentee's and the coordinator's point
of view. The closure event carries them unless the ending is confidential."""

from __future__ import annotations

import sqlalchemy as sa

from service.database import db
from service.events.models import OutboxEvent
from workflows.endings import EndingReason


def _closed_payload(app, pair_id: int) -> dict:
    with app.app_context():
        return db.session.scalar(
            sa.select(OutboxEvent.payload).where(
                OutboxEvent.pair_id == pair_id, OutboxEvent.type == "pair.closed"
            )
        )


def _close(world, api, pair) -> None:
    world.log_meeting(pair["id"], is_final_session=True)
    api.trigger(pair["id"], "close")


def test_a_coordinator_records_why_the_match_ended_with_a_primary_reason_and_others(api, world):
    pair = world.drive_to("closing")

    recorded = api.ok(
        "post",
        f"/pairs/{pair['id']}/ending-reasons",
        {
            "viewpoint": "coordinator",
            "primary_reason": "lack_of_time",
            "other_reasons": ["poor_communication", "lack_of_time"],
        },
    )

    assert (recorded["primary_reason"], recorded["other_reasons"]) == (
        "lack_of_time",
        ["poor_communication"],
    )
    [item] = api.ok("get", f"/pairs/{pair['id']}/ending-reasons")["items"]
    assert item["viewpoint"] == "coordinator"


def test_each_point_of_view_keeps_its_own_account_and_a_later_one_replaces_it(api, world):
    pair = world.drive_to("closing")
    for viewpoint, reason in (
        ("mentor", "lack_of_commitment"),
        ("mentee", "personality_mismatch"),
        ("mentee", "incompatible_goals"),
    ):
        api.ok(
            "post",
            f"/pairs/{pair['id']}/ending-reasons",
            {"viewpoint": viewpoint, "primary_reason": reason},
        )

    items = api.ok("get", f"/pairs/{pair['id']}/ending-reasons")["items"]

    assert [(i["viewpoint"], i["primary_reason"]) for i in items] == [
        ("mentor", "lack_of_commitment"),
        ("mentee", "incompatible_goals"),
    ]


def test_a_reason_outside_the_list_is_refused(api, world):
    pair = world.drive_to("closing")

    response = api.post(
        f"/pairs/{pair['id']}/ending-reasons",
        {"viewpoint": "coordinator", "primary_reason": "bored"},
    )

    assert response.status_code == 422


def test_the_list_is_the_practice_literatures():
    assert {reason.value for reason in EndingReason} == {
        "lack_of_time",
        "poor_communication",
        "lack_of_feedback",
        "personality_mismatch",
        "incompatible_goals",
        "lack_of_commitment",
        "mentee_reluctance",
        "perceived_competition",
        "move_or_life_change",
        "family_or_guardian",
        "program_ended",
        "safety",
    }


def test_the_closure_event_carries_the_reasons(app, api, world):
    pair = world.drive_to("closing")
    api.ok(
        "post",
        f"/pairs/{pair['id']}/ending-reasons",
        {"viewpoint": "coordinator", "primary_reason": "program_ended"},
    )
    _close(world, api, pair)

    assert _closed_payload(app, pair["id"])["ending_reasons"] == {
        "coordinator": {"primary": "program_ended", "others": []}
    }


def test_an_ending_for_safety_keeps_its_reasons_out_of_the_closure_event(app, api, world):
    pair = world.drive_to("closing")
    api.ok(
        "post",
        f"/pairs/{pair['id']}/ending-reasons",
        {"viewpoint": "mentee", "primary_reason": "lack_of_time", "other_reasons": ["safety"]},
    )
    _close(world, api, pair)

    payload = _closed_payload(app, pair["id"])
    assert "ending_reasons" not in payload
    assert "lack_of_time" not in str(payload)


def test_an_ending_for_safety_is_withheld_from_readers_of_safety_records_only(
    client, make_token, api, admin_api, world
):
    from tests.helpers import Api

    pair = world.drive_to("closing")
    api.ok(
        "post",
        f"/pairs/{pair['id']}/ending-reasons",
        {"viewpoint": "coordinator", "primary_reason": "safety"},
    )
    reader = Api(client, make_token("pairs:read"))

    withheld = reader.ok("get", f"/pairs/{pair['id']}/ending-reasons")
    seen = admin_api.ok("get", f"/pairs/{pair['id']}/ending-reasons")

    assert (withheld["items"], withheld["withheld"]) == ([], True)
    assert [i["primary_reason"] for i in seen["items"]] == ["safety"]


def test_reasons_are_recorded_for_a_rematched_pair_too(api, world):
    at_risk = world.drive_to("at_risk")
    proposed = api.trigger(at_risk["id"], "rematch", mentor_id=world.mentors[1]["id"])
    pair = world.approve(proposed.get_json()["proposal"]["id"])["pair"]

    api.ok(
        "post",
        f"/pairs/{pair['id']}/ending-reasons",
        {"viewpoint": "coordinator", "primary_reason": "personality_mismatch"},
    )

    [item] = api.ok("get", f"/pairs/{pair['id']}/ending-reasons")["items"]
    assert item["primary_reason"] == "personality_mismatch"
