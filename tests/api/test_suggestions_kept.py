"""A program's mentors are kept as columns between suggestion calls (`matching.suggestions`):
every way a mentor changes is seen by the very next call."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from service.database import db
from service.participants.models import Participant
from tests.helpers.spreadsheets import HEADER, csv_bytes
from tests.helpers.world import World

SHARED = "Shares 1 goal: chess"


@pytest.fixture
def coordinator(make_staff, console_as):
    return console_as(make_staff("coordinator", "Cora Ordinator"))


@pytest.fixture
def chess(api) -> World:
    """A mentee who wants to play chess, and one mentor who does not (yet)."""
    world = World.build(api, mentors=1, mentees=1)
    api.ok("patch", f"/participants/{world.mentees[0]['id']}", {"goals": ["chess"]})
    api.ok("patch", f"/participants/{world.mentors[0]['id']}", {"goals": ["reading"]})
    return world


def _reasons(api, world: World) -> dict[int, list[str]]:
    found = api.ok("get", f"/participants/{world.mentees[0]['id']}/suggestions")
    return {item["mentor_id"]: item["reasons"] for item in found["items"]}


def test_a_mentors_goals_changed_through_the_api_show_in_the_next_suggestions(api, chess):
    mentor = chess.mentors[0]
    assert SHARED not in _reasons(api, chess)[mentor["id"]]
    api.ok("patch", f"/participants/{mentor['id']}", {"goals": ["chess"]})
    assert SHARED in _reasons(api, chess)[mentor["id"]]


def test_a_mentors_goals_edited_in_the_console_show_in_the_next_suggestions(
    api, chess, coordinator
):
    mentor = chess.mentors[0]
    assert SHARED not in _reasons(api, chess)[mentor["id"]]
    body = {
        "program_id": str(chess.program["id"]),
        "role": "mentor",
        "full_name": mentor["full_name"],
        "email": mentor["email"],
        "language": "en",
        "capacity": "1",
        "skills": "",
        "goals": "chess",
        "availability": "",
        "active": "y",
    }
    assert coordinator.post(f"/console/participants/{mentor['id']}/edit", body).status_code == 302
    assert SHARED in _reasons(api, chess)[mentor["id"]]


def test_a_mentors_goals_changed_by_an_import_show_in_the_next_suggestions(api, chess):
    from tests.importing.test_import_api import _post

    mentor = chess.mentors[0]
    assert SHARED not in _reasons(api, chess)[mentor["id"]]
    rows = [HEADER, [mentor["full_name"], mentor["email"], "mentor", "", "chess", 1]]
    response = _post(api, csv_bytes(rows), program_id=chess.program["id"])
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["updated"] == 1
    assert SHARED in _reasons(api, chess)[mentor["id"]]


def test_a_mentor_approved_after_screening_shows_in_the_next_suggestions(api, chess):
    assert _reasons(api, chess).keys() == {chess.mentors[0]["id"]}
    body = {
        "program_id": chess.program["id"],
        "role": "mentor",
        "full_name": "Applicant Mentor",
        "email": "applicant-mentor@example.org",
    }
    applicant = api.ok("post", "/participants/applications", body, status=201)
    path = f"/participants/{applicant['id']}"
    api.ok("post", f"{path}/intake", {"trigger": "start_screening"})
    screening = {
        "interview_on": date.today().isoformat(),
        "references_on": date.today().isoformat(),
        "background_check": "passed",
        "background_check_expires_on": (date.today() + timedelta(days=365)).isoformat(),
    }
    api.ok("patch", f"{path}/screening", screening)
    assert applicant["id"] not in _reasons(api, chess)
    api.ok("post", f"{path}/intake", {"trigger": "approve"})
    assert applicant["id"] in _reasons(api, chess)


def test_a_mentor_changed_by_another_process_shows_in_the_next_suggestions(app, api, chess):
    mentor = chess.mentors[0]
    assert SHARED not in _reasons(api, chess)[mentor["id"]]
    # Straight through the engine, as another worker would: no session of this process sees it.
    with app.app_context(), db.engine.begin() as connection:
        connection.execute(
            sa.update(Participant).where(Participant.id == mentor["id"]).values(goals=["chess"])
        )
    assert SHARED in _reasons(api, chess)[mentor["id"]]


def test_a_place_taken_since_the_last_suggestions_shows_in_the_next(api):
    world = World.build(api, mentors=1, mentees=2)
    mentor = world.mentors[0]
    api.ok("patch", f"/participants/{mentor['id']}", {"capacity": 1})
    assert mentor["id"] in _reasons(api, world)
    pair = world.new_pair(1)
    api.trigger(pair["id"], "match", mentor_id=mentor["id"])
    found = api.ok("get", f"/participants/{world.mentees[0]['id']}/suggestions")
    assert found["items"] == []
    assert {e["mentor_id"]: e["failures"] for e in found["excluded"]} == {
        mentor["id"]: ["Has no open place"]
    }
