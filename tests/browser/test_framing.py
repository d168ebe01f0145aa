"""No other site can frame a console page and trick a coordinator into pressing its buttons
(clickjacking): the pair page, with its transition forms, refuses to be framed."""

from __future__ import annotations

import pytest

from tests.helpers.browser import sign_in
from tests.helpers.staff import create_staff

pytestmark = pytest.mark.slow


def _refuses_framing(message) -> bool:
    return "frame-ancestors" in message.text


def test_the_pair_page_with_its_transition_forms_cannot_be_framed(
    app, live_server, browser, pages, world
):
    pair = world.drive_to("active")
    page = pages.open()
    sign_in(page, live_server, create_staff(app, "admin"))
    target = f"{live_server}/console/pairs/{pair['id']}"
    page.goto(target)
    assert page.locator(f'form[action="/console/pairs/{pair["id"]}/transition"]').count()

    # Chromium reports the refusal in the console once it has the framed page's headers
    # (a page that may be framed times out here).
    with page.expect_console_message(_refuses_framing, timeout=10_000):
        page.set_content(f'<h1>Win a prize</h1><iframe src="{target}" width="800"></iframe>')

    (framed,) = [frame for frame in page.frames if frame != page.main_frame]
    assert framed.locator("form").count() == 0
    assert "Pair #" not in framed.content()
    assert any("frame-ancestors 'none'" in text for text in browser.csp_violations)
    browser.csp_violations.clear()  # the refusal above is the one expected
