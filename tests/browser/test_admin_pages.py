"""Admins' pages in a real browser: API tokens created, used against the API and revoked,
at a desk's width and a phone's; every page passes axe-core, error states included."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.helpers.browser import open_dashboard, open_menu, serious_violations, sign_in
from tests.helpers.staff import create_staff

pytestmark = pytest.mark.slow


def _scope(page, scope: str):
    return page.get_by_role("checkbox", name=re.compile(f"^{re.escape(scope)} "))


@pytest.mark.parametrize("width", [1440, 375])
def test_an_admin_creates_a_token_uses_it_against_the_api_and_revokes_it(
    app, live_server, pages, width, screenshots
):
    admin = create_staff(app, "admin", "Ada Admin")
    page = pages.open(viewport={"width": width, "height": 900})
    sign_in(page, live_server, admin)
    open_dashboard(page, live_server)
    open_menu(page)
    page.get_by_role("link", name="API tokens").click()
    expect(page.locator("h1")).to_have_text("API tokens")
    assert serious_violations(page) == []

    page.get_by_label("Name", exact=True).fill("CRM sync")
    page.get_by_role("button", name="Create the token").click()
    expect(page.get_by_role("alert")).to_contain_text("Choose at least one scope")
    assert page.title().startswith("Error: ")
    expect(page.get_by_label("Name", exact=True)).to_have_value("CRM sync")
    assert serious_violations(page) == []

    _scope(page, "pairs:read").check()
    _scope(page, "programs:read").check()
    page.get_by_role("button", name="Create the token").click()
    expect(
        page.get_by_role("heading", level=2, name="The token CRM sync is created")
    ).to_be_visible()
    expect(page.get_by_text("it is shown only this once")).to_be_visible()
    raw = page.get_by_label("Token for CRM sync").input_value()
    assert raw.startswith("pw_")
    assert serious_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(path=screenshots / f"tokens-{width}.png", full_page=True)

    bearer = {"Authorization": f"Bearer {raw}"}
    assert page.request.get(f"{live_server}/api/v1/programs", headers=bearer).status == 200

    page.get_by_role("link", name="Revoke CRM sync").click()
    expect(page.locator("h1")).to_have_text("Revoke the token CRM sync?")
    assert serious_violations(page) == []
    page.screenshot(path=screenshots / f"token-revoke-{width}.png", full_page=True)
    page.get_by_role("button", name="Revoke CRM sync").click()
    expect(page.locator(".flashes .flash")).to_contain_text("The token 'CRM sync' is revoked")
    expect(page.get_by_role("row", name="CRM sync")).to_contain_text("revoked")

    refused = page.request.get(f"{live_server}/api/v1/programs", headers=bearer)
    assert refused.status == 401
    assert refused.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize("width", [1440, 375])
def test_an_admin_invites_a_member_of_staff_who_chooses_a_password_and_signs_in(
    app, live_server, pages, width, screenshots, drain, mailbox
):
    admin = create_staff(app, "admin", "Ada Admin")
    page = pages.open(viewport={"width": width, "height": 900})
    sign_in(page, live_server, admin)
    open_dashboard(page, live_server)
    open_menu(page)
    page.get_by_role("link", name="Staff", exact=True).click()
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.get_by_role("alert")).to_contain_text("Enter their e-mail address.")
    assert serious_violations(page) == []

    page.get_by_label("E-mail address").fill("nia@example.org")
    page.get_by_label("Full name").fill("Nia Newcomer")
    page.get_by_role("radio", name=re.compile("^support ")).check()
    page.screenshot(path=screenshots / f"staff-{width}.png", full_page=True)
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.locator("h1")).to_have_text("Nia Newcomer")
    expect(page.locator(".flashes .flash")).to_contain_text("Nia Newcomer is invited")
    assert serious_violations(page) == []
    page.screenshot(path=screenshots / f"staff-member-{width}.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= width

    drain()
    (message,) = mailbox.to("nia@example.org")
    path = re.search(r"http://pairwise\.test(/console/welcome/\S+)", message.get_content())[1]
    welcome = pages.open(viewport={"width": width, "height": 900})
    welcome.goto(f"{live_server}{path}")
    expect(welcome.locator("h1")).to_have_text("Welcome to Pairwise")
    assert serious_violations(welcome) == []
    welcome.screenshot(path=screenshots / f"welcome-{width}.png", full_page=True)
    welcome.get_by_label("New password", exact=True).fill("a passphrase of my own")
    welcome.get_by_label("New password again").fill("a passphrase of my own")
    welcome.get_by_role("button", name="Set my password").click()
    expect(welcome.locator(".flashes .flash")).to_contain_text("Your password is set")
    welcome.get_by_label("E-mail address").fill("nia@example.org")
    welcome.get_by_label("Password").fill("a passphrase of my own")
    welcome.get_by_role("button", name="Sign in").click()
    expect(welcome.locator("h1")).to_have_text("Dashboard")
    welcome.goto(f"{live_server}{path}")
    expect(welcome.locator("h1")).to_have_text("This invitation no longer works")
    assert serious_violations(welcome) == []


@pytest.mark.parametrize("width", [1440, 375])
def test_a_coordinator_creates_a_program_and_a_refusal_stays_on_the_page(
    app, live_server, pages, width, screenshots
):
    coordinator = create_staff(app, "coordinator", "Cora Ordinator")
    page = pages.open(viewport={"width": width, "height": 900})
    sign_in(page, live_server, coordinator)
    open_dashboard(page, live_server)
    open_menu(page)
    page.get_by_role("link", name="Programs").click()
    page.get_by_role("link", name="Create a program").click()
    expect(page.locator("h1")).to_have_text("New program")
    assert serious_violations(page) == []
    page.screenshot(path=screenshots / f"program-new-{width}.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= width

    page.get_by_label("Name", exact=True).fill("Riverside Youth")
    page.get_by_label("Timezone").fill("Europe/Nowhere")
    page.get_by_role("button", name="Create the program").click()
    expect(page.get_by_role("alert")).to_contain_text("is not a timezone such as Europe/Oslo")
    expect(page.get_by_label("Name", exact=True)).to_have_value("Riverside Youth")
    assert serious_violations(page) == []

    page.get_by_label("Timezone").fill("Europe/Oslo")
    page.get_by_role("radio", name=re.compile("^Yes: a youth program")).check()
    page.get_by_role("button", name="Create the program").click()
    expect(page.locator("h1")).to_have_text("Riverside Youth: settings")
    expect(page.locator(".flashes .flash")).to_contain_text("Riverside Youth is created")
    assert serious_violations(page) == []


@pytest.mark.parametrize("width", [1440, 375])
def test_the_console_s_error_pages_pass_axe_and_lead_back_to_the_dashboard(
    app, live_server, pages, width, screenshots
):
    coordinator = create_staff(app, "coordinator", "Cora Ordinator")
    page = pages.open(viewport={"width": width, "height": 900})
    sign_in(page, live_server, coordinator)
    for path, status, heading in (
        ("/console/no-such-page", 404, "Not Found"),
        ("/console/tokens", 403, "Forbidden"),
    ):
        response = page.goto(f"{live_server}{path}")
        assert response is not None and response.status == status
        expect(page.locator("h1")).to_have_text(heading)
        assert serious_violations(page) == []
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(path=screenshots / f"error-{status}-{width}.png", full_page=True)
    page.get_by_role("link", name="Go to the dashboard").click()
    expect(page.locator("h1")).to_have_text("Dashboard")
    icon = page.request.get(f"{live_server}/favicon.ico")
    assert icon.status == 200 and icon.body()[:4] == b"\x00\x00\x01\x00"


def test_an_admin_creates_and_revokes_a_token_with_the_keyboard_alone(app, live_server, page):
    sign_in(page, live_server, create_staff(app, "admin", "Ada Admin"))
    page.goto(f"{live_server}/console/tokens")

    name = page.get_by_label("Name", exact=True)
    name.focus()
    page.keyboard.type("Keyboard sync")
    page.keyboard.press("Tab")
    expect(_scope(page, "programs:read")).to_be_focused()
    page.keyboard.press("Space")
    page.keyboard.press("Shift+Tab")
    expect(name).to_be_focused()
    page.keyboard.press("Enter")  # submits the form from its text box
    expect(page.get_by_role("heading", name="The token Keyboard sync is created")).to_be_visible()

    page.get_by_role("link", name="Revoke Keyboard sync").focus()
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Revoke the token Keyboard sync?")
    page.get_by_role("link", name="All API tokens").focus()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Revoke Keyboard sync")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("row", name="Keyboard sync")).to_contain_text("revoked")
