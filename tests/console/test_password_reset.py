"""A forgotten password: a link by e-mail that works once, for a while, and says nothing
about which addresses have accounts."""

from __future__ import annotations

import re
from datetime import timedelta

import time_machine

from service.clock import now
from tests.helpers.staff import PASSWORD, Console, replayed

NEW_PASSWORD = "a brand new passphrase"


def _ask_for_link(app, email: str):
    console = Console(app)
    return console.client.post(
        "/console/forgot-password",
        data={"csrf_token": console.csrf_token("/console/forgot-password"), "email": email},
    )


def _link_in(message) -> str:
    match = re.search(r"http://pairwise\.test(/console/reset-password/\S+)", message.get_content())
    assert match, "the e-mail has no reset link"
    return match.group(1)


def _set_password(app, path: str, password: str = NEW_PASSWORD):
    console = Console(app)
    return console.client.post(
        path,
        data={
            "csrf_token": console.csrf_token("/console/forgot-password"),
            "password": password,
            "confirm": password,
        },
    )


def _reset_email(mailbox, address: str):
    (message,) = mailbox.to(address)
    return message.get_body(("plain",))


def test_a_link_by_e_mail_sets_a_new_password_and_ends_every_session(
    app, make_staff, console_as, mailbox, drain
):
    cora = make_staff()
    cookie = console_as(cora).cookie()

    asked = _ask_for_link(app, cora.email)
    drain()
    link = _link_in(_reset_email(mailbox, cora.email))
    response = _set_password(app, link)

    assert asked.status_code == 200
    assert "Check your e-mail" in asked.get_data(as_text=True)
    assert response.status_code == 302
    assert response.headers["Location"] == "/console/login"
    assert replayed(app, cookie).status_code == 302
    assert Console(app).sign_in(cora.email, PASSWORD).status_code == 401
    assert Console(app).sign_in(cora.email, NEW_PASSWORD).status_code == 302


def test_an_unknown_address_gets_the_same_answer_and_no_e_mail(app, make_staff, mailbox, drain):
    cora = make_staff()

    known = _ask_for_link(app, cora.email).get_data(as_text=True)
    unknown = _ask_for_link(app, "nobody@example.org").get_data(as_text=True)
    drain()

    assert known.replace(cora.email, "@") == unknown.replace("nobody@example.org", "@")
    assert [m["To"] for m in mailbox.messages] == [cora.email]


def test_a_disabled_account_gets_no_link(app, make_staff, console_as, mailbox, drain):
    cora = make_staff()
    console_as(make_staff("admin")).post(f"/console/staff/{cora.id}/disable")

    _ask_for_link(app, cora.email)
    drain()

    assert mailbox.to(cora.email) == []


def test_a_link_works_once(app, make_staff, mailbox, drain):
    cora = make_staff()
    _ask_for_link(app, cora.email)
    drain()
    link = _link_in(_reset_email(mailbox, cora.email))
    _set_password(app, link)

    again = _set_password(app, link, "someone else's choice")

    assert again.status_code == 410
    assert "no longer works" in again.get_data(as_text=True)
    assert Console(app).sign_in(cora.email, NEW_PASSWORD).status_code == 302


def test_a_link_expires(app, make_staff, mailbox, drain):
    cora = make_staff()
    _ask_for_link(app, cora.email)
    drain()
    link = _link_in(_reset_email(mailbox, cora.email))

    later = now() + app.config["PASSWORD_RESET_MAX_AGE"] + timedelta(seconds=5)
    with time_machine.travel(later):
        response = Console(app).get(link)

    assert response.status_code == 410
    assert Console(app).sign_in(cora.email, PASSWORD).status_code == 302


def test_a_tampered_link_is_refused(app, make_staff, mailbox, drain):
    cora = make_staff()
    _ask_for_link(app, cora.email)
    drain()
    link = _link_in(_reset_email(mailbox, cora.email))

    assert Console(app).get(link[:-3] + "abc").status_code == 410


def test_a_short_new_password_is_refused_on_the_page(app, make_staff, mailbox, drain):
    cora = make_staff()
    _ask_for_link(app, cora.email)
    drain()
    link = _link_in(_reset_email(mailbox, cora.email))

    response = _set_password(app, link, "short")

    assert response.status_code == 422
    assert "at least 12 characters" in response.get_data(as_text=True)
    assert Console(app).sign_in(cora.email, PASSWORD).status_code == 302


def test_asking_for_links_for_one_address_is_limited(app, make_staff, monkeypatch, mailbox, drain):
    monkeypatch.setitem(app.config, "LIMIT_PASSWORD_RESET", "2 per hour")
    cora = make_staff()
    assert [_ask_for_link(app, cora.email).status_code for _ in range(2)] == [200, 200]

    response = _ask_for_link(app, cora.email)
    drain()

    assert response.status_code == 429
    assert 60 < int(response.headers["Retry-After"]) <= 3600
    assert "Too many requests for now. Wait an hour" in response.get_data(as_text=True)
    assert len(mailbox.to(cora.email)) == 2


def test_asking_for_links_from_one_client_is_limited(app, make_staff, monkeypatch):
    monkeypatch.setitem(app.config, "LIMIT_PASSWORD_RESET_CLIENT", "2 per hour")
    for n in range(2):
        _ask_for_link(app, f"someone-{n}@example.org")

    assert _ask_for_link(app, "someone-else@example.org").status_code == 429


def test_a_reset_link_is_never_written_to_a_log(app, make_staff, mailbox, drain):
    from service.web.credentials import scrub

    cora = make_staff()
    _ask_for_link(app, cora.email)
    drain()
    link = _link_in(_reset_email(mailbox, cora.email))

    assert scrub(f"GET {link} 200") == "GET /console/reset-password/<token> 200"
