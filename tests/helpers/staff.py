"""Staff in the console: accounts made as `pairwise create-user` makes them, and a signed-in
browser-like client that sends the page's CSRF token with every form."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from flask import Flask
from werkzeug.security import generate_password_hash
from werkzeug.test import TestResponse

from service.accounts import service as accounts
from service.database import db
from tests.helpers.forms import csrf_token_in

PASSWORD = "correct horse battery staple"
# The same algorithm at a low cost, hashed once: at production's cost each account costs
# 0.15 s and each sign-in 0.1 s, and the console tests make hundreds. The tests of passwords
# themselves set theirs through the service, at the production cost.
_PASSWORD_HASH = generate_password_hash(PASSWORD, method="scrypt:1024:8:1")


@dataclass
class Staff:
    id: int
    email: str
    full_name: str
    role: str


class Console:
    """One member of staff's session in the console."""

    def __init__(self, app: Flask, address: str | None = None) -> None:
        self.client = app.test_client()
        if address:  # the client's IP address, as the app sees it
            self.client.environ_base["REMOTE_ADDR"] = address
        self._token: str | None = None

    def csrf_token(self, path: str = "/console/login") -> str:
        return csrf_token_in(self.client.get(path).get_data(as_text=True), path)

    def sign_in(self, email: str, password: str = PASSWORD) -> TestResponse:
        return self.client.post(
            "/console/login",
            data={"csrf_token": self.csrf_token(), "email": email, "password": password},
        )

    def get(self, path: str) -> TestResponse:
        return self.client.get(path)

    def page(self, path: str) -> str:
        response = self.client.get(path)
        assert response.status_code == 200, response.get_data(as_text=True)[:500]
        return response.get_data(as_text=True)

    def post(self, path: str, data: dict | None = None, **kwargs) -> TestResponse:
        # The CSRF token belongs to the session: read it once, not before every form.
        self._token = self._token or self.csrf_token("/console/settings")
        return self.client.post(path, data={"csrf_token": self._token, **(data or {})}, **kwargs)

    def flashes(self) -> str:
        """The messages shown on the next page."""
        return self.page("/console/settings")

    def cookie(self) -> str:
        """The session cookie as an attacker would capture it."""
        cookie = self.client.get_cookie("session")
        assert cookie is not None, "no session cookie"
        return cookie.value


def replayed(app: Flask, cookie: str, path: str = "/console/") -> TestResponse:
    """A captured session cookie, sent from a fresh client that never signed in."""
    stranger = app.test_client()
    stranger.set_cookie("session", cookie)
    return stranger.get(path)


def create_staff(app: Flask, role: str = "coordinator", name: str | None = None) -> Staff:
    """A member of staff as `pairwise create-user` makes one, with the test password."""
    email = f"{role}-{secrets.token_hex(3)}@example.org"
    full_name = name or f"{role.title()} {secrets.token_hex(2)}"
    with app.app_context():
        user = accounts.create(email=email, full_name=full_name, role=role)
        user.password_hash = _PASSWORD_HASH
        db.session.commit()
        return Staff(user.id, email, full_name, role)


def signed_in(app: Flask, staff: Staff) -> Console:
    """A console session of `staff`, signed in with the password."""
    console = Console(app)
    response = console.sign_in(staff.email)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return console
