"""Why the match ended, in the console: for every closure and re-match, a coordinator records
the main reason and anything else that played a part, from their own point of view and, as
they were told, the mentor's and the mentee's."""

from __future__ import annotations

import html

from workflows.endings import LABELS, EndingReason


def test_a_coordinator_records_why_the_match_ended_from_each_point_of_view(
    api, world, make_staff, console_as
):
    pair = world.drive_to("closing")
    console = console_as(make_staff())
    path = f"/console/pairs/{pair['id']}/ending-reasons"

    response = console.post(
        path,
        data={
            "viewpoint": "coordinator",
            "primary_reason": "lack_of_time",
            "other_reasons": ["poor_communication", "lack_of_feedback"],
        },
    )
    console.post(path, data={"viewpoint": "mentee", "primary_reason": "move_or_life_change"})

    assert response.status_code == 302
    items = api.ok("get", f"/pairs/{pair['id']}/ending-reasons")["items"]
    assert [(i["viewpoint"], i["primary_reason"], i["other_reasons"]) for i in items] == [
        ("mentee", "move_or_life_change", []),
        ("coordinator", "lack_of_time", ["poor_communication", "lack_of_feedback"]),
    ]
    page = html.unescape(console.page(path))
    assert LABELS[EndingReason.POOR_COMMUNICATION] in page


def test_the_main_reason_is_required(world, make_staff, console_as):
    pair = world.drive_to("closing")
    console = console_as(make_staff())

    response = console.post(
        f"/console/pairs/{pair['id']}/ending-reasons", data={"viewpoint": "coordinator"}
    )

    assert response.status_code == 422
    assert "Choose the main reason" in response.get_data(as_text=True)


def test_the_closure_procedure_shows_the_reasons_as_a_step(world, make_staff, console_as):
    pair = world.drive_to("closing")
    console = console_as(make_staff())
    console.post(
        f"/console/pairs/{pair['id']}/ending-reasons",
        data={"viewpoint": "coordinator", "primary_reason": "program_ended"},
    )

    page = console.page(f"/console/pairs/{pair['id']}/closure")

    assert '<li class="done"><span class="visually-hidden">Done:</span> Why the match ended' in (
        page
    )


def test_an_ending_for_safety_shows_its_reasons_only_to_safeguarding_staff(
    api, world, make_staff, console_as
):
    pair = world.drive_to("closing")
    cora = make_staff("coordinator")
    api.colleague("admin").ok("patch", f"/pairs/{pair['id']}", {"coordinator_id": cora.id})
    console_as(cora).post(
        f"/console/pairs/{pair['id']}/ending-reasons",
        data={
            "viewpoint": "coordinator",
            "primary_reason": "safety",
            "other_reasons": ["lack_of_time"],
        },
    )

    own = console_as(cora).page(f"/console/pairs/{pair['id']}/ending-reasons")
    other = console_as(make_staff("coordinator")).page(
        f"/console/pairs/{pair['id']}/ending-reasons"
    )

    assert LABELS[EndingReason.LACK_OF_TIME] in own.split("Record an account")[0]
    assert LABELS[EndingReason.LACK_OF_TIME] not in other.split("Record an account")[0]
    assert "for admins and this pair's coordinator only" in other
