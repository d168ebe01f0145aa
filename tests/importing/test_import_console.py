"""Importing in the console: upload, a preview with every invalid row, nothing saved until
confirmed, and a job with its progress for a large file."""

from __future__ import annotations

import html
import io
import re

import pytest
import sqlalchemy as sa

from service.database import db
from service.participants.models import Participant
from tests.helpers.spreadsheets import HEADER, csv_bytes, people


@pytest.fixture
def coordinator(make_staff, console_as):
    return console_as(make_staff("coordinator", "Cora Ordinator"))


def _upload(console, program_id: int, data: bytes, filename="people.csv", **form):
    return console.post(
        "/console/participants/import",
        {"program_id": str(program_id), **form, "file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def _count(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(Participant))


def test_the_preview_lists_every_invalid_row_and_saves_nothing(app, coordinator, world):
    rows = [
        HEADER,
        *people(4),
        ["Bad", "nope", "mentor", "", "", 1],
        ["", "x@example.org", "mentor", "", "", 1],
    ]
    uploaded = _upload(coordinator, world.program["id"], csv_bytes(rows))
    assert uploaded.status_code == 302
    page = html.unescape(coordinator.page(uploaded.location))
    assert "2 rows cannot be imported" in page
    assert "E-mail address: Not a valid e-mail address." in page
    assert "Full name: Missing data for required field." in page
    assert 'value="import"' not in page
    assert _count(app) == 6


def test_a_confirmed_import_saves_every_row_and_reports(app, coordinator, world):
    uploaded = _upload(coordinator, world.program["id"], csv_bytes([HEADER, *people(3)]))
    preview = coordinator.page(uploaded.location)
    assert "Import 3 participants" in preview
    mapping = {
        f"column-{i}": field
        for i, field in enumerate(["full_name", "email", "role", "phone", "goals", "capacity"])
    }
    done = coordinator.post(uploaded.location, {**mapping, "action": "import"})
    assert done.status_code == 200
    assert "3 created" in done.get_data(as_text=True)
    assert _count(app) == 9


def test_a_column_read_differently_is_checked_again(app, coordinator, world):
    rows = [["Who", "Address"], ["Ada Lund", "ada@example.org"]]
    uploaded = _upload(coordinator, world.program["id"], csv_bytes(rows), role="mentee")
    assert "no column is the full name" in html.unescape(coordinator.page(uploaded.location))
    coordinator.post(
        uploaded.location, {"column-0": "full_name", "column-1": "email", "action": "check"}
    )
    assert "Import 1 participant" in coordinator.page(uploaded.location)


def test_a_file_that_cannot_be_read_is_refused_on_the_form(coordinator, world):
    response = _upload(coordinator, world.program["id"], b"\xff\xfe\x00bad", "people.csv")
    assert response.status_code == 422
    assert "not UTF-8" in html.unescape(response.get_data(as_text=True))


@pytest.mark.parametrize(
    ("program", "form", "upload", "said"),
    [
        ("", {}, True, "Choose the program to import into."),
        ("999999", {}, True, "Choose the program to import into."),
        ("not a number", {}, True, "Choose the program to import into."),
        (None, {"role": "coach"}, True, "Choose a role, or none."),
        (None, {}, False, "Choose a file to import."),
    ],
    ids=["no program", "a program that is not there", "not an id", "unknown role", "no file"],
)
def test_an_upload_missing_what_it_needs_stays_on_the_form_and_says_what(
    app, coordinator, world, program, form, upload, said
):
    data = {
        "program_id": str(world.program["id"]) if program is None else program,
        "role": "",
        **form,
    }
    if upload:
        data["file"] = (io.BytesIO(csv_bytes([HEADER, *people(1)])), "people.csv")
    response = coordinator.post(
        "/console/participants/import", data, content_type="multipart/form-data"
    )
    assert response.status_code == 422
    assert said in html.unescape(response.get_data(as_text=True))
    assert _count(app) == 6


def test_another_member_of_staff_cannot_open_an_upload(make_staff, console_as, coordinator, world):
    uploaded = _upload(coordinator, world.program["id"], csv_bytes([HEADER, *people(1)]))
    other = console_as(make_staff("coordinator", "Otto Ther"))
    assert other.get(uploaded.location).status_code == 404


def test_a_large_file_is_imported_in_the_background_with_its_progress(
    app, coordinator, world, drain
):
    uploaded = _upload(coordinator, world.program["id"], csv_bytes([HEADER, *people(2001)]))
    mapping = {
        f"column-{i}": field
        for i, field in enumerate(["full_name", "email", "role", "phone", "goals", "capacity"])
    }
    started = coordinator.post(uploaded.location, {**mapping, "action": "import"})
    assert started.status_code == 302
    waiting = coordinator.page(started.location)
    assert re.search(r"0 of 2,001 rows checked", waiting)
    drain()
    assert "2001 created" in coordinator.page(started.location)
    assert _count(app) == 6 + 2001
