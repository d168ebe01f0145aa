"""A coordinator's check-in starts by discussing confidentiality and consent: people are
honest about their difficulties only when they trust that what they say stays confidential.
The check-in records that it was discussed."""

from __future__ import annotations

import html

from surveys import loader

LABEL = (
    "At the start, did you discuss confidentiality, and check their consent to how what "
    "they tell you is shared?"
)


def test_the_coordinators_check_in_asks_first_whether_confidentiality_was_discussed(
    world, make_staff, console_as
):
    pair = world.drive_to("active")

    page = html.unescape(console_as(make_staff()).page(f"/console/pairs/{pair['id']}"))

    first = loader.standard()["coordinator_checkin"][0].questions[0]
    assert (first.key, first.type, first.label) == ("confidentiality_discussed", "yes_no", LABEL)
    assert LABEL in page


def test_the_check_in_records_that_confidentiality_and_consent_were_discussed(
    world, api, make_staff, console_as
):
    pair = world.drive_to("active")
    console = console_as(make_staff())

    response = console.post(
        f"/console/pairs/{pair['id']}/checkins",
        data={
            "checkin-confidentiality_discussed": "yes",
            "checkin-approach": "individual",
            "checkin-with_whom": ["mentee"],
            "checkin-channel": "phone",
            "checkin-how_they_are": "4",
            "checkin-safety_concern": "no",
        },
    )

    assert response.status_code == 302
    [checkin] = api.colleague("responses:read_private").ok("get", f"/pairs/{pair['id']}/responses")[
        "items"
    ]
    answers = {a["key"]: a["display"] for a in checkin["answers"]}
    assert answers["confidentiality_discussed"] == "Yes"
