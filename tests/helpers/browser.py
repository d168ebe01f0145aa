"""A real headless Chromium (Debian's package), driven by Playwright, with axe-core."""

from __future__ import annotations

import json
import os
import shutil
from collections import defaultdict
from contextlib import suppress

from tests.helpers.forms import csrf_token_in
from tests.helpers.staff import PASSWORD, Staff

CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    for candidate in (os.environ.get("CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"):
        if candidate and shutil.which(candidate):
            return candidate
    return None


class WatchedBrowser:
    """The browser, with every context it opens watched for Content-Security-Policy
    violations: Chromium reports each one in the console, and a test that causes one fails."""

    def __init__(self, browser) -> None:
        self._browser = browser
        self.csp_violations: list[str] = []

    def new_context(self, **options):
        context = self._browser.new_context(**options)
        context.on("console", self._console)
        return context

    def _console(self, message) -> None:
        if "Content Security Policy" in message.text:
            self.csp_violations.append(
                f"{message.page.url if message.page else '?'}: {message.text}"
            )

    def __getattr__(self, name: str):
        return getattr(self._browser, name)


class Pages:
    """Pages for the tests, each in a browser context of its own, kept for later tests
    instead of closed: a new context and its first page cost Chromium more than most tests
    do (a renderer process to start, the style sheets and scripts to fetch and compile).

    Within a test every `open` is a context of its own (two people at two browsers never
    share a cookie). Between tests a page forgets what a new context would not know: its
    cookies, its storage and where it was; its size is set back. A context a test closed
    is simply not kept."""

    def __init__(self, browser: WatchedBrowser) -> None:
        self._browser = browser
        self._idle: dict[str, list] = defaultdict(list)
        self._lent: list[tuple[str, object, dict]] = []  # (options' key, page, its size)

    def open(self, **options):
        """A blank page in a context made with `options` (those of `Browser.new_context`)."""
        key = json.dumps(options, sort_keys=True)
        idle = self._idle[key]
        page = idle.pop() if idle else self._browser.new_context(**options).new_page()
        self._lent.append((key, page, page.viewport_size))
        return page

    def give_back(self) -> None:
        """After a test: every page it opened, blank again and ready for the next."""
        from playwright.sync_api import Error as PlaywrightError

        lent, self._lent = self._lent, []
        for key, page, size in lent:
            if page.is_closed():
                continue
            try:
                _forget(page, size)
            except PlaywrightError:  # the test closed the context, or broke the page
                with suppress(PlaywrightError):
                    page.context.close()
                continue
            self._idle[key].append(page)

    def close(self) -> None:
        for pages in self._idle.values():
            for page in pages:
                page.context.close()
        self._idle.clear()


def _forget(page, size: dict) -> None:
    if page.url.startswith("http"):
        page.evaluate("localStorage.clear(); sessionStorage.clear()")
    page.context.clear_cookies()
    page.goto("about:blank")
    if page.viewport_size != size:
        page.set_viewport_size(size)


def serious_violations(page) -> list[str]:
    """axe-core's serious and critical findings on the page as it is now."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def sign_in(page, live_server: str, staff: Staff) -> None:
    """`staff` signs in on the page's browser, which stays where it is: the login form is
    fetched and posted from the browser's own cookie jar and user agent, without drawing the
    form in the page (the form itself has tests of its own), so the next page opened is
    signed in. Drawing the form and the dashboard after it cost more than most tests."""
    request = page.context.request
    login = f"{live_server}/console/login"
    token = csrf_token_in(request.get(login).text(), login)
    answer = request.post(
        login,
        form={"csrf_token": token, "email": staff.email, "password": PASSWORD},
        max_redirects=0,
    )
    assert answer.status == 302, f"{staff.email} was not signed in: {answer.status}"


def open_dashboard(page, live_server: str) -> None:
    """The console's first page, as staff land on it after signing in."""
    from playwright.sync_api import expect

    page.goto(f"{live_server}/console/")
    expect(page.locator("h1")).to_have_text("Dashboard")


def open_menu(page) -> None:
    """On a narrow screen the console's navigation sits behind the Menu button: open it
    (on a wide screen the sidebar is always there, and this does nothing)."""
    menu = page.get_by_role("button", name="Menu")
    if menu.is_visible():
        menu.click()
        menu_shown(page)


def menu_shown(page) -> None:
    """Wait until the phone's menu has finished opening (it then takes the focus itself)."""
    page.locator("#console-sidebar.show:not(.showing)").wait_for()


def open_tab(page, name: str) -> None:
    """Open one of the pair page's sections (a tab) and wait for it to show."""
    from playwright.sync_api import expect

    tab = page.get_by_role("tab", name=name)
    tab.click()
    expect(tab).to_have_attribute("aria-selected", "true")
