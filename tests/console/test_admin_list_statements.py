"""The admins' lists (staff, API tokens, the access log) and the stories, pages and downloads
alike, cost the same statements however many rows they show: no row is read on its own."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import openpyxl
import pytest

from service.database import db
from service.notes.models import AccessRecord
from service.surveys import versions
from service.surveys.models import SurveyResponse
from tests.helpers.statements import counting

PATHS = {
    "staff": ["/console/staff/", "/console/staff/export.csv"],
    "tokens": ["/console/tokens", "/console/tokens/export.xlsx"],
    "access log": ["/console/access-log", "/console/access-log/export.csv"],
    "stories": ["/console/stories", "/console/stories/export.xlsx"],
}


@pytest.fixture
def counted(app):
    """`with counted() as sent:` the statements the app sends meanwhile."""
    return lambda: counting(app)


def _add_rows(
    app, kind: str, count: int, world, make_staff, make_token, admin_id: int, mentee: int
) -> None:
    if kind == "staff":
        for _ in range(count):
            make_staff("support")
    elif kind == "tokens":
        for _ in range(count):
            make_token("pairs:read")
    else:
        pair_id = world.new_pair(mentee)["id"]
        with app.app_context():
            if kind == "access log":
                db.session.add_all(
                    AccessRecord(user_id=admin_id, pair_id=pair_id, subject=f"note:{n}")
                    for n in range(count)
                )
            else:
                mentee_id = world.mentees[mentee]["id"]
                version = versions.current_version(
                    survey_key="six_month_update", program_id=world.program["id"]
                )
                db.session.add_all(
                    SurveyResponse(
                        survey_version_id=version.id,
                        survey_key="six_month_update",
                        purpose="outcome",
                        participant_id=mentee_id,
                        respondent_role="mentee",
                        pair_id=pair_id,
                        answers={"share_story": "yes", "story": f"Story {n}"},
                        submitted_at=datetime.now(UTC),
                    )
                    for n in range(count)
                )
            db.session.commit()


def _rows(response) -> int:
    """The rows of a download, its header left out."""
    if response.mimetype == "text/csv":
        return len(list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))) - 1
    sheet = openpyxl.load_workbook(io.BytesIO(response.get_data()), read_only=True).active
    return sum(1 for _ in sheet.iter_rows()) - 1


@pytest.mark.parametrize("kind", PATHS)
def test_a_list_and_its_download_send_as_many_statements_for_twelve_rows_as_for_three(
    app, world, make_staff, make_token, console_as, counted, kind
):
    admin = make_staff("admin")
    console = console_as(admin)
    for path in PATHS[kind]:
        console.get(path)  # the session is warm: what follows is the list alone
    sent_for: dict[tuple[str, int], int] = {}
    for mentee, (total, adding) in enumerate(((3, 3), (12, 9))):
        _add_rows(app, kind, adding, world, make_staff, make_token, admin.id, mentee)
        for path in PATHS[kind]:
            with counted() as sent:
                response = console.get(path)
            assert response.status_code == 200, path
            sent_for[(path, total)] = len(sent)
            if "/export." in path:
                assert _rows(response) >= total, path
    for path in PATHS[kind]:
        assert sent_for[(path, 12)] == sent_for[(path, 3)], path
