"""Participants: mentors, mentees and guardians, with their training."""

from __future__ import annotations

import pytest


def _body(world, role: str, **fields) -> dict:
    return {
        "program_id": world.program["id"],
        "role": role,
        "full_name": "Ada",
        "email": f"ada-{role}@example.org",
        **fields,
    }


def test_a_mentor_is_created_with_a_capacity_and_english_by_default(api, world):
    mentor = api.ok("post", "/participants", _body(world, "mentor", capacity=2))
    assert (mentor["role"], mentor["capacity"], mentor["language"]) == ("mentor", 2, "en")


def test_an_invalid_email_is_refused(api, world):
    response = api.post("/participants", _body(world, "mentee", email="not-an-email"))
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "email"


@pytest.mark.parametrize(
    "address",
    [
        "tomás.silva@example.org",  # a UTF-8 local part, as the demo program's people have
        "मनीष@उदाहरण.भारत",  # Devanagari: vowel signs are marks, not letters
        "用户@例子.广告",
        "ada@bücher.example",
    ],
)
def test_an_internationalised_email_is_accepted_as_given(api, world, address):
    created = api.ok("post", "/participants", _body(world, "mentee", email=address))
    assert created["email"] == address
    assert api.ok("get", f"/participants/{created['id']}")["email"] == address


@pytest.mark.parametrize(
    "address",
    [
        "ada@localhost",
        "ada@example..org",
        "ada..lovelace@example.org",
        "ada lovelace@example.org",
        "ada\u200b@example.org",  # an invisible format character
        '"ada"@example.org',
        "ada@[192.0.2.1]",
        "ada@under_score.example",
        "ada@-example.org",
    ],
)
def test_an_email_that_is_not_a_deliverable_mailbox_is_refused(api, world, address):
    response = api.post("/participants", _body(world, "mentee", email=address))
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "email"


def test_the_same_email_twice_in_one_role_and_program_is_a_conflict(api, world):
    api.ok("post", "/participants", _body(world, "mentee"))
    response = api.post("/participants", _body(world, "mentee", email="ADA-mentee@example.org"))
    assert response.status_code == 409


def test_a_guardian_is_linked_to_a_mentee_of_the_same_program(api, world):
    guardian = api.ok(
        "post", "/participants", _body(world, "guardian", guardian_of_id=world.mentees[0]["id"])
    )
    assert guardian["guardian_of_id"] == world.mentees[0]["id"]


def test_a_guardian_cannot_be_the_guardian_of_a_mentor(api, world):
    response = api.post(
        "/participants", _body(world, "guardian", guardian_of_id=world.mentors[0]["id"])
    )
    assert response.status_code == 422
    assert "is a mentor, not a mentee" in response.get_json()["detail"]


def test_only_a_guardian_has_a_mentee_to_look_after(api, world):
    response = api.post(
        "/participants", _body(world, "mentor", guardian_of_id=world.mentees[0]["id"])
    )
    assert response.status_code == 422


def test_a_participant_in_an_unknown_program_is_a_404(api):
    body = {"program_id": 999, "role": "mentee", "full_name": "X", "email": "x@example.org"}
    assert api.post("/participants", body).status_code == 404


def test_role_and_program_cannot_be_changed_afterwards(api, world):
    response = api.patch(f"/participants/{world.mentees[0]['id']}", {"role": "mentor"})
    assert response.status_code == 422
    assert response.get_json()["errors"][0] == {
        "location": "json",
        "field": "role",
        "message": "Unknown field.",
    }


def test_participants_are_filtered_by_program_and_role(api, world):
    mentors = api.ok("get", f"/participants?program_id={world.program['id']}&role=mentor")
    assert mentors["total"] == len(world.mentors)
    assert {p["role"] for p in mentors["items"]} == {"mentor"}


def test_recording_a_training_session_twice_keeps_one_record(api, world):
    mentee = world.add_participant("mentee")
    body = {"session": "mentee_orientation", "completed_on": "2026-11-02"}
    first = api.ok("post", f"/participants/{mentee['id']}/training", body)
    again = api.ok("post", f"/participants/{mentee['id']}/training", body)
    assert first["id"] == again["id"]
    assert len(api.ok("get", f"/participants/{mentee['id']}/training")["items"]) == 1


def test_a_mentee_does_not_attend_the_mentor_orientation(api, world):
    body = {"session": "mentor_orientation", "completed_on": "2026-11-02"}
    response = api.post(f"/participants/{world.mentees[0]['id']}/training", body)
    assert response.status_code == 422
    assert "does not attend mentor_orientation" in response.get_json()["detail"]


def test_a_guardian_link_changed_later_is_checked_like_a_new_one(api, world):
    guardian = world.add_participant("guardian", guardian_of_id=world.mentees[0]["id"])
    response = api.patch(f"/participants/{guardian['id']}", {"guardian_of_id": 999})
    assert response.status_code == 422
    assert "no participant with id 999" in response.get_json()["detail"]
