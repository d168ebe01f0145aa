"""Participants in the console: the list (search, filters, order, pages), a profile with
every pair the member of staff may open, and adding and editing a participant."""

from __future__ import annotations

import html

import pytest
import sqlalchemy as sa

from service.database import db
from service.participants.models import Participant
from tests.helpers.state import added_days_ago


@pytest.fixture
def coordinator(make_staff, console_as):
    return console_as(make_staff("coordinator", "Cora Ordinator"))


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _rows(page: str) -> str:
    """The list's table, where the participants are."""
    return page.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in page else ""


def _stored(app, participant_id: int) -> Participant:
    with app.app_context():
        participant = db.session.get(Participant, participant_id)
        db.session.expunge(participant)
        return participant


def test_the_console_navigation_leads_to_the_participants(coordinator):
    assert 'href="/console/participants"' in coordinator.page("/console/")


def test_the_list_shows_each_participant_with_role_program_and_status(coordinator, world):
    rows = _rows(coordinator.page("/console/participants"))
    mentor = world.mentors[0]
    assert mentor["full_name"] in rows
    assert world.program["name"] in rows
    assert rows.count("<tr>") == len(world.mentors) + len(world.mentees)


def test_a_search_lists_only_the_participants_whose_name_or_email_matches(coordinator, world):
    found = world.add_participant("mentee", full_name="Ingrid Halvorsen")
    rows = _rows(coordinator.page("/console/participants?q=halvorsen"))
    assert found["full_name"] in rows
    assert rows.count("<tr>") == 1


def test_the_waiting_filter_lists_the_mentees_waiting_for_a_match(coordinator, world):
    world.drive_to("matched", mentee_index=0)
    rows = _rows(coordinator.page("/console/participants?waiting=y"))
    names = [m["full_name"] for m in world.mentees]
    assert names[1] in rows and names[2] in rows
    assert names[0] not in rows
    assert rows.count("<tr>") == 2


def test_the_list_shows_a_mentees_current_pair_and_its_state(coordinator, world):
    pair = world.drive_to("matched", mentee_index=0)
    rows = _rows(coordinator.page(f"/console/participants?q={world.mentees[0]['email']}"))
    assert f'href="/console/pairs/{pair["id"]}"' in rows
    assert world.mentors[0]["full_name"] in rows
    assert "state-matched" in rows


def test_the_list_shows_how_many_days_a_mentee_has_waited(coordinator, world, app):
    added_days_ago(app, world.mentees[1]["id"], 9)
    rows = _rows(coordinator.page(f"/console/participants?q={world.mentees[1]['email']}"))
    assert "9 days" in rows


def test_sorting_by_waiting_time_puts_the_longest_wait_first(coordinator, world, app):
    added_days_ago(app, world.mentees[2]["id"], 30)
    added_days_ago(app, world.mentees[0]["id"], 10)
    rows = _rows(coordinator.page("/console/participants?sort=waiting&role=mentee"))
    order = [rows.index(m["full_name"]) for m in (world.mentees[2], world.mentees[0])]
    assert order == sorted(order)
    assert rows.index(world.mentees[0]["full_name"]) < rows.index(world.mentees[1]["full_name"])


def test_the_list_pages_on_by_key_with_every_participant_once(coordinator, world, monkeypatch):
    from service.participants import views

    monkeypatch.setattr(views, "PER_PAGE", 4)
    seen: list[str] = []
    path: str | None = "/console/participants?sort=name"
    names = [p["full_name"] for p in world.mentors + world.mentees]
    while path:
        page = coordinator.page(path)
        rows = _rows(page)
        seen += sorted((n for n in names if n in rows), key=rows.index)
        marker = 'rel="next"'
        path = None
        if marker in page:
            path = html.unescape(page.split(marker)[0].rsplit('href="', 1)[1].split('"')[0])
    assert seen == sorted(names, key=str.lower)


def test_a_search_too_long_is_refused_on_the_page(coordinator):
    response = coordinator.get("/console/participants?q=" + "x" * 201)
    assert response.status_code == 422
    assert "Search: at most 200 characters." in _text(response)


def test_a_waiting_time_that_is_not_a_number_is_refused_on_the_page(coordinator):
    response = coordinator.get("/console/participants?waited_days=soon")
    assert response.status_code == 422
    assert "Waited at least (days): a whole number from 0 to 3650." in _text(response)


def test_a_profile_shows_details_training_and_every_pair_with_the_other_person(
    coordinator, world, api
):
    mentee = world.mentees[0]
    api.ok("patch", f"/participants/{mentee['id']}", {"goals": ["Choose a course"]})
    pair = world.drive_to("matched", mentee_index=0)
    page = html.unescape(coordinator.page(f"/console/participants/{mentee['id']}"))
    assert "Choose a course" in page
    assert "mentee orientation" in page
    assert f'href="/console/pairs/{pair["id"]}"' in page
    assert world.mentors[0]["full_name"] in page


def test_a_profile_lists_a_pair_that_has_ended_with_its_state(coordinator, world, api):
    pair = world.drive_to("matched", mentee_index=0)
    proposed = api.trigger(
        pair["id"], "withdraw", closure_reason="withdrawn", reason="The mentor moved away"
    )
    assert proposed.status_code == 202, proposed.get_json()  # a colleague approves it
    world.approve(proposed.get_json()["proposal"]["id"])
    page = coordinator.page(f"/console/participants/{world.mentors[0]['id']}")
    assert f'href="/console/pairs/{pair["id"]}"' in page
    assert "state-closed" in page


def test_the_status_filter_lists_the_inactive_participants(coordinator, world, api):
    gone = world.mentors[1]
    api.ok("patch", f"/participants/{gone['id']}", {"active": False})
    rows = _rows(coordinator.page("/console/participants?status=inactive"))
    assert gone["full_name"] in rows
    assert rows.count("<tr>") == 1


def test_a_guardians_profile_names_their_mentee(coordinator, world):
    guardian = world.add_participant("guardian", guardian_of_id=world.mentees[0]["id"])
    page = coordinator.page(f"/console/participants/{guardian['id']}")
    assert f'href="/console/participants/{world.mentees[0]["id"]}"' in page


def test_a_mentees_profile_names_their_guardian(coordinator, world):
    guardian = world.add_participant(
        "guardian", full_name="Gudrun Parent", guardian_of_id=world.mentees[0]["id"]
    )
    page = coordinator.page(f"/console/participants/{world.mentees[0]['id']}")
    assert f'href="/console/participants/{guardian["id"]}"' in page


def test_support_staff_do_not_see_a_pair_they_are_not_assigned_to(make_staff, console_as, world):
    pair = world.drive_to("matched", mentee_index=0)
    support = console_as(make_staff("support", "Sam Support"))
    page = support.page(f"/console/participants/{pair['mentee_id']}")
    assert f'/console/pairs/{pair["id"]}"' not in page
    listed = support.page(f"/console/participants?q={world.mentees[0]['email']}")
    assert f'/console/pairs/{pair["id"]}"' not in listed


def test_support_staff_see_a_pair_they_are_assigned_to(make_staff, console_as, world):
    pair = world.drive_to("matched", mentee_index=0)
    sam = make_staff("support", "Sam Support")
    cora = make_staff("coordinator", "Cora Ordinator")
    assigned = console_as(make_staff("admin")).post(
        f"/console/pairs/{pair['id']}/staff",
        data={"coordinator_id": str(cora.id), "support": [str(sam.id)]},
    )
    assert assigned.status_code == 302
    page = console_as(sam).page(f"/console/participants/{pair['mentee_id']}")
    assert f'/console/pairs/{pair["id"]}"' in page


def _new(world, **fields) -> dict:
    return {
        "program_id": str(world.program["id"]),
        "role": "mentor",
        "full_name": "Sigrún Jónsdóttir",
        "email": "sigrun@example.org",
        "language": "is",
        "capacity": "2",
        "skills": "mathematics, chess",
        "goals": "",
        "availability": "Tuesday evenings",
        "active": "y",
        **fields,
    }


def test_a_coordinator_adds_a_participant(coordinator, world, app):
    response = coordinator.post("/console/participants/new", _new(world))
    assert response.status_code == 302
    participant_id = int(response.headers["Location"].rsplit("/", 1)[1])
    added = _stored(app, participant_id)
    assert (added.full_name, added.capacity, added.skills) == (
        "Sigrún Jónsdóttir",
        2,
        ["mathematics", "chess"],
    )


def test_an_invalid_email_is_shown_at_its_field_and_nothing_is_added(coordinator, world, app):
    response = coordinator.post("/console/participants/new", _new(world, email="not-an-email"))
    assert response.status_code == 422
    assert "E-mail address: not a valid e-mail address." in _text(response)
    assert 'value="Sigrún Jónsdóttir"' in _text(response)
    with app.app_context():
        assert (
            db.session.scalar(
                sa.select(sa.func.count()).where(Participant.full_name == "Sigrún Jónsdóttir")
            )
            == 0
        )


def test_a_capacity_beyond_the_apis_bound_is_refused(coordinator, world):
    response = coordinator.post("/console/participants/new", _new(world, capacity="21"))
    assert response.status_code == 422
    assert "Capacity: a whole number from 1 to 20." in _text(response)


def test_an_email_already_in_the_program_is_refused_on_the_page(coordinator, world):
    taken = world.mentors[0]["email"]
    response = coordinator.post("/console/participants/new", _new(world, email=taken))
    assert response.status_code == 409
    page = _text(response)
    assert f"A mentor with e-mail {taken} is already in this program" in page
    assert '<a href="#email">' in page  # the summary leads to the field


def test_a_guardian_of_a_mentor_is_refused_at_its_field(coordinator, world):
    body = _new(world, role="guardian", guardian_of_id=str(world.mentors[0]["id"]))
    response = coordinator.post("/console/participants/new", body)
    assert response.status_code == 422
    assert "Parent or guardian of: participant" in _text(response)


def test_a_form_missing_everything_is_refused_without_an_error_page(coordinator):
    response = coordinator.post("/console/participants/new", {})
    assert response.status_code == 422
    assert "Choose a program." in _text(response)


def test_a_coordinator_edits_a_participants_details(coordinator, world, app):
    mentee = world.mentees[0]
    body = _new(world, full_name="Kari Nordmann", email=mentee["email"], goals="Read more")
    response = coordinator.post(f"/console/participants/{mentee['id']}/edit", body)
    assert response.status_code == 302
    edited = _stored(app, mentee["id"])
    assert (edited.full_name, edited.goals) == ("Kari Nordmann", ["Read more"])
    assert edited.role == "mentee"


def test_the_edit_form_starts_from_the_participants_details(coordinator, world, api):
    mentee = world.mentees[0]
    api.ok("patch", f"/participants/{mentee['id']}", {"skills": ["chess", "drawing"]})
    page = html.unescape(coordinator.page(f"/console/participants/{mentee['id']}/edit"))
    assert f'value="{mentee["email"]}"' in page
    assert 'value="chess, drawing"' in page


def test_an_edit_to_an_email_another_has_is_refused_and_changes_nothing(coordinator, world, app):
    mentee, other = world.mentees[0], world.mentees[1]
    body = _new(world, full_name="Changed", email=other["email"])
    response = coordinator.post(f"/console/participants/{mentee['id']}/edit", body)
    assert response.status_code == 409
    assert _stored(app, mentee["id"]).full_name == mentee["full_name"]


def test_support_staff_may_not_add_participants(make_staff, console_as, world):
    support = console_as(make_staff("support"))
    assert support.get("/console/participants/new").status_code == 403
