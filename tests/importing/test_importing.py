"""Importing participants: mapping columns, every invalid row with why, all or nothing,
updates on the same e-mail address, and the report."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from service.actors import system
from service.database import db
from service.errors import Invalid
from service.participants import importing
from service.participants.models import Participant
from tests.helpers.spreadsheets import HEADER, csv_bytes, people, xlsx_bytes

CAPACITY_RANGE = "Must be greater than or equal to 1 and less than or equal to 20."


@pytest.fixture
def program_id(world) -> int:
    return world.program["id"]


def _run(app, data: bytes, program_id: int, filename: str = "people.csv", **options):
    with app.test_request_context():
        return importing.run(data, filename, program_id=program_id, actor=system(), **options)


def _count(app, program_id: int) -> int:
    with app.app_context():
        return db.session.scalar(
            sa.select(sa.func.count()).where(Participant.program_id == program_id)
        )


def test_headers_are_mapped_to_fields_by_their_names():
    mapping = importing.auto_mapping(
        ["Full name", "E-mail", "Type", "Mobile", "Time zone", "Notes"]
    )
    assert mapping == {
        "Full name": "full_name",
        "E-mail": "email",
        "Type": "role",
        "Mobile": "phone",
        "Time zone": "timezone",
        "Notes": None,
    }


def test_a_csv_file_is_imported_and_reported(app, program_id):
    report = _run(app, csv_bytes([HEADER, *people(3)]), program_id)
    assert (report.created, report.updated, report.skipped, report.errors) == (3, 0, 0, [])
    assert _count(app, program_id) == 6 + 3


def test_an_xlsx_workbook_is_imported(app, program_id):
    report = _run(app, xlsx_bytes([HEADER, *people(2, "mentee")]), program_id, "people.xlsx")
    assert report.created == 2
    with app.app_context():
        person = db.session.scalar(
            sa.select(Participant).where(Participant.email == "mentee0@example.org")
        )
        assert person.goals == ["reading", "careers"]


def test_a_semicolon_separated_file_is_read(app, program_id):
    report = _run(app, csv_bytes([HEADER, *people(2)], delimiter=";"), program_id)
    assert report.created == 2


def test_every_invalid_row_is_listed_with_why(app, program_id):
    rows = [HEADER, *people(2), ["", "no-name@example.org", "mentor", "", "", 1],
            ["Bad Mail", "not-an-address", "mentor", "", "", 1],
            ["Too Many", "many@example.org", "mentor", "", "", 99]]  # fmt: skip
    report = _run(app, csv_bytes(rows), program_id, dry_run=True)
    assert [(e.line, e.messages) for e in report.errors] == [
        (4, ["Full name: Missing data for required field."]),
        (5, ["E-mail address: Not a valid e-mail address."]),
        (
            6,
            [f"Capacity (mentors): {CAPACITY_RANGE}"],
        ),
    ]


def test_nothing_is_imported_while_a_row_is_invalid(app, program_id):
    rows = [HEADER, *people(5), ["Bad Mail", "not-an-address", "mentor", "", "", 1]]
    report = _run(app, csv_bytes(rows), program_id)
    assert not report.imported and report.created == 5
    assert _count(app, program_id) == 6


def test_a_dry_run_reports_and_writes_nothing(app, program_id):
    report = _run(app, csv_bytes([HEADER, *people(4)]), program_id, dry_run=True)
    assert (report.created, report.imported) == (4, False)
    assert _count(app, program_id) == 6


def test_importing_again_updates_by_e_mail_and_skips_the_unchanged(app, program_id):
    _run(app, csv_bytes([HEADER, *people(3)]), program_id)
    changed = people(3)
    changed[0][3] = "+47 900 00 000"
    changed[1][1] = "MENTOR1@EXAMPLE.ORG"
    report = _run(app, csv_bytes([HEADER, *changed]), program_id)
    assert (report.created, report.updated, report.skipped) == (0, 1, 2)
    assert _count(app, program_id) == 9


def test_the_same_person_twice_in_a_file_is_an_invalid_row(app, program_id):
    report = _run(app, csv_bytes([HEADER, *people(2), *people(1)]), program_id, dry_run=True)
    assert [(e.line, e.messages) for e in report.errors] == [
        (4, ["E-mail address: the same mentor is on line 2"])
    ]


def test_a_role_for_every_row_fills_in_a_missing_role_column(app, program_id):
    rows = [["Name", "Email"], ["Ada Lund", "ada@example.org"]]
    report = _run(app, csv_bytes(rows), program_id, role="mentee")
    assert report.created == 1


def test_a_mapping_without_an_e_mail_column_is_refused(app, program_id):
    with pytest.raises(Invalid, match="no column is the e-mail address"):
        _run(app, csv_bytes([["Name"], ["Ada"]]), program_id, role="mentee")


def test_a_chosen_mapping_overrides_the_automatic_one(app, program_id):
    rows = [["Who", "Address", "Kind"], ["Ada Lund", "ada@example.org", "mentee"]]
    mapping = {"Who": "full_name", "Address": "email", "Kind": "role"}
    report = _run(app, csv_bytes(rows), program_id, mapping=mapping)
    assert report.created == 1


def test_a_file_that_is_neither_csv_nor_a_workbook_is_refused(app, program_id):
    with pytest.raises(Invalid, match="CSV file or an Excel workbook"):
        _run(app, b"%PDF-1.4", program_id, filename="people.pdf")


def test_imported_people_are_approved_unless_imported_as_applications(app, program_id):
    _run(app, csv_bytes([HEADER, *people(1)]), program_id)
    _run(app, csv_bytes([HEADER, *people(1, start=1)]), program_id, as_applications=True)
    with app.app_context():
        states = dict(
            db.session.execute(sa.select(Participant.email, Participant.intake_state)).all()
        )
    assert states["mentor0@example.org"] == "approved"
    assert states["mentor1@example.org"] == "applied"


def test_the_cli_imports_a_file_and_reports(app, program_id, tmp_path, service_env):
    from click.testing import CliRunner

    from service.cli import cli

    path = tmp_path / "people.csv"
    path.write_bytes(
        csv_bytes([["Who", "Mail", "Role"], ["Ada Lund", "ada@example.org", "mentee"]])
    )
    result = CliRunner().invoke(
        cli,
        ["import-participants", str(path), "--program", str(program_id), "--map", "Who=full_name"],
        env=service_env,
    )
    assert result.exit_code == 0, result.output
    assert "Imported 1 row(s): 1 created, 0 updated, 0 unchanged." in result.output


def test_the_cli_lists_invalid_rows_and_imports_nothing(app, program_id, tmp_path, service_env):
    from click.testing import CliRunner

    from service.cli import cli

    path = tmp_path / "people.csv"
    path.write_bytes(csv_bytes([HEADER, *people(2), ["Bad", "nope", "mentor", "", "", 1]]))
    result = CliRunner().invoke(
        cli, ["import-participants", str(path), "--program", str(program_id)], env=service_env
    )
    assert result.exit_code == 1
    assert "line 4: E-mail address: Not a valid e-mail address." in result.output
    assert _count(app, program_id) == 6


def test_rows_that_fill_different_columns_are_imported_together(app, program_id):
    rows = [
        ["Name", "Email", "Role", "Time zone"],
        ["Ada Lund", "ada@example.org", "mentee", "Europe/Oslo"],
        ["Bo Berg", "bo@example.org", "mentee", ""],
    ]
    report = _run(app, csv_bytes(rows), program_id)
    assert report.created == 2
