"""Programs: created, read, listed and changed through the API."""

from __future__ import annotations


def test_a_program_gets_the_spec_defaults(api):
    program = api.ok("post", "/programs", {"name": "Riverside Youth"}, status=201)
    assert program["slug"] == "riverside-youth"
    assert program["approval_required"] == ["begin_closure", "rematch", "withdraw"]
    assert program["kind"] == "long_term"
    assert program["timezone"] == "UTC"
    assert program["required_training"]["mentor"] == ["mentor_orientation", "joint_workshop"]


def test_creating_a_program_answers_with_its_location(api):
    response = api.post("/programs", {"name": "Located"})
    assert response.headers["Location"].endswith(f"/api/v1/programs/{response.get_json()['id']}")


def test_a_program_can_choose_which_triggers_need_approval(api):
    program = api.ok("post", "/programs", {"name": "Strict", "approval_required": ["flag_risk"]})
    assert program["approval_required"] == ["flag_risk"]


def test_an_unknown_trigger_in_the_approval_list_is_refused(api):
    response = api.post("/programs", {"name": "P", "approval_required": ["teleport"]})
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "approval_required.0"


def test_an_unknown_timezone_is_refused_by_name(api):
    response = api.post("/programs", {"name": "P", "timezone": "Mars/Olympus"})
    assert response.status_code == 422
    assert "Mars/Olympus" in response.get_json()["detail"]


def test_a_duplicate_slug_is_a_conflict(api):
    api.ok("post", "/programs", {"name": "Same"})
    response = api.post("/programs", {"name": "Same"})
    assert response.status_code == 409
    assert response.get_json()["type"] == "/problems/conflict"


def test_a_program_can_be_changed(api):
    program = api.ok("post", "/programs", {"name": "Before"})
    changed = api.ok("patch", f"/programs/{program['id']}", {"name": "After", "youth": True})
    assert (changed["name"], changed["youth"], changed["slug"]) == ("After", True, "before")


def test_programs_are_listed_in_pages(api):
    for index in range(3):
        api.ok("post", "/programs", {"name": f"Program {index}"})
    page = api.ok("get", "/programs?per_page=2")
    assert (page["total"], page["pages"], len(page["items"])) == (3, 2, 2)
    assert page["links"]["next"] == "/api/v1/programs?per_page=2&page=2"
    second = api.ok("get", "/programs?per_page=2&page=2")
    assert [p["name"] for p in second["items"]] == ["Program 2"]
