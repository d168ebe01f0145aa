"""A session lives on the server: a cookie captured before it ended no longer signs anyone in,
whether the session ended by signing out, a new password, an admin, or time."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa
import time_machine
from click.testing import CliRunner

from service.accounts.models import StaffSession, User
from service.cli import cli
from service.clock import now
from service.database import db
from tests.helpers.staff import Console, replayed

NEW_PASSWORD = "a brand new passphrase"


def _session_ids(page: str) -> list[int]:
    return [int(i) for i in re.findall(r"/console/sessions/(\d+)/revoke", page)]


def test_a_captured_cookie_works_until_its_owner_signs_out(app, make_staff, console_as):
    console = console_as(make_staff())
    cookie = console.cookie()
    assert replayed(app, cookie).status_code == 200

    console.post("/console/logout")

    assert replayed(app, cookie).status_code == 302
    assert console.get("/console/").status_code == 302


def test_a_new_password_in_the_console_ends_every_other_session(app, make_staff, console_as):
    cora = make_staff()
    laptop, phone = console_as(cora), console_as(cora)
    laptop_cookie, phone_cookie = laptop.cookie(), phone.cookie()

    laptop.post("/console/settings", data={"pw-password": NEW_PASSWORD, "pw-confirm": NEW_PASSWORD})

    assert laptop.get("/console/").status_code == 200  # a fresh session for this browser
    assert phone.get("/console/").status_code == 302
    assert replayed(app, phone_cookie).status_code == 302
    assert replayed(app, laptop_cookie).status_code == 302  # its old cookie is spent too
    assert Console(app).sign_in(cora.email, NEW_PASSWORD).status_code == 302


def test_pairwise_set_password_ends_every_session(app, make_staff, console_as, service_env):
    cora = make_staff()
    cookie = console_as(cora).cookie()

    result = CliRunner().invoke(
        cli,
        ["set-password", "--email", cora.email, "--password-stdin"],
        input=NEW_PASSWORD + "\n",
        env=service_env,
    )

    assert result.exit_code == 0, result.output
    assert replayed(app, cookie).status_code == 302


def test_an_admin_disabling_an_account_ends_its_sessions_at_once(app, make_staff, console_as):
    cora, admin = make_staff(), console_as(make_staff("admin"))
    cookie = console_as(cora).cookie()

    response = admin.post(f"/console/staff/{cora.id}/disable")

    assert response.status_code == 302
    assert replayed(app, cookie).status_code == 302
    assert Console(app).sign_in(cora.email).status_code == 401
    admin.post(f"/console/staff/{cora.id}/enable")
    assert Console(app).sign_in(cora.email).status_code == 302
    assert replayed(app, cookie).status_code == 302  # enabling again revives no old session


def test_pairwise_disable_user_ends_the_sessions(app, make_staff, console_as, service_env):
    cora = make_staff()
    cookie = console_as(cora).cookie()

    result = CliRunner().invoke(cli, ["disable-user", "--email", cora.email], env=service_env)

    assert result.exit_code == 0, result.output
    assert "disabled" in result.output
    assert replayed(app, cookie).status_code == 302
    with app.app_context():
        assert db.session.get(User, cora.id).active is False


def test_a_disabled_flag_set_directly_in_the_database_also_ends_the_session(
    app, make_staff, console_as
):
    cora = make_staff()
    cookie = console_as(cora).cookie()
    with app.app_context():
        db.session.get(User, cora.id).active = False
        db.session.commit()

    assert replayed(app, cookie).status_code == 302


def test_an_admin_cannot_disable_their_own_account(app, make_staff, console_as):
    admin = make_staff("admin")
    console = console_as(admin)

    console.post(f"/console/staff/{admin.id}/disable")

    assert "You cannot disable your own account" in console.page(f"/console/staff/{admin.id}")
    assert console.get("/console/").status_code == 200


def test_someone_signs_out_a_session_they_do_not_recognise(app, make_staff, console_as):
    cora = make_staff()
    mine, stolen = console_as(cora), console_as(cora)
    stolen_cookie = stolen.cookie()
    page = mine.page("/console/sessions")
    assert "this browser" in page
    (other,) = _session_ids(page)  # the current session is signed out with "Sign out"

    mine.post(f"/console/sessions/{other}/revoke")

    assert replayed(app, stolen_cookie).status_code == 302
    assert mine.get("/console/").status_code == 200
    assert _session_ids(mine.page("/console/sessions")) == []


def test_signing_out_every_other_session_keeps_this_one(app, make_staff, console_as):
    cora = make_staff()
    mine = console_as(cora)
    others = [console_as(cora).cookie() for _ in range(2)]

    mine.post("/console/sessions/revoke-others")

    assert [replayed(app, cookie).status_code for cookie in others] == [302, 302]
    assert mine.get("/console/").status_code == 200


def test_nobody_but_an_admin_signs_out_someone_elses_session(app, make_staff, console_as):
    cora, colin = make_staff(), make_staff()
    cora_cookie = console_as(cora).cookie()
    with app.app_context():
        cora_session = db.session.scalar(
            sa.select(StaffSession.id).where(StaffSession.user_id == cora.id)
        )

    response = console_as(colin).post(f"/console/sessions/{cora_session}/revoke")

    assert response.status_code == 404
    assert replayed(app, cora_cookie).status_code == 200


def test_an_admin_sees_and_signs_out_a_members_sessions(app, make_staff, console_as):
    cora = make_staff(name="Cora Ordinator")
    cookies = [console_as(cora).cookie() for _ in range(2)]
    admin = console_as(make_staff("admin"))
    assert "Cora Ordinator" in admin.page("/console/staff/")
    page = admin.page(f"/console/staff/{cora.id}")
    first, _ = _session_ids(page)

    admin.post(f"/console/sessions/{first}/revoke")
    assert sorted(replayed(app, c).status_code for c in cookies) == [200, 302]
    admin.post(f"/console/staff/{cora.id}/sessions/end")

    assert [replayed(app, c).status_code for c in cookies] == [302, 302]
    assert "Not signed in anywhere" in admin.page(f"/console/staff/{cora.id}")


def test_only_admins_open_the_staff_pages(app, make_staff, console_as):
    coordinator = console_as(make_staff())

    assert coordinator.get("/console/staff/").status_code == 403
    assert coordinator.post(f"/console/staff/{make_staff().id}/disable").status_code == 403


def test_a_session_unused_for_the_idle_timeout_ends(app, make_staff, console_as):
    console = console_as(make_staff())
    cookie = console.cookie()
    idle = app.config["SESSION_IDLE_TIMEOUT"]

    with time_machine.travel(now() + idle - timedelta(minutes=2), tick=False):
        assert replayed(app, cookie).status_code == 200  # in use: the idle clock restarts
    with time_machine.travel(now() + 2 * idle - timedelta(minutes=3), tick=False):
        assert replayed(app, cookie).status_code == 200
    with time_machine.travel(now() + 3 * idle, tick=False):
        assert replayed(app, cookie).status_code == 302


def test_a_session_in_constant_use_still_ends_at_its_maximum_age(app, make_staff, console_as):
    console = console_as(make_staff())
    cookie = console.cookie()
    start, step = now(), app.config["SESSION_IDLE_TIMEOUT"] / 2
    moment = start
    while moment + step < start + app.config["SESSION_MAX_AGE"]:
        moment += step
        with time_machine.travel(moment, tick=False):
            assert replayed(app, cookie).status_code == 200

    with time_machine.travel(start + app.config["SESSION_MAX_AGE"] + timedelta(seconds=1)):
        assert replayed(app, cookie).status_code == 302


def test_last_seen_is_written_at_most_once_a_minute(app, make_staff, console_as):
    console = console_as(make_staff())

    def last_seen():
        with app.app_context():
            return db.session.scalar(sa.select(StaffSession.last_seen_at))

    signed_in = last_seen()
    with time_machine.travel(now() + timedelta(seconds=30), tick=False):
        console.get("/console/")
    assert last_seen() == signed_in
    with time_machine.travel(now() + timedelta(seconds=90), tick=False):
        console.get("/console/")
    assert last_seen() > signed_in


def test_the_database_keeps_no_usable_session_secret(app, make_staff, console_as):
    console = console_as(make_staff())
    with app.app_context():
        stored = db.session.scalar(sa.select(StaffSession.secret_hash))

    assert len(stored) == 64
    assert stored not in console.cookie()


def test_your_sessions_is_in_the_console_navigation(app, make_staff, console_as):
    page = console_as(make_staff()).page("/console/")

    assert 'href="/console/sessions"' in page
