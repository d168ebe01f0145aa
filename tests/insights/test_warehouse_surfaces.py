"""The warehouse export through the API, the console and the `pairwise` command: for admins
only, problem JSON and form errors for a bad `since`, clear messages from the command."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from click.testing import CliRunner

from service.cli import cli
from service.participants.models import Participant
from tests.helpers import Api, World


def _later(minutes: int = 10) -> time_machine.travel:
    return time_machine.travel(datetime.now(UTC) + timedelta(minutes=minutes), tick=True)


def _archive(body: bytes) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(body))


def _participant_ids(archive: zipfile.ZipFile) -> set[int]:
    with archive.open("participants.csv") as raw:
        rows = csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8", newline=""))
        return {int(row["id"]) for row in rows}


@pytest.fixture
def world(api) -> World:
    return World.build(api, mentors=1, mentees=2)


# The API


def test_the_api_returns_the_zip_with_its_cursor_in_a_header(admin_api, world):
    program_id = world.program["id"]
    with _later():
        response = admin_api.get(f"/programs/{program_id}/warehouse-export")
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    assert "attachment" in response.headers["Content-Disposition"]
    archive = _archive(response.get_data())
    manifest = json.loads(archive.read("manifest.json"))
    assert response.headers["Warehouse-Cursor"] == manifest["cursor"]
    assert _participant_ids(archive) == {p["id"] for p in world.mentors + world.mentees}


def test_the_api_export_since_the_cursor_holds_only_what_changed(admin_api, world):
    program_id = world.program["id"]
    with _later(10):
        cursor = admin_api.get(f"/programs/{program_id}/warehouse-export").headers[
            "Warehouse-Cursor"
        ]
    with _later(20):
        added = world.add_participant("mentor")
    with _later(40):
        response = admin_api.get(
            f"/programs/{program_id}/warehouse-export",
            query_string={"since": cursor, "format": "parquet"},
        )
    assert response.status_code == 200
    archive = _archive(response.get_data())
    assert "participants.parquet" in archive.namelist()
    manifest = json.loads(archive.read("manifest.json"))
    participants = next(t for t in manifest["tables"] if t["name"] == "participants")
    assert manifest["since"] == datetime.fromisoformat(cursor).isoformat()
    assert participants["rows"] == 1 and added["id"]


def test_a_since_that_is_not_a_time_is_a_validation_problem(admin_api, world):
    response = admin_api.get(
        f"/programs/{world.program['id']}/warehouse-export", query_string={"since": "yesterday"}
    )
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert response.json["type"].endswith("/problems/validation-error")
    assert response.json["errors"][0]["field"] == "since"


def test_a_since_in_the_future_is_a_validation_problem(admin_api, world):
    soon = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    response = admin_api.get(
        f"/programs/{world.program['id']}/warehouse-export", query_string={"since": soon}
    )
    assert response.status_code == 422
    assert response.json["type"].endswith("/problems/validation-error")
    assert "must not be in the future" in response.json["detail"]


def test_an_unknown_format_is_a_validation_problem(admin_api, world):
    response = admin_api.get(
        f"/programs/{world.program['id']}/warehouse-export", query_string={"format": "xlsx"}
    )
    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == "format"


def test_an_unknown_program_is_not_found(admin_api):
    response = admin_api.get("/programs/999999/warehouse-export")
    assert response.status_code == 404
    assert response.json["type"].endswith("/problems/not-found")


def test_the_api_refuses_a_token_without_the_admin_scope(client, make_token, world):
    reader = Api(client, make_token("programs:read", "pairs:read", "participants:read"))
    response = reader.get(f"/programs/{world.program['id']}/warehouse-export")
    assert response.status_code == 403
    assert response.json["type"].endswith("/problems/forbidden")


# The console


def test_an_admin_downloads_the_zip_from_the_console(make_staff, console_as, world):
    console = console_as(make_staff("admin"))
    page = console.page(f"/console/programs/{world.program['id']}/warehouse-export")
    assert "Changed after" in page and "survey_answers" in page
    with _later():
        response = console.get(
            f"/console/programs/{world.program['id']}/warehouse-export.zip?since=&format=csv"
        )
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    assert _participant_ids(_archive(response.get_data())) == {
        p["id"] for p in world.mentors + world.mentees
    }


def test_the_insights_page_offers_the_export_to_admins_only(make_staff, console_as, world):
    path = f"/console/programs/{world.program['id']}/insights"
    assert "Warehouse export" in console_as(make_staff("admin")).page(path)
    assert "Warehouse export" not in console_as(make_staff("coordinator")).page(path)


@pytest.mark.parametrize("role", ["coordinator", "support"])
def test_the_console_refuses_the_export_to_staff_who_are_not_admins(
    make_staff, console_as, world, role
):
    console = console_as(make_staff(role))
    base = f"/console/programs/{world.program['id']}/warehouse-export"
    assert console.get(base).status_code == 403
    assert console.get(f"{base}.zip").status_code == 403


def test_a_since_that_is_not_a_time_shows_the_form_again_with_the_error(
    make_staff, console_as, world
):
    console = console_as(make_staff("admin"))
    response = console.get(
        f"/console/programs/{world.program['id']}/warehouse-export.zip?since=last+week"
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Changed after: use a time like 2026-11-01T00:00:00Z" in page
    assert 'value="last week"' in page


def test_a_since_in_the_future_shows_the_form_again_with_the_error(make_staff, console_as, world):
    console = console_as(make_staff("admin"))
    soon = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    response = console.get(
        f"/console/programs/{world.program['id']}/warehouse-export.zip?since={soon}"
    )
    assert response.status_code == 422
    assert "Changed after: must not be in the future" in response.get_data(as_text=True)


# The command


def _command(service_env, *args: str):
    return CliRunner().invoke(
        cli, ["warehouse-export", *args], env=service_env, catch_exceptions=False
    )


def test_the_command_writes_the_zip_and_says_the_next_cursor(app, api, service_env, tmp_path):
    with app.app_context():
        world = World.build(api, mentors=1, mentees=1)
    output = tmp_path / "first.zip"
    with _later(10):
        result = _command(
            service_env, "--program", str(world.program["id"]), "--output", str(output)
        )
    assert result.exit_code == 0, result.output
    manifest = json.loads(_archive(output.read_bytes()).read("manifest.json"))
    assert f"Next time: --since {manifest['cursor']}" in result.output
    assert _participant_ids(_archive(output.read_bytes())) == {
        world.mentors[0]["id"], world.mentees[0]["id"]
    }  # fmt: skip
    with _later(20), app.app_context():
        added = world.add_participant("mentee")
    second = tmp_path / "second.zip"
    with _later(40):
        result = _command(
            service_env, "--program", str(world.program["id"]), "--after", str(output),
            "--output", str(second),
        )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert _participant_ids(_archive(second.read_bytes())) == {added["id"]}


def test_the_command_says_what_is_wrong(app, api, service_env, tmp_path):
    with app.app_context():
        program_id = str(World.build(api, mentors=0, mentees=0).program["id"])
    output = tmp_path / "export.zip"
    not_a_time = _command(
        service_env, "--program", program_id, "--since", "soon", "--output", str(output)
    )
    assert not_a_time.exit_code == 2
    assert "Invalid value for '--since': 'soon' is not a time" in not_a_time.output
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    ahead = _command(
        service_env, "--program", program_id, "--since", future, "--output", str(output)
    )
    assert ahead.exit_code == 1 and "since: must not be in the future" in ahead.output
    unknown = _command(service_env, "--program", "999999", "--output", str(output))
    assert unknown.exit_code == 1 and "No program with id 999999." in unknown.output
    not_an_export = tmp_path / "notes.zip"
    not_an_export.write_bytes(b"not a zip")
    wrong = _command(
        service_env, "--program", program_id, "--after", str(not_an_export), "--output", str(output)
    )
    assert wrong.exit_code == 2 and "is not a warehouse export" in wrong.output
    assert not output.exists()
    assert list(tmp_path.iterdir()) == [not_an_export]  # no half-written file left behind


def test_the_export_is_written_to_the_service_log(admin_api, world, caplog):
    with _later(), caplog.at_level("INFO", logger="service.insights.warehouse"):
        admin_api.get(f"/programs/{world.program['id']}/warehouse-export")
    (line,) = [r.getMessage() for r in caplog.records if "warehouse export" in r.getMessage()]
    assert f"warehouse export of program {world.program['id']} by " in line


def test_a_participant_row_reads_as_stored(app_context, admin_api, world):
    from service.database import db

    person = db.session.get(Participant, world.mentees[0]["id"])
    person.full_name = "=HYPERLINK(1)"
    db.session.commit()
    with _later():
        archive = _archive(
            admin_api.get(f"/programs/{world.program['id']}/warehouse-export").get_data()
        )
    with archive.open("participants.csv") as raw:
        names = {r["full_name"] for r in csv.DictReader(io.TextIOWrapper(raw, "utf-8"))}
    assert "=HYPERLINK(1)" in names
