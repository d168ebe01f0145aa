"""Admins create, list and revoke API tokens in the console: the value is shown once, the
token works against the API at once, and a revoked token is refused there."""

from __future__ import annotations

import html
import re

import sqlalchemy as sa

from service.database import db
from service.tokens.models import ApiToken
from service.tokens.service import SCOPES, digest


def _raw_token(page: str) -> str:
    match = re.search(r'id="raw-token"[^>]*value="(pw_[^"]+)"', page)
    assert match, "the page shows no new token"
    return match.group(1)


def _create(console, name: str = "CRM sync", scopes=("pairs:read",)):
    return console.post("/console/tokens", data={"name": name, "scopes": list(scopes)})


def test_an_admin_creates_a_token_that_works_against_the_api_and_revokes_it(
    app, client, make_staff, console_as
):
    admin = console_as(make_staff("admin"))

    created = _create(admin, scopes=["pairs:read", "programs:read"])
    raw = _raw_token(created.get_data(as_text=True))
    used = client.get("/api/v1/programs", headers={"Authorization": f"Bearer {raw}"})
    with app.app_context():
        token = db.session.scalar(sa.select(ApiToken).where(ApiToken.name == "CRM sync"))
        token_id = token.id
    confirm = admin.page(f"/console/tokens/{token_id}/revoke")
    revoked = admin.post(f"/console/tokens/{token_id}/revoke")
    refused = client.get("/api/v1/programs", headers={"Authorization": f"Bearer {raw}"})

    assert created.status_code == 201
    assert created.headers["Cache-Control"] == "no-store"
    assert token.scopes == ["pairs:read", "programs:read"]
    assert token.token_hash == digest(raw)
    assert used.status_code == 200
    assert "Revoke the token CRM sync?" in confirm
    assert revoked.status_code == 302
    assert refused.status_code == 401
    assert refused.headers["Content-Type"].startswith("application/problem+json")


def test_the_new_token_is_shown_once_and_never_again(app, make_staff, console_as):
    admin = console_as(make_staff("admin"))

    raw = _raw_token(_create(admin).get_data(as_text=True))
    listed = admin.page("/console/tokens")

    assert raw not in listed
    assert raw[:10] in listed  # its first characters tell it apart
    assert "CRM sync" in listed


def test_the_token_list_says_when_each_token_was_last_used_and_which_are_revoked(
    app, client, make_staff, console_as, make_token
):
    admin = console_as(make_staff("admin"))
    raw = make_token("pairs:read", name="Reporting")
    make_token("pairs:read", name="Old export")
    client.get("/api/v1/pairs", headers={"Authorization": f"Bearer {raw}"})
    with app.app_context():
        old = db.session.scalar(sa.select(ApiToken).where(ApiToken.name == "Old export"))
        admin.post(f"/console/tokens/{old.id}/revoke")

    rows = {
        name: row
        for row in re.findall(r"<tr>(.*?)</tr>", admin.page("/console/tokens"), re.S)
        for name in re.findall(r'<th scope="row">([^<]+)</th>', row)
    }

    assert "never" not in rows["Reporting"] and "Revoke" in rows["Reporting"]
    assert "revoked" in rows["Old export"] and "never" in rows["Old export"]


def test_every_scope_is_offered_with_what_it_allows(make_staff, console_as):
    page = html.unescape(console_as(make_staff("admin")).page("/console/tokens"))

    for scope, description in SCOPES.items():
        assert f'value="{scope}"' in page
        assert description in page


def test_a_token_without_a_scope_is_refused_on_the_page_keeping_its_name(
    app, make_staff, console_as
):
    admin = console_as(make_staff("admin"))

    response = _create(admin, name="Half done", scopes=())

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Choose at least one scope" in page
    assert 'value="Half done"' in page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 0


def test_a_second_token_with_the_same_name_is_refused_on_the_page(make_staff, console_as):
    admin = console_as(make_staff("admin"))
    _create(admin)

    response = _create(admin)

    assert response.status_code == 422
    page = html.unescape(response.get_data(as_text=True))
    assert "A token named 'CRM sync' exists already." in page


def test_an_unknown_scope_is_refused_on_the_page(make_staff, console_as):
    response = _create(console_as(make_staff("admin")), scopes=["pairs:read", "root"])

    assert response.status_code == 422


def test_coordinators_cannot_see_or_create_tokens(make_staff, console_as):
    coordinator = console_as(make_staff("coordinator"))

    assert coordinator.get("/console/tokens").status_code == 403
    assert _create(coordinator).status_code == 403


def test_revoking_an_unknown_token_is_a_404_page(make_staff, console_as):
    response = console_as(make_staff("admin")).post("/console/tokens/999999/revoke")

    assert response.status_code == 404
