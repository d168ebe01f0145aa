"""Admins invite staff by e-mail (a signed, expiring, single-use link to choose a password),
change their roles, and disable and enable their accounts."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import sqlalchemy as sa
import time_machine

from service.accounts.models import User
from service.clock import now
from service.database import db
from service.web.credentials import scrub
from tests.helpers.staff import Console

PASSWORD = "a passphrase of my own"


def _invite(admin, email="nia@example.org", full_name="Nia Newcomer", role="coordinator"):
    return admin.post(
        "/console/staff/invite", data={"email": email, "full_name": full_name, "role": role}
    )


def _link_in(mailbox, address: str) -> str:
    (message,) = mailbox.to(address)
    assert message["Subject"] == "You are invited to the Pairwise console"
    body = message.get_body(("plain",)).get_content()
    match = re.search(r"http://pairwise\.test(/console/welcome/\S+)", body)
    assert match, "the e-mail has no invitation link"
    return match.group(1)


def _choose_password(app, path: str, password: str = PASSWORD):
    console = Console(app)
    return console.client.post(
        path,
        data={
            "csrf_token": console.csrf_token("/console/login"),
            "password": password,
            "confirm": password,
        },
    )


def _user(app, email: str) -> User:
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == email))
        db.session.expunge(user)
        return user


def test_an_invited_member_of_staff_sets_a_password_through_the_e_mailed_link_and_signs_in(
    app, make_staff, console_as, mailbox, drain
):
    admin = make_staff("admin", "Ada Admin")

    invited = _invite(console_as(admin))
    drain()
    link = _link_in(mailbox, "nia@example.org")
    welcome = Console(app).page(link)
    chosen = _choose_password(app, link)

    assert invited.status_code == 302
    assert "Ada Admin invited you" in mailbox.to("nia@example.org")[0].get_content()
    assert "Welcome to Pairwise" in welcome and "Nia Newcomer" in welcome
    assert chosen.status_code == 302
    assert chosen.headers["Location"] == "/console/login"
    assert Console(app).sign_in("nia@example.org", PASSWORD).status_code == 302
    assert _user(app, "nia@example.org").role == "coordinator"


def test_an_invited_account_cannot_sign_in_before_the_password_is_chosen(
    app, make_staff, console_as, mailbox, drain
):
    _invite(console_as(make_staff("admin")))

    assert Console(app).sign_in("nia@example.org", "").status_code in (401, 422)
    assert Console(app).sign_in("nia@example.org", "anything at all").status_code == 401


def test_an_invitation_link_works_once(app, make_staff, console_as, mailbox, drain):
    _invite(console_as(make_staff("admin")))
    drain()
    link = _link_in(mailbox, "nia@example.org")

    first = _choose_password(app, link)
    again = _choose_password(app, link, "someone else's passphrase")

    assert first.status_code == 302
    assert again.status_code == 410
    assert "This invitation no longer works" in again.get_data(as_text=True)
    assert Console(app).get(link).status_code == 410
    assert Console(app).sign_in("nia@example.org", PASSWORD).status_code == 302


def test_an_invitation_link_expires(app, make_staff, console_as, mailbox, drain):
    _invite(console_as(make_staff("admin")))
    drain()
    link = _link_in(mailbox, "nia@example.org")

    with time_machine.travel(now() + timedelta(days=7, minutes=1)):
        expired = _choose_password(app, link)

    assert expired.status_code == 410
    assert _user(app, "nia@example.org").password_hash is None


def test_a_password_reset_link_is_not_an_invitation(app, make_staff, console_as, mailbox, drain):
    _invite(console_as(make_staff("admin")))
    drain()
    token = _link_in(mailbox, "nia@example.org").rsplit("/", 1)[1]

    assert Console(app).get(f"/console/reset-password/{token}").status_code == 410


def test_an_invitation_to_an_address_in_use_is_refused_on_the_page(
    app, make_staff, console_as, mailbox, drain
):
    cora = make_staff()
    admin = console_as(make_staff("admin"))

    response = _invite(admin, email=cora.email, full_name="Cora Again")
    drain()

    assert response.status_code == 422
    page = html.unescape(response.get_data(as_text=True))
    assert f"A user with e-mail {cora.email} exists already." in page
    assert 'value="Cora Again"' in page
    assert mailbox.messages == []


def test_an_invitation_without_a_valid_address_is_refused_on_the_page(make_staff, console_as):
    response = _invite(console_as(make_staff("admin")), email="nia at example")

    assert response.status_code == 422
    assert "Enter an e-mail address like name@example.org." in response.get_data(as_text=True)


def test_an_admin_e_mails_a_lost_invitation_again(app, make_staff, console_as, mailbox, drain):
    admin = console_as(make_staff("admin"))
    _invite(admin)
    drain()
    mailbox.messages.clear()
    nia = _user(app, "nia@example.org")

    admin.post(f"/console/staff/{nia.id}/invitation")
    drain()

    assert _choose_password(app, _link_in(mailbox, "nia@example.org")).status_code == 302


def test_an_invitation_once_accepted_is_not_sent_again(app, make_staff, console_as, mailbox):
    cora = make_staff()
    admin = console_as(make_staff("admin"))

    admin.post(f"/console/staff/{cora.id}/invitation")

    assert "has set a password already" in html.unescape(admin.flashes())


def test_coordinators_cannot_invite_staff(make_staff, console_as):
    assert _invite(console_as(make_staff("coordinator"))).status_code == 403


def test_an_admin_changes_a_role_and_it_holds_from_the_next_page(app, make_staff, console_as):
    cora = make_staff("coordinator")
    session = console_as(cora)
    assert session.get("/console/staff/").status_code == 403

    response = console_as(make_staff("admin")).post(
        f"/console/staff/{cora.id}/role", data={"role": "admin"}
    )

    assert response.status_code == 302
    assert _user(app, cora.email).role == "admin"
    assert session.get("/console/staff/").status_code == 200


def test_nobody_changes_their_own_role(app, make_staff, console_as):
    admin = make_staff("admin")

    response = console_as(admin).post(f"/console/staff/{admin.id}/role", data={"role": "support"})

    assert response.status_code == 422
    assert "You cannot change your own role" in response.get_data(as_text=True)
    assert _user(app, admin.email).role == "admin"


def test_a_coordinator_of_open_pairs_does_not_become_support_staff(
    app, make_staff, console_as, world
):
    cora = make_staff("coordinator")
    pair = world.drive_to("active")
    with app.app_context():
        from service.pairs.models import Pair

        db.session.get(Pair, pair["id"]).coordinator_id = cora.id
        db.session.commit()

    response = console_as(make_staff("admin")).post(
        f"/console/staff/{cora.id}/role", data={"role": "support"}
    )

    assert response.status_code == 422
    assert "coordinates 1 open pair: give it another coordinator first" in response.get_data(
        as_text=True
    )
    assert _user(app, cora.email).role == "coordinator"


def test_an_unknown_role_is_refused_on_the_page(app, make_staff, console_as):
    cora = make_staff()

    response = console_as(make_staff("admin")).post(
        f"/console/staff/{cora.id}/role", data={"role": "owner"}
    )

    assert response.status_code == 422
    assert "Choose a role." in response.get_data(as_text=True)


def test_disabling_an_invited_account_retires_its_link(app, make_staff, console_as, mailbox, drain):
    admin = console_as(make_staff("admin"))
    _invite(admin)
    drain()
    link = _link_in(mailbox, "nia@example.org")

    admin.post(f"/console/staff/{_user(app, 'nia@example.org').id}/disable")

    assert _choose_password(app, link).status_code == 410


def test_an_invitation_link_is_never_written_to_a_log(app, make_staff, console_as, mailbox, drain):
    _invite(console_as(make_staff("admin")))
    drain()
    link = _link_in(mailbox, "nia@example.org")

    assert scrub(f"GET {link} 200") == "GET /console/welcome/<token> 200"
