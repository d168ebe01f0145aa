"""Bearer API tokens: stored hashed, with scopes, refused clearly."""

from __future__ import annotations

import sqlalchemy as sa

from service.database import db
from service.tokens.models import ApiToken
from tests.helpers import Api


def test_a_request_without_a_token_is_refused_with_401(client):
    response = client.get("/api/v1/pairs")
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["type"] == "/problems/unauthorized"
    assert "Authorization: Bearer" in response.get_json()["detail"]


def test_a_non_bearer_authorization_header_is_refused(client):
    response = client.get("/api/v1/pairs", headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert response.status_code == 401
    assert "Bearer <token>" in response.get_json()["detail"]


def test_an_unknown_token_is_refused(client):
    assert Api(client, "pw_not-a-real-token").get("/pairs").status_code == 401


def test_a_revoked_token_is_refused(app, client, make_token):
    from service.tokens import service as tokens

    raw = make_token("pairs:read", name="crm")
    assert Api(client, raw).get("/pairs").status_code == 200
    with app.app_context():
        tokens.revoke(name="crm")
    response = Api(client, raw).get("/pairs")
    assert response.status_code == 401
    assert "revoked" in response.get_json()["detail"]


def test_a_token_without_the_scope_is_forbidden_and_told_which_scope(client, make_token):
    reader = Api(client, make_token("pairs:read"))
    response = reader.post("/programs", {"name": "Not allowed"})
    assert response.status_code == 403
    assert response.get_json()["required_scope"] == "programs:write"


def test_the_admin_scope_grants_every_scope(admin_api):
    assert admin_api.post("/programs", {"name": "Allowed"}).status_code == 201


def test_only_a_digest_of_the_token_is_stored(app, make_token):
    raw = make_token("pairs:read")
    with app.app_context():
        stored = db.session.scalars(sa.select(ApiToken)).one()
        assert raw not in (stored.token_hash, stored.prefix)
        assert len(stored.token_hash) == 64


def test_using_a_token_records_when_it_was_last_used(app, client, make_token):
    raw = make_token("pairs:read")
    Api(client, raw).get("/pairs")
    with app.app_context():
        assert db.session.scalars(sa.select(ApiToken)).one().last_used_at is not None


def test_the_openapi_document_needs_no_token(client):
    assert client.get("/api/v1/openapi.json").status_code == 200
