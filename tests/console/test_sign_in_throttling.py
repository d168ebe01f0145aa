"""Failed sign-ins are throttled per address and client, waiting longer at each step, so
guessing is slow and nobody elsewhere can lock a coordinator out."""

from __future__ import annotations

import html
from datetime import timedelta

import time_machine

from service.clock import now
from tests.helpers.staff import PASSWORD, Console

ATTACKER = "203.0.113.7"
OFFICE = "198.51.100.20"


def _fail(app, email: str, address: str = ATTACKER, times: int = 1) -> list[int]:
    return [
        Console(app, address).sign_in(email, "guessing wrongly again").status_code
        for _ in range(times)
    ]


def _retry_after(response) -> int:
    return int(response.headers["Retry-After"])


def test_failures_from_elsewhere_never_lock_the_owner_out(app, make_staff):
    cora = make_staff()
    _fail(app, cora.email, times=12)

    assert Console(app, ATTACKER).sign_in(cora.email).status_code == 429
    assert Console(app, OFFICE).sign_in(cora.email).status_code == 302


def test_after_five_failures_even_the_right_password_waits_with_retry_after(app, make_staff):
    cora = make_staff()
    assert _fail(app, cora.email, times=5) == [401] * 5

    response = Console(app, ATTACKER).sign_in(cora.email)

    assert response.status_code == 429
    assert 0 < _retry_after(response) <= 60
    page = html.unescape(response.get_data(as_text=True))
    assert "Too many failed attempts from here. Wait a minute, then try again." in page


def test_each_step_of_failures_waits_longer(app, make_staff):
    cora = make_staff()
    _fail(app, cora.email, times=5)
    first_wait = _retry_after(Console(app, ATTACKER).sign_in(cora.email))

    # Past the first step's minute, however long the first five took on a busy machine.
    with time_machine.travel(now() + timedelta(seconds=61), tick=False):
        assert _fail(app, cora.email, times=5) == [401] * 5
        second_wait = _retry_after(Console(app, ATTACKER).sign_in(cora.email))

    assert first_wait <= 60
    assert second_wait > 8 * 60  # the next step: ten failures in ten minutes


def test_one_client_guessing_at_many_addresses_is_slowed(app, make_staff, monkeypatch):
    monkeypatch.setitem(app.config, "LIMIT_SIGN_IN_CLIENT", "3 per 10 minutes")
    cora = make_staff()
    for n in range(3):
        _fail(app, f"someone-{n}@example.org")

    assert Console(app, ATTACKER).sign_in(cora.email).status_code == 429
    assert Console(app, OFFICE).sign_in(cora.email).status_code == 302


def test_successful_sign_ins_are_not_counted(app, make_staff):
    cora = make_staff()

    statuses = [Console(app, OFFICE).sign_in(cora.email).status_code for _ in range(8)]

    assert statuses == [302] * 8


def test_a_forwarded_for_header_from_the_client_is_not_believed(app, make_staff):
    cora = make_staff()
    for n in range(5):
        console = Console(app, ATTACKER)
        console.client.environ_base["HTTP_X_FORWARDED_FOR"] = f"192.0.2.{n}"
        console.sign_in(cora.email, "guessing wrongly again")

    assert Console(app, ATTACKER).sign_in(cora.email, PASSWORD).status_code == 429
