"""A request too large or too deeply nested is refused before it is parsed: 413, not 500."""

from __future__ import annotations

import json

from tests.helpers import CALM_MENTEE_CHECKIN, SurveyTaker, invite


def _post_raw(api, path: str, data: bytes | str):
    return api.client.post(
        f"/api/v1{path}",
        data=data,
        content_type="application/json",
        headers={"Authorization": f"Bearer {api.token}"},
    )


def test_json_nested_five_thousand_levels_deep_is_refused_with_413(api):
    response = _post_raw(api, "/programs", "[" * 5000 + "]" * 5000)

    assert response.status_code == 413
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["type"] == "/problems/request-too-large"
    assert body["max_depth"] == 64


def test_deeply_nested_objects_are_refused_too(api):
    deep = '{"name": "P", "settings": ' + '{"a": ' * 5000 + "1" + "}" * 5000 + "}"
    response = _post_raw(api, "/programs", deep)
    assert response.status_code == 413
    assert response.get_json()["type"] == "/problems/request-too-large"


def test_brackets_inside_text_are_not_nesting(api):
    name = "[" * 200 + "{" * 200
    response = _post_raw(api, "/programs", json.dumps({"name": name, "description": "]}"}))
    assert response.status_code == 422  # the name is too long: read, not refused unread
    assert response.get_json()["errors"][0]["field"] == "name"


def test_deep_json_to_a_signed_inbound_endpoint_is_refused_with_413(api):
    response = api.client.post(
        "/api/v1/inbound/school-calendar/meetings",
        data="[" * 5000,
        content_type="application/json",
    )
    assert response.status_code == 413
    assert response.get_json()["type"] == "/problems/request-too-large"


def test_a_body_over_the_size_limit_is_refused_with_413_naming_the_limit(app, api):
    limit = app.config["MAX_CONTENT_LENGTH"]
    assert limit == 1024 * 1024
    body = json.dumps({"name": "P", "description": "x" * limit})

    response = _post_raw(api, "/programs", body)

    assert response.status_code == 413
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["type"] == "/problems/request-too-large"
    assert response.get_json()["max_bytes"] == limit


def test_an_oversized_survey_form_gets_a_page_that_says_so(api, world, client):
    pair = world.drive_to("active")
    taker = SurveyTaker(client, invite(api, "checkin_mentee", pair["mentee_id"], pair["id"])["url"])

    response = taker.submit({**CALM_MENTEE_CHECKIN, "how_is_it_going": "x" * (1024 * 1024)})

    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "larger than we can receive" in page
    assert taker.open().status_code == 200  # the link still works
