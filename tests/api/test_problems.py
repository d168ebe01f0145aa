"""Bad input gets a 4xx problem document that says what is wrong; never a 500."""

from __future__ import annotations

import pytest

from service.problems import PROBLEM_TYPES


def _problem(response, status: int, slug: str) -> dict:
    assert response.status_code == status, response.get_json()
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["type"] == f"/problems/{slug}"
    assert body["status"] == status
    assert body["title"] and body["detail"]
    return body


def test_an_unknown_field_is_named(api):
    body = _problem(api.post("/programs", {"name": "P", "colour": "red"}), 422, "validation-error")
    assert body["errors"] == [{"location": "json", "field": "colour", "message": "Unknown field."}]


def test_a_wrong_type_is_named(api, world):
    body = _problem(
        api.post("/pairs", {"program_id": "one", "mentee_id": world.mentees[0]["id"]}),
        422,
        "validation-error",
    )
    assert body["errors"][0]["field"] == "program_id"
    assert "program_id" in body["detail"]


def test_a_missing_required_field_is_named(api):
    body = _problem(api.post("/programs", {}), 422, "validation-error")
    assert body["errors"] == [
        {"location": "json", "field": "name", "message": "Missing data for required field."}
    ]


def test_malformed_json_is_a_400(api):
    response = api.client.post(
        "/api/v1/programs",
        data="{not json",
        content_type="application/json",
        headers={"Authorization": f"Bearer {api.token}"},
    )
    _problem(response, 400, "malformed-request")


def test_a_body_that_is_not_json_is_a_415(api):
    response = api.client.post(
        "/api/v1/programs",
        data="name=P",
        content_type="application/x-www-form-urlencoded",
        headers={"Authorization": f"Bearer {api.token}"},
    )
    body = _problem(response, 415, "unsupported-media-type")
    assert "application/x-www-form-urlencoded" in body["detail"]


def test_an_unknown_id_in_the_path_is_a_404_naming_it(api):
    body = _problem(api.get("/pairs/4242"), 404, "not-found")
    assert "4242" in body["detail"]


def test_an_unknown_id_in_the_body_is_a_422_naming_the_field(api, world):
    body = _problem(
        api.post("/pairs", {"program_id": world.program["id"], "mentee_id": 4242}),
        422,
        "validation-error",
    )
    assert body["errors"][0]["field"] == "mentee_id"


def test_an_unknown_url_is_a_404_problem(api):
    _problem(api.get("/no-such-thing"), 404, "not-found")


def test_a_wrong_method_is_a_405_with_allow(api):
    response = api.client.delete(
        "/api/v1/programs", headers={"Authorization": f"Bearer {api.token}"}
    )
    _problem(response, 405, "method-not-allowed")
    assert "GET" in response.headers["Allow"]


def test_a_page_size_out_of_range_is_refused(api):
    body = _problem(api.get("/pairs?per_page=1000"), 422, "validation-error")
    assert body["errors"][0]["field"] == "per_page"


@pytest.mark.parametrize("slug", sorted(PROBLEM_TYPES))
def test_every_problem_type_is_documented_at_its_uri(client, slug):
    response = client.get(f"/problems/{slug}")
    assert response.status_code == 200
    assert response.get_json()["type"] == f"/problems/{slug}"


def test_an_unexpected_error_is_a_500_problem_that_changes_nothing(api, world, monkeypatch):
    from service.events import service as events

    def explode(*args, **kwargs):
        raise RuntimeError("boom")

    # The pair row is written before its event: the failure comes after a write.
    monkeypatch.setattr(events, "emit", explode)
    new_pair = {"program_id": world.program["id"], "mentee_id": world.mentees[0]["id"]}
    body = _problem(api.post("/pairs", new_pair), 500, "internal-error")
    assert "boom" not in body["detail"]
    monkeypatch.undo()
    assert api.ok("get", "/pairs")["total"] == 0
