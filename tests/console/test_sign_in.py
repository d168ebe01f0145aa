"""Staff sign in with an e-mail and a password; a refusal never says which part was wrong."""

from __future__ import annotations

import html
import re

from service.database import db
from tests.helpers.staff import PASSWORD, Console


def _refusal(response) -> str:
    page = html.unescape(response.get_data(as_text=True))
    match = re.search(r'<a href="#email">([^<]+)</a>', page)
    assert match, "the page shows no refusal"
    return match.group(1)


def test_a_coordinator_signs_in_and_lands_on_the_dashboard(app, make_staff):
    cora = make_staff("coordinator", name="Cora Ordinator")
    console = Console(app)

    response = console.sign_in(cora.email)

    assert response.status_code == 302
    assert response.headers["Location"] == "/console/"
    assert "Cora Ordinator" in console.page("/console/")


def test_the_session_cookie_is_http_only_and_same_site(app, make_staff):
    response = Console(app).sign_in(make_staff().email)

    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_a_wrong_password_and_an_unknown_address_get_the_same_answer(app, make_staff):
    cora = make_staff()

    wrong_password = Console(app).sign_in(cora.email, "not the password at all")
    unknown_address = Console(app).sign_in("nobody@example.org", PASSWORD)

    assert wrong_password.status_code == unknown_address.status_code == 401
    assert _refusal(wrong_password) == _refusal(unknown_address)
    assert "e-mail address or the password" in _refusal(wrong_password)


def test_a_form_posted_without_its_csrf_token_is_refused(app, make_staff):
    cora = make_staff()
    console = Console(app)

    response = console.client.post(
        "/console/login", data={"email": cora.email, "password": PASSWORD}
    )

    assert response.status_code == 400
    assert console.get("/console/").status_code == 302


def test_the_console_sends_a_stranger_to_sign_in_and_back(app):
    response = Console(app).get("/console/pairs")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/console/login?next=")


def test_sign_in_never_redirects_off_site(app, make_staff):
    cora = make_staff()
    console = Console(app)

    response = console.client.post(
        "/console/login?next=//evil.example/console",
        data={"csrf_token": console.csrf_token(), "email": cora.email, "password": PASSWORD},
    )

    assert response.headers["Location"] == "/console/"


def test_a_deactivated_account_cannot_sign_in(app, make_staff):
    from service.accounts.models import User

    cora = make_staff()
    with app.app_context():
        db.session.get(User, cora.id).active = False
        db.session.commit()

    assert Console(app).sign_in(cora.email).status_code == 401


def test_the_sign_in_page_offers_a_password_reset(app):
    page = Console(app).page("/console/login")

    assert 'href="/console/forgot-password"' in page
