"""Intake in the console: the queue of applications, and screening one applicant."""

from __future__ import annotations

import html
from datetime import date, timedelta

import pytest

from tests.helpers import World
from tests.helpers.statements import counting

NEXT_YEAR = (date.today() + timedelta(days=365)).isoformat()
TODAY = date.today().isoformat()


@pytest.fixture
def coordinator(make_staff, console_as):
    return console_as(make_staff("coordinator", "Cora Ordinator"))


def _apply(api, program_id, role="mentor", name="Ana Souza"):
    return api.ok(
        "post",
        "/participants/applications",
        {
            "program_id": program_id,
            "role": role,
            "full_name": name,
            "email": f"{name.split()[0].lower()}-{role}@example.org",
        },
        status=201,
    )


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def test_the_queue_lists_applicants_and_not_approved_participants(coordinator, api, world):
    _apply(api, world.program["id"])
    page = coordinator.page("/console/applications")
    assert "Ana Souza" in page
    assert world.mentors[0]["full_name"] not in page


def test_the_queue_filters_by_program_and_role(coordinator, api, world):
    other = World.build(api, mentors=0, mentees=0)
    _apply(api, world.program["id"], name="Ana Souza")
    _apply(api, other.program["id"], role="mentee", name="Bea Lund")
    by_role = coordinator.page("/console/applications?role=mentee")
    assert "Bea Lund" in by_role and "Ana Souza" not in by_role
    by_program = coordinator.page(f"/console/applications?program_id={world.program['id']}")
    assert "Ana Souza" in by_program and "Bea Lund" not in by_program


def test_the_screening_page_says_what_approval_still_needs(coordinator, api, world):
    person = _apply(api, world.program["id"])
    page = html.unescape(coordinator.page(f"/console/applications/{person['id']}"))
    assert "a mentor has a passed background check that has not expired" in page


def test_approving_before_the_check_is_refused_on_the_page(coordinator, api, world):
    person = _apply(api, world.program["id"])
    coordinator.post(f"/console/applications/{person['id']}/decide", {"trigger": "start_screening"})
    refused = coordinator.post(
        f"/console/applications/{person['id']}/decide", {"trigger": "approve"}
    )
    assert refused.status_code == 409
    assert "requires a mentor has a passed background check" in _text(refused)
    assert api.ok("get", f"/participants/{person['id']}")["intake_state"] == "screening"


def test_a_mentor_is_screened_and_approved_in_the_console(coordinator, api, world):
    person = _apply(api, world.program["id"])
    path = f"/console/applications/{person['id']}"
    coordinator.post(f"{path}/decide", {"trigger": "start_screening"})
    saved = coordinator.post(
        f"{path}/screening",
        {
            "interview_on": TODAY,
            "references_on": TODAY,
            "background_check": "passed",
            "background_check_expires_on": NEXT_YEAR,
        },
    )
    assert saved.status_code == 302
    approved = coordinator.post(f"{path}/decide", {"trigger": "approve"})
    assert approved.status_code == 302
    assert api.ok("get", f"/participants/{person['id']}")["intake_state"] == "approved"
    assert "Cora Ordinator" in coordinator.page(path)


def test_a_bad_date_is_shown_at_its_field(coordinator, api, world):
    person = _apply(api, world.program["id"])
    response = coordinator.post(
        f"/console/applications/{person['id']}/screening", {"interview_on": "next tuesday"}
    )
    assert response.status_code == 422
    assert 'id="interview_on-error"' in _text(response)


def test_declining_without_a_reason_is_refused_with_the_reason_asked(coordinator, api, world):
    person = _apply(api, world.program["id"])
    refused = coordinator.post(
        f"/console/applications/{person['id']}/decide", {"trigger": "decline"}
    )
    assert refused.status_code == 409
    assert "a reason is given" in _text(refused)


def test_support_staff_see_the_record_but_cannot_decide(make_staff, console_as, api, world):
    support = console_as(make_staff("support", "Sam Port"))
    person = _apply(api, world.program["id"])
    assert "Start screening" not in support.page(f"/console/applications/{person['id']}")
    refused = support.post(
        f"/console/applications/{person['id']}/decide", {"trigger": "start_screening"}
    )
    assert refused.status_code == 403


def test_a_youth_program_asks_for_a_guardians_consent(coordinator, api):
    youth = World.build(api, mentors=0, mentees=0, youth=True)
    person = _apply(api, youth.program["id"], role="mentee", name="Lia Kim")
    page = coordinator.page(f"/console/applications/{person['id']}")
    assert "guardian_consent_on" in page


def test_the_queue_and_its_download_send_as_many_statements_for_twelve_as_for_three(
    app, coordinator, api, world
):
    coordinator.page("/console/applications")  # the session is warm: what follows is the page
    sent_for: dict[tuple[str, int], int] = {}
    for total in (3, 12):
        for n in range(total - (0 if total == 3 else 3)):
            person = _apply(api, world.program["id"], name=f"Applicant{total}x{n} Lund")
            api.ok("post", f"/participants/{person['id']}/intake", {"trigger": "start_screening"})
            api.ok("patch", f"/participants/{person['id']}/screening", {"application": "Keen"})
        for path in ("/console/applications", "/console/applications/export.csv"):
            with counting(app) as sent:
                response = coordinator.get(path)
            assert response.status_code == 200
            sent_for[(path, total)] = len(sent)
    for path in ("/console/applications", "/console/applications/export.csv"):
        assert sent_for[(path, 12)] == sent_for[(path, 3)], path
