"""A forgotten password, in a real browser: the link comes by e-mail (to the test's SMTP
server), sets a new password once, and the new password signs in."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.helpers.browser import serious_violations
from tests.helpers.staff import create_staff

pytestmark = pytest.mark.slow

NEW_PASSWORD = "a brand new passphrase"


def test_a_coordinator_resets_a_forgotten_password_through_the_link_e_mailed(
    app, live_server, page, mailbox, drain
):
    cora = create_staff(app, name="Cora Ordinator")
    page.goto(f"{live_server}/console/login")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("E-mail address").fill(cora.email)
    page.get_by_role("button", name="E-mail me a link").click()
    expect(page.locator("h1")).to_have_text("Check your e-mail")
    drain()
    (message,) = mailbox.to(cora.email)
    found = re.search(
        r"https?://[^/\s]+(/console/reset-password/\S+)", message.get_body(("plain",)).get_content()
    )
    assert found, "the e-mail has no reset link"

    page.goto(f"{live_server}{found.group(1)}")
    expect(page.locator("h1")).to_have_text("Set a new password")
    assert serious_violations(page) == []
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    confirm = page.get_by_label(re.compile("again|Confirm|Repeat", re.I))
    if confirm.count():
        confirm.fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set the password").click()

    page.get_by_label("E-mail address").fill(cora.email)
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("h1")).to_have_text("Dashboard")

    page.goto(f"{live_server}{found.group(1)}")
    expect(page.locator("h1")).to_have_text("This link no longer works")
