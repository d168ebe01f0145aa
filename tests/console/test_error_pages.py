"""The console's error pages are in its own layout, in plain words, with a way on; the app
serves its favicon itself."""

from __future__ import annotations

from tests.helpers.staff import Console


def test_a_missing_console_page_is_a_404_in_the_console_s_layout_with_a_way_on(
    make_staff, console_as
):
    response = console_as(make_staff()).get("/console/no-such-page")

    page = response.get_data(as_text=True)
    assert response.status_code == 404
    assert 'class="console-nav"' in page
    assert "console.css" in page
    assert "There is no page at this address" in page
    assert "Go to the dashboard" in page
    assert "requested URL" not in page


def test_a_page_not_open_to_a_role_is_a_403_that_says_whom_to_ask(make_staff, console_as):
    response = console_as(make_staff("coordinator")).get("/console/tokens")

    page = response.get_data(as_text=True)
    assert response.status_code == 403
    assert 'class="console-nav"' in page
    assert "This page is not open to your account." in page
    assert "ask an admin" in page


def test_a_failure_on_our_side_is_a_500_in_the_console_s_layout_without_the_signed_in_menu(
    make_staff, console_as, monkeypatch
):
    from service.tokens import service as tokens

    def broken():
        raise RuntimeError("a bug")

    admin = console_as(make_staff("admin"))
    monkeypatch.setattr(tokens, "newest_first", broken)

    response = admin.get("/console/tokens")

    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "console.css" in page
    assert "Something failed on our side" in page
    assert "tell your admin" in page
    assert 'class="console-nav"' not in page


def test_a_missing_page_outside_the_console_keeps_the_plain_layout(client):
    page = client.get("/nowhere").get_data(as_text=True)

    assert "console.css" not in page
    assert "Back to the start page" in page


def test_the_app_serves_its_favicon_and_every_page_links_it(app, client):
    icon = client.get("/favicon.ico")
    svg = client.get("/static/favicon.svg")
    login = Console(app).page("/console/login")

    assert icon.status_code == 200
    assert icon.headers["Content-Type"] == "image/vnd.microsoft.icon"
    assert icon.data[:4] == b"\x00\x00\x01\x00"  # an icon resource
    assert svg.status_code == 200
    assert 'rel="icon" href="/favicon.ico"' in login
    assert 'href="/static/favicon.svg" type="image/svg+xml"' in login
