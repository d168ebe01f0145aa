"""/api/v1/inbound-sources: the services that send meeting events, and their secrets."""

from __future__ import annotations

from tests.helpers import Api


def test_a_standard_source_gets_a_standard_webhooks_secret(admin_api):
    source = admin_api.ok("post", "/inbound-sources", {"slug": "lms", "name": "Learning site"})

    assert source["secret"].startswith("whsec_")
    assert (source["kind"], source["enabled"]) == ("standard", True)
    assert source["url"] == "http://pairwise.test/api/v1/inbound/lms/meetings"


def test_a_calendly_source_takes_the_signing_key_calendly_was_given(admin_api):
    body = {"slug": "cal", "name": "Calendly", "kind": "calendly", "secret": "s" * 32}

    source = admin_api.ok("post", "/inbound-sources", body)

    assert (source["secret"], source["url"]) == (
        "s" * 32,
        "http://pairwise.test/api/v1/inbound/cal/calendly",
    )


def test_a_calendly_source_needs_its_signing_key(admin_api):
    response = admin_api.post("/inbound-sources", {"slug": "c", "name": "C", "kind": "calendly"})

    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "secret"


def test_a_standard_sources_secret_is_not_chosen_by_hand(admin_api):
    response = admin_api.post("/inbound-sources", {"slug": "s", "name": "S", "secret": "x" * 20})

    assert response.status_code == 422


def test_the_list_does_not_show_secrets(admin_api, source):
    (listed,) = admin_api.ok("get", "/inbound-sources")["items"]

    assert listed["slug"] == "school-calendar"
    assert "secret" not in listed


def test_a_slug_is_taken_once(admin_api, source):
    response = admin_api.post("/inbound-sources", {"slug": "school-calendar", "name": "Again"})

    assert response.status_code == 409


def test_a_source_can_be_disabled_and_deleted(admin_api, source):
    path = f"/inbound-sources/{source['id']}"

    assert admin_api.ok("patch", path, {"enabled": False})["enabled"] is False
    assert (
        admin_api.client.delete(f"/api/v1{path}", headers=admin_api._headers()).status_code == 204
    )
    assert admin_api.get(path).status_code == 404


def test_managing_sources_needs_the_integrations_scope(client, make_token):
    reader = Api(client, make_token("pairs:read"))

    response = reader.get("/inbound-sources")

    assert response.status_code == 403
    assert response.get_json()["required_scope"] == "integrations:manage"
