"""Who sees what: support staff see their own pairs, safety notes are for admins and the
pair's coordinator, and every read of one is logged."""

from __future__ import annotations

import csv
import io
import re

import openpyxl
import pytest
import sqlalchemy as sa

from service.database import db
from service.notes.models import AccessRecord, Note

SAFETY_TEXT = "Mentee described an adult at home who frightens them"


@pytest.fixture
def team(make_staff, console_as, world, api):
    """A pair with its own coordinator, one support worker assigned, and a safety note."""
    pair = world.drive_to("active")
    other = world.drive_to("active", mentee_index=1, mentor_index=1)
    admin, coordinator, colleague = (
        make_staff("admin", "Ada Admin"),
        make_staff("coordinator", "Cora Ordinator"),
        make_staff("coordinator", "Colin Colleague"),
    )
    support = make_staff("support", "Sam Support")
    api.colleague("admin").ok("patch", f"/pairs/{pair['id']}", {"coordinator_id": coordinator.id})
    as_coordinator = console_as(coordinator)
    as_coordinator.post(
        f"/console/pairs/{pair['id']}/staff",
        data={"coordinator_id": str(coordinator.id), "support": [str(support.id)]},
    )
    as_coordinator.post(
        f"/console/pairs/{pair['id']}/notes",
        data={"body": SAFETY_TEXT, "confidentiality": "safety"},
    )
    as_coordinator.post(
        f"/console/pairs/{pair['id']}/notes",
        data={"body": "Mentor is moving house in May", "confidentiality": "coordinators"},
    )
    as_coordinator.post(
        f"/console/pairs/{pair['id']}/notes",
        data={"body": "They met at the library again", "confidentiality": "team"},
    )
    return {
        "pair": pair,
        "other": other,
        "admin": console_as(admin),
        "admin_staff": admin,
        "coordinator": as_coordinator,
        "coordinator_staff": coordinator,
        "colleague": console_as(colleague),
        "support": console_as(support),
    }


def _note_id(app, confidentiality: str) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(Note.id).where(Note.confidentiality == confidentiality))


def _reads(app) -> list[tuple[int, str]]:
    with app.app_context():
        return [
            (r.user_id, r.subject)
            for r in db.session.scalars(sa.select(AccessRecord).order_by(AccessRecord.id))
        ]


def test_support_staff_open_the_pairs_assigned_to_them(team):
    assert team["support"].get(f"/console/pairs/{team['pair']['id']}").status_code == 200


def test_support_staff_get_403_on_a_pair_not_assigned_to_them(team):
    response = team["support"].get(f"/console/pairs/{team['other']['id']}")

    assert response.status_code == 403


def test_support_staff_list_only_their_own_pairs(team):
    page = team["support"].page("/console/pairs")

    assert f'/console/pairs/{team["pair"]["id"]}"' in page
    assert f'/console/pairs/{team["other"]["id"]}"' not in page


def test_no_safety_note_text_is_on_the_pair_page(team):
    for who in ("admin", "coordinator", "colleague", "support"):
        assert SAFETY_TEXT not in team[who].page(f"/console/pairs/{team['pair']['id']}")


def test_the_pairs_coordinator_reads_a_safety_note_and_the_read_is_logged(app, team):
    note = _note_id(app, "safety")

    page = team["coordinator"].page(f"/console/pairs/{team['pair']['id']}/notes/{note}")

    assert SAFETY_TEXT in page
    assert _reads(app) == [(team["coordinator_staff"].id, f"note:{note}")]


def test_an_admin_reads_a_safety_note_and_the_read_is_logged(app, team):
    note = _note_id(app, "safety")

    team["admin"].page(f"/console/pairs/{team['pair']['id']}/notes/{note}")
    team["admin"].page(f"/console/pairs/{team['pair']['id']}/notes/{note}")

    assert _reads(app) == [(team["admin_staff"].id, f"note:{note}")] * 2


@pytest.mark.parametrize("who", ["support", "colleague"])
def test_others_cannot_read_a_safety_note(app, team, who):
    note = _note_id(app, "safety")

    response = team[who].get(f"/console/pairs/{team['pair']['id']}/notes/{note}")

    assert response.status_code == 403
    assert SAFETY_TEXT not in response.get_data(as_text=True)
    assert _reads(app) == []


def test_support_staff_do_not_see_notes_meant_for_coordinators(app, team):
    page = team["support"].page(f"/console/pairs/{team['pair']['id']}")
    note = _note_id(app, "coordinators")

    assert "Mentor is moving house" not in page
    assert "They met at the library again" in page
    assert (
        team["support"].get(f"/console/pairs/{team['pair']['id']}/notes/{note}").status_code == 403
    )


def test_the_access_log_shows_every_read_of_a_safety_note(app, team):
    note = _note_id(app, "safety")
    team["coordinator"].page(f"/console/pairs/{team['pair']['id']}/notes/{note}")
    team["admin"].page(f"/console/pairs/{team['pair']['id']}/notes/{note}")

    page = team["admin"].page("/console/access-log")

    rows = re.findall(r"<tr><td>[^<]+</td><td>([^<]+)</td>.*?<td>(note:\d+)</td></tr>", page)
    assert sorted(rows) == [("Ada Admin", f"note:{note}"), ("Cora Ordinator", f"note:{note}")]


def test_only_admins_open_the_access_log(team):
    assert team["coordinator"].get("/console/access-log").status_code == 403


def test_the_access_log_downloads_the_reads_the_page_shows(app, team):
    note = _note_id(app, "safety")
    team["coordinator"].page(f"/console/pairs/{team['pair']['id']}/notes/{note}")
    team["admin"].page(f"/console/pairs/{team['pair']['id']}/notes/{note}")
    page = team["admin"].page("/console/access-log")
    shown = re.findall(
        r"<tr><td>[^<]+</td><td>([^<]+)</td><td><a [^>]+>#(\d+)</a></td><td>([^<]+)</td>", page
    )
    assert len(shown) == 2

    response = team["admin"].get("/console/access-log/export.csv")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert [(r["Who"], r["Pair"], r["What"]) for r in rows] == shown
    workbook = team["admin"].get("/console/access-log/export.xlsx")
    header, *cells = openpyxl.load_workbook(io.BytesIO(workbook.get_data())).active.iter_rows(
        values_only=True
    )
    assert header == ("When", "Who", "Pair", "What")
    assert [(c[1], str(c[2]), c[3]) for c in cells] == shown
    assert SAFETY_TEXT not in response.get_data(as_text=True)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("who", ["coordinator", "support"])
def test_only_admins_download_the_access_log(team, who, fmt):
    assert team[who].get(f"/console/access-log/export.{fmt}").status_code == 403


def test_the_timeline_lists_notes_without_their_text(team):
    page = team["support"].page(f"/console/pairs/{team['pair']['id']}")
    timeline = page[page.index('id="timeline"') : page.index('id="calendar"')]

    assert "Note (safety) by Cora Ordinator" in timeline
    assert SAFETY_TEXT not in timeline
