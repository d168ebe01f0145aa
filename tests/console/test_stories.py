"""Stories participants agreed to share are collected in one place."""

from __future__ import annotations

import csv
import html
import io
import re

import openpyxl

from tests.helpers import SurveyTaker, invite

REFLECTION = {"proudest": "Finishing the robot", "recommend": "9", "keep_in_touch": "not"}


def _reflect(client, api, participant_id: int, pair_id: int, **answers: str) -> None:
    url = invite(api, "closure_reflection", participant_id, pair_id)["url"]
    response = SurveyTaker(client, url).submit({**REFLECTION, **answers})
    assert response.status_code == 303, response.get_data(as_text=True)[:800]


def test_a_story_shared_with_consent_appears_on_the_stories_page(
    client, api, world, make_staff, console_as
):
    pair = world.drive_to("closing")
    _reflect(
        client,
        api,
        pair["mentee_id"],
        pair["id"],
        share_story="yes",
        story="I built a robot with my mentor and now I want to study engineering.",
    )

    page = console_as(make_staff()).page("/console/stories")

    assert "I built a robot with my mentor" in page


def test_a_story_without_consent_stays_private(client, api, world, make_staff, console_as):
    pair = world.drive_to("closing")
    _reflect(client, api, pair["mentee_id"], pair["id"], share_story="no")
    _reflect(client, api, pair["mentor_id"], pair["id"], share_story="no", story="Private words")

    page = console_as(make_staff()).page("/console/stories")

    assert "Private words" not in page
    assert "Finishing the robot" not in page


def _downloaded(console, fmt: str) -> list[tuple]:
    response = console.get(f"/console/stories/export.{fmt}")
    assert response.status_code == 200
    if fmt == "csv":
        text = response.get_data().decode("utf-8-sig")
        return [tuple(row) for row in csv.reader(io.StringIO(text))]
    sheet = openpyxl.load_workbook(io.BytesIO(response.get_data())).active
    return [
        tuple("" if v is None else str(v) for v in row) for row in sheet.iter_rows(values_only=True)
    ]


def test_the_stories_download_holds_the_stories_shown_and_only_the_shared_ones(
    client, api, world, make_staff, console_as
):
    pair = world.drive_to("closing")
    _reflect(
        client, api, pair["mentee_id"], pair["id"], share_story="yes", story="=I built a robot"
    )
    _reflect(client, api, pair["mentor_id"], pair["id"], share_story="no", story="Private words")
    console = console_as(make_staff())
    page = html.unescape(console.page("/console/stories"))
    assert "=I built a robot" in page and "Private words" not in page
    month = re.search(r"pair #\d+, (\w+ \d{4})", page).group(1)

    header, *rows = _downloaded(console, "csv")
    assert header == ("Pair", "Told by", "Shared in", "Story")
    assert rows == [(str(pair["id"]), "mentee", month, "'=I built a robot")]
    assert _downloaded(console, "xlsx")[1:] == [
        (str(pair["id"]), "mentee", month, "=I built a robot")
    ]


def test_support_staff_download_only_their_own_pairs_stories(
    client, api, world, make_staff, console_as
):
    theirs = world.drive_to("closing")
    other = world.drive_to("closing", mentee_index=1, mentor_index=1)
    _reflect(client, api, theirs["mentee_id"], theirs["id"], share_story="yes", story="Ours")
    _reflect(client, api, other["mentee_id"], other["id"], share_story="yes", story="Not theirs")
    coordinator, support = make_staff("coordinator"), make_staff("support")
    api.colleague("admin").ok("patch", f"/pairs/{theirs['id']}", {"coordinator_id": coordinator.id})
    console_as(coordinator).post(
        f"/console/pairs/{theirs['id']}/staff",
        data={"coordinator_id": str(coordinator.id), "support": [str(support.id)]},
    )
    as_support = console_as(support)
    assert "Not theirs" not in as_support.page("/console/stories")
    for fmt in ("csv", "xlsx"):
        assert [row[3] for row in _downloaded(as_support, fmt)[1:]] == ["Ours"]
    assert [row[3] for row in _downloaded(console_as(coordinator), "csv")[1:]] == [
        "Not theirs",
        "Ours",
    ]


def test_a_signed_out_visitor_gets_no_stories_file(client):
    response = client.get("/console/stories/export.csv")
    assert response.status_code == 302
