"""The pairs list a coordinator works from: found by a name or an e-mail, sorted by what
needs attention, with the columns that say how each pair is doing, and exported, every
page of it, to CSV and Excel with the same search and filters."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import openpyxl
import pytest

from service.clock import now
from service.console import views
from service.surveys import responses
from tests.helpers import World, invite
from tests.helpers.calendar import ANSWERS
from workflows.signals import SIGNALS


@pytest.fixture
def coordinator(make_staff):
    return make_staff("coordinator")


@pytest.fixture
def console(console_as, coordinator):
    return console_as(coordinator)


def _shown(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'href="/console/pairs/(\d+)"', page)]


def _walk(console, path: str) -> list[int]:
    """The pairs of every page of the list, following its "Next page" link."""
    shown: list[int] = []
    while path:
        page = console.page(path)
        shown += _shown(page)
        found = re.search(r'<a href="([^"]+)" rel="next"', page)
        path = found.group(1).replace("&amp;", "&") if found else ""
    return shown


def _row(page: str, pair_id: int) -> str:
    return page[page.index(f'href="/console/pairs/{pair_id}"') :].split("</tr>")[0]


def _rate(app, api, world: World, pair: dict, *, mentee: int, index: int = 0) -> None:
    """The mentee answers a check-in with this relationship rating."""
    invitation = invite(api, "checkin_mentee", world.mentees[index]["id"], pair_id=pair["id"])
    answers = {**ANSWERS["checkin_mentee"], "relationship_rating": mentee}
    with app.app_context():
        responses.submit(invitation_id=invitation["id"], answers=answers)


def test_a_search_finds_a_pair_by_its_mentors_email_whatever_the_case(api, console):
    world = World.build(api)
    wanted = world.drive_to("matched", mentee_index=0, mentor_index=1)
    world.drive_to("matched", mentee_index=1, mentor_index=2)
    email = world.mentors[1]["email"].upper()
    assert _shown(console.page(f"/console/pairs?q={email}")) == [wanted["id"]]


def test_a_search_finds_a_pair_by_part_of_the_mentees_name(api, console):
    world = World.build(api)
    wanted = world.new_pair(1)
    world.new_pair(0)
    part = world.mentees[1]["full_name"].split()[1].lower()
    assert _shown(console.page(f"/console/pairs?q={part}")) == [wanted["id"]]


def test_a_search_that_matches_no_pair_says_so(api, console):
    World.build(api).new_pair()
    page = console.page("/console/pairs?q=nobody-by-this-name")
    assert _shown(page) == []
    assert "No pair matches." in page


def test_a_search_longer_than_allowed_stays_on_the_page_with_why(console):
    response = console.get("/console/pairs?q=" + "x" * 201)
    assert response.status_code == 422
    assert "Search: at most 200 characters." in response.get_data(as_text=True)


def test_a_row_shows_the_last_meeting_the_latest_rating_and_the_coordinator(
    app, api, console, coordinator
):
    world = World.build(api)
    pair = world.drive_to("active")
    api.colleague("admin").ok("patch", f"/pairs/{pair['id']}", {"coordinator_id": coordinator.id})
    world.log_meeting(pair["id"], occurred_at="2026-11-20T16:00:00+00:00")
    _rate(app, api, world, pair, mentee=6)
    row = _row(console.page("/console/pairs"), pair["id"])
    assert "20 Nov 2026" in row
    assert "6 / \u2013" in row  # no rating from the mentor yet
    assert coordinator.full_name in row


def test_a_row_shows_the_warning_signs_the_pair_was_flagged_with(api, console):
    world = World.build(api)
    pair = world.drive_to("active")
    quiet = world.drive_to("active", mentee_index=1, mentor_index=1)
    flagged = api.trigger(pair["id"], "flag_risk", signals=["missed_meetings"])
    assert flagged.status_code == 200, flagged.get_json()
    page = console.page("/console/pairs")
    label = SIGNALS["missed_meetings"].label
    assert label in _row(page, pair["id"])
    assert label not in _row(page, quiet["id"])


def test_sorted_by_lowest_rating_the_pair_rated_lowest_comes_first(app, api, console):
    world = World.build(api)
    pairs = [world.drive_to("active", mentee_index=n, mentor_index=n) for n in range(3)]
    for index, rating in ((0, 7), (1, 3), (2, 9)):
        _rate(app, api, world, pairs[index], mentee=rating, index=index)
    shown = _shown(console.page("/console/pairs?sort=lowest_pulse"))
    assert shown == [pairs[1]["id"], pairs[0]["id"], pairs[2]["id"]]


def test_sorted_by_longest_since_a_meeting_pairs_that_never_met_come_first(api, console):
    world = World.build(api)
    pairs = [world.drive_to("active", mentee_index=n, mentor_index=n) for n in range(3)]
    world.log_meeting(pairs[0]["id"], occurred_at="2026-11-20T16:00:00+00:00")
    world.log_meeting(pairs[2]["id"], occurred_at="2026-10-01T16:00:00+00:00")
    shown = _shown(console.page("/console/pairs?sort=last_meeting"))
    assert shown == [pairs[1]["id"], pairs[2]["id"], pairs[0]["id"]]


def test_following_next_page_under_a_sort_shows_every_pair_once_in_its_order(
    api, console, monkeypatch
):
    monkeypatch.setattr(views, "PER_PAGE", 2)
    world = World.build(api, mentees=5, mentors=5)
    pairs = [world.drive_to("active", mentee_index=n, mentor_index=n) for n in range(5)]
    # Two pairs met on the same day, two never did: ties go by pair number.
    for index, day in ((3, "2026-10-01"), (0, "2026-11-01"), (4, "2026-11-01")):
        world.log_meeting(pairs[index]["id"], occurred_at=f"{day}T16:00:00+00:00")
    expected = [pairs[n]["id"] for n in (1, 2, 3, 0, 4)]
    assert _walk(console, "/console/pairs?sort=last_meeting") == expected


def _csv_rows(body: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


def test_the_csv_export_holds_every_pair_the_filters_keep_not_only_a_page(
    api, console, monkeypatch
):
    monkeypatch.setattr(views, "PER_PAGE", 1)
    world = World.build(api)
    kept = [world.new_pair(n)["id"] for n in range(3)]
    World.build(api).new_pair()  # another program's
    response = console.get(f"/console/pairs/export.csv?program={world.program['id']}")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = _csv_rows(response.get_data())
    assert [int(row["Pair"]) for row in rows] == kept
    assert {row["Mentee e-mail"] for row in rows} == {m["email"] for m in world.mentees}
    assert {row["Program"] for row in rows} == {world.program["name"]}


def test_the_xlsx_export_opens_in_openpyxl_with_the_searched_rows(api, console):
    world = World.build(api)
    wanted = world.drive_to("matched", mentee_index=2, mentor_index=0)
    world.new_pair(1)
    email = world.mentees[2]["email"]
    response = console.get(f"/console/pairs/export.xlsx?q={email}")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.get_data())).active
    header, *rows = list(sheet.iter_rows(values_only=True))
    assert header[:3] == ("Pair", "Program", "State")
    assert [(row[0], row[2], row[5]) for row in rows] == [(wanted["id"], "matched", email)]


def test_a_name_that_would_run_as_a_formula_is_exported_as_text(api, console):
    world = World.build(api, mentees=0)
    mentee = world.add_participant("mentee", full_name='=HYPERLINK("http://evil")')
    world.mentees.append(mentee)
    world.new_pair(0)
    spreadsheet = console.get("/console/pairs/export.xlsx").get_data()
    cell = openpyxl.load_workbook(io.BytesIO(spreadsheet)).active["E2"]
    assert (cell.value, cell.data_type) == ('=HYPERLINK("http://evil")', "s")
    (row,) = _csv_rows(console.get("/console/pairs/export.csv").get_data())
    assert row["Mentee"] == '\'=HYPERLINK("http://evil")'


def test_support_staff_export_only_the_pairs_they_support(api, make_staff, console_as):
    world = World.build(api)
    theirs, _ = world.new_pair(0), world.new_pair(1)
    support, coordinator = make_staff("support"), make_staff("coordinator")
    api.colleague("admin").ok("patch", f"/pairs/{theirs['id']}", {"coordinator_id": coordinator.id})
    console_as(coordinator).post(
        f"/console/pairs/{theirs['id']}/staff",
        data={"coordinator_id": str(coordinator.id), "support": [str(support.id)]},
    )
    rows = _csv_rows(console_as(support).get("/console/pairs/export.csv").get_data())
    assert [int(row["Pair"]) for row in rows] == [theirs["id"]]


def test_days_in_state_count_from_the_last_change(app, api, console):
    from service.database import db
    from service.pairs.models import Pair

    world = World.build(api)
    pair = world.new_pair()
    with app.app_context():
        db.session.get(Pair, pair["id"]).state_changed_at = now() - timedelta(days=12)
        db.session.commit()
    (row,) = _csv_rows(console.get("/console/pairs/export.csv").get_data())
    assert row["Days in state"] == "12"
