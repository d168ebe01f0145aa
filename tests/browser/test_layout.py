"""The console's layout in a real browser: a sidebar beside the content on a wide screen, a
menu on a phone, no sideways scrolling, every page clean under axe-core at both widths,
the navigation and the pair page's tabs usable with the keyboard alone; and the pictures in
the documentation, taken from the pages themselves."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from service.actors import system
from service.choice import service as choice
from service.database import db
from service.surveys.models import SurveyResponse
from tests.helpers import SurveyTaker, World, invite
from tests.helpers.browser import menu_shown, open_dashboard, open_menu, serious_violations, sign_in
from tests.helpers.staff import PASSWORD, create_staff

pytestmark = [pytest.mark.slow, pytest.mark.long(60)]

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
WIDTHS = (1440, 375)

MENTEE_CHECKIN = {
    "meetings_held": "2",
    "meetings_missed": "0",
    "progress_on_actions": "yes",
    "talking_balance": "even",
    "feels_unsafe": "no",
}
MENTOR_CHECKIN = {
    "meetings_held": "2",
    "meetings_missed": "0",
    "mentee_progress": "yes",
    "concern": "no",
}


def _rate(app, api, client, pair: dict, role: str, rating: int, days_ago: int, **answers) -> None:
    """The mentee's or mentor's check-in with a pulse rating, answered `days_ago` days ago."""
    survey, base = (
        ("checkin_mentee", MENTEE_CHECKIN)
        if role == "mentee"
        else ("checkin_mentor", MENTOR_CHECKIN)
    )
    url = invite(api, survey, pair[f"{role}_id"], pair["id"])["url"]
    answered = {**base, "relationship_rating": str(rating), **answers}
    assert SurveyTaker(client, url).submit(answered).status_code in (200, 303)
    with app.app_context():
        newest = db.session.scalar(sa.select(sa.func.max(SurveyResponse.id)))
        db.session.execute(
            sa.update(SurveyResponse)
            .where(SurveyResponse.id == newest)
            .values(submitted_at=datetime.now(UTC) - timedelta(days=days_ago))
        )
        db.session.commit()


def _program(app, api, client) -> dict:
    """A program as a coordinator meets it on a Monday: pairs in most states, one at risk
    whose ratings fell, one with a closure waiting for approval."""
    world = World.build(api, mentors=0, mentees=0, name="Riverside Youth Mentoring")
    for name in ("Amara Okafor", "Jonas Berg", "Priya Nair", "Tomás Silva", "Grace Lee"):
        world.mentors.append(world.add_participant("mentor", trained=True, full_name=name))
    for name in ("Sofia Rossi", "Liam Chen", "Noor Haddad", "Eli Novak", "Maya Patel", "Omar Aziz"):
        world.mentees.append(world.add_participant("mentee", trained=True, full_name=name))
    troubled = world.drive_to("active", mentee_index=0, mentor_index=0)
    world.log_meeting(troubled["id"], occurred_at="2026-10-02T16:00:00+00:00")
    for rating, days_ago in ((8, 56), (7, 35), (5, 14)):
        _rate(app, api, client, troubled, "mentee", rating, days_ago)
    for rating, days_ago in ((8, 55), (6, 34)):
        _rate(app, api, client, troubled, "mentor", rating, days_ago)
    _rate(app, api, client, troubled, "mentee", 3, 1, meetings_held="0", meetings_missed="2")
    assert world.pair(troubled["id"])["state"] == "at_risk"
    steady = world.drive_to("active", mentee_index=1, mentor_index=1)
    world.log_meeting(steady["id"])
    closing = world.drive_to("active", mentee_index=2, mentor_index=2)
    final = (date.today() + timedelta(days=14)).isoformat()
    assert api.trigger(closing["id"], "begin_closure", final_session_on=final).status_code == 202
    world.drive_to("training", mentee_index=3, mentor_index=3)
    world.drive_to("matched", mentee_index=4, mentor_index=4)
    world.new_pair(mentee_index=5)
    return troubled


def _main_pages(live_server: str, pair_id: int) -> list[str]:
    return [
        f"{live_server}/console/",
        f"{live_server}/console/pairs",
        f"{live_server}/console/pairs/{pair_id}",
        f"{live_server}/console/participants",
        f"{live_server}/console/proposals",
        f"{live_server}/console/inbox",
    ]


def test_the_main_pages_use_a_wide_screen_and_fit_a_phone(app, live_server, pages, api, client):
    pair = _program(app, api, client)
    coordinator = create_staff(app, name="Cora Ordinator")
    for width in WIDTHS:
        page = pages.open(viewport={"width": width, "height": 900})
        sign_in(page, live_server, coordinator)
        for url in _main_pages(live_server, pair["id"]):
            page.goto(url)
            scroll = page.evaluate("document.documentElement.scrollWidth")
            assert scroll <= width, f"{url} is {scroll} px wide on a {width} px screen"
            nav = page.get_by_role("navigation", name="Console")
            if width == 1440:
                # The sidebar is there without asking, and the content takes the rest.
                expect(nav.get_by_role("link", name="Pairs")).to_be_visible()
                assert page.locator("main").bounding_box()["width"] >= 1100
            else:
                expect(nav.get_by_role("link", name="Pairs")).to_be_hidden()
                open_menu(page)
                expect(nav.get_by_role("link", name="Pairs")).to_be_visible()


def test_the_current_page_is_marked_in_the_navigation(app, live_server, page, api, world):
    sign_in(page, live_server, create_staff(app))
    page.goto(f"{live_server}/console/pairs")
    current = page.get_by_role("navigation", name="Console").locator("[aria-current=page]")
    expect(current).to_have_text("Pairs")


def test_without_a_script_the_navigation_is_stacked_above_the_page_on_a_phone(
    app, live_server, pages, api, world
):
    page = pages.open(viewport={"width": 375, "height": 800}, java_script_enabled=False)
    page.goto(f"{live_server}/console/login")
    page.get_by_label("E-mail address").fill(create_staff(app).email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("h1")).to_have_text("Dashboard")
    nav = page.get_by_role("navigation", name="Console")
    expect(nav.get_by_role("link", name="Participants")).to_be_visible()
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375


def test_without_a_script_the_pair_page_s_sections_are_all_shown(
    app, live_server, pages, api, world
):
    pair = world.drive_to("active")
    page = pages.open(viewport={"width": 1440, "height": 900}, java_script_enabled=False)
    page.goto(f"{live_server}/console/login")
    page.get_by_label("E-mail address").fill(create_staff(app).email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server}/console/pairs/{pair['id']}")
    for section in ("Timeline", "Meetings", "Calendar and meeting requirement", "Notes"):
        expect(page.get_by_role("heading", name=section, exact=True)).to_be_visible()
    page.get_by_role("link", name="Notes", exact=True).click()
    assert page.url.endswith("#notes")
    expect(page.get_by_label("New note")).to_be_visible()


def test_a_keyboard_alone_opens_the_menu_on_a_phone_and_follows_a_link(
    app, live_server, pages, api, world
):
    page = pages.open(viewport={"width": 375, "height": 800})
    sign_in(page, live_server, create_staff(app))
    open_dashboard(page, live_server)
    menu = page.get_by_role("button", name="Menu")
    _tab_to(page, menu)
    page.keyboard.press("Enter")
    menu_shown(page)
    pairs = page.get_by_role("navigation", name="Console").get_by_role("link", name="Pairs")
    expect(pairs).to_be_visible()
    _tab_to(page, pairs)
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Pairs")


def test_a_keyboard_alone_reaches_the_sidebar_on_a_wide_screen(app, live_server, pages):
    page = pages.open(viewport={"width": 1440, "height": 900})
    sign_in(page, live_server, create_staff(app))
    open_dashboard(page, live_server)
    participants = page.get_by_role("navigation", name="Console").get_by_role(
        "link", name="Participants"
    )
    _tab_to(page, participants)
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Participants")


def test_a_keyboard_alone_moves_between_the_pair_page_s_tabs(app, live_server, page, api, world):
    pair = world.drive_to("active")
    sign_in(page, live_server, create_staff(app))
    page.goto(f"{live_server}/console/pairs/{pair['id']}")
    timeline = page.get_by_role("tab", name="Timeline")
    expect(timeline).to_have_attribute("aria-selected", "true")
    expect(page.get_by_role("tabpanel", name="Timeline")).to_be_visible()
    expect(page.get_by_label("New note")).to_be_hidden()

    _tab_to(page, timeline)
    page.keyboard.press("ArrowRight")
    expect(page.get_by_role("tab", name="Meetings")).to_be_focused()
    expect(page.get_by_role("tab", name="Meetings")).to_have_attribute("aria-selected", "true")
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    notes = page.get_by_role("tab", name="Notes")
    expect(notes).to_have_attribute("aria-selected", "true")
    _tab_to(page, page.get_by_label("New note"))
    page.keyboard.type("Called the mentee's parent.")
    _tab_to(page, page.get_by_role("button", name="Save the note"))
    page.keyboard.press("Enter")
    expect(page.locator(".flashes .flash")).to_be_visible()
    expect(page.get_by_role("tabpanel", name="Notes")).to_contain_text(
        "Called the mentee's parent."
    )


def test_a_link_to_a_section_opens_its_tab(app, live_server, page, api, world):
    pair = world.drive_to("active")
    sign_in(page, live_server, create_staff(app))
    page.goto(f"{live_server}/console/pairs/{pair['id']}#calendar")
    expect(page.get_by_role("tab", name="Calendar")).to_have_attribute("aria-selected", "true")
    expect(page.get_by_role("heading", name="Next due")).to_be_visible()


def _tab_to(page, target, limit: int = 80) -> None:
    """Press Tab until `target` has the focus, as a keyboard user would."""
    for _ in range(limit):
        if target.evaluate("element => element === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {target}")


def _console_pages(
    live_server: str, pair_id: int, participant_id: int, program_id: int, staff_id: int
) -> list[str]:
    base = f"{live_server}/console"
    return [
        f"{base}/",
        f"{base}/?program=999999",
        f"{base}/pairs",
        f"{base}/pairs?need=overdue",
        f"{base}/pairs/{pair_id}",
        f"{base}/pairs/{pair_id}#notes",
        f"{base}/pairs/{pair_id}/rematch",
        f"{base}/pairs/{pair_id}/closure",
        f"{base}/pairs/group-checkin",
        f"{base}/participants",
        f"{base}/applications",
        f"{base}/participants?waited_days=-1",
        f"{base}/participants/new",
        f"{base}/participants/{participant_id}",
        f"{base}/participants/{participant_id}/edit",
        f"{base}/programs/{program_id}",
        f"{base}/proposals",
        f"{base}/proposals?q=closure&sort=newest",
        f"{base}/proposals?q=nothing-like-this",
        f"{base}/proposals?q={'x' * 201}",
        f"{base}/inbox",
        f"{base}/inbox?sort=pair&unread=y",
        f"{base}/inbox?q={'x' * 201}",
        f"{base}/stories",
        f"{base}/programs",
        f"{base}/programs/new",
        f"{base}/inbound/",
        f"{base}/webhooks",
        f"{base}/access-log",
        f"{base}/staff/",
        f"{base}/staff/{staff_id}",
        f"{base}/tokens",
        f"{base}/settings",
        f"{base}/sessions",
        f"{base}/no-such-page",
    ]


def test_every_console_page_passes_axe_at_both_widths(app, live_server, pages, api, client):
    pair = _program(app, api, client)
    admin = create_staff(app, "admin", "Ada Admin")
    colleague = create_staff(app, "coordinator", "Cora Ordinator")
    urls = _console_pages(
        live_server, pair["id"], pair["mentee_id"], pair["program_id"], colleague.id
    )
    for width in WIDTHS:
        page = pages.open(viewport={"width": width, "height": 900})
        page.goto(f"{live_server}/console/login")
        assert serious_violations(page) == [], "login"
        sign_in(page, live_server, admin)
        for url in urls:
            response = page.goto(url)  # None for a section of the page before
            assert response is None or response.status < 500, url
            found = serious_violations(page)
            assert found == [], f"{url} at {width} px: {found}"


def test_a_page_closed_to_a_role_passes_axe(app, live_server, page):
    sign_in(page, live_server, create_staff(app, "coordinator"))
    response = page.goto(f"{live_server}/console/tokens")
    assert response.status == 403
    assert serious_violations(page) == []


def test_screenshots_of_the_dashboard_the_pairs_the_proposals_and_a_pair_are_written(
    app, live_server, pages, api, client, screenshots
):
    pair = _program(app, api, client)
    coordinator = create_staff(app, name="Cora Ordinator")
    written = []
    for width in WIDTHS:
        page = pages.open(viewport={"width": width, "height": 900})
        sign_in(page, live_server, coordinator)
        open_dashboard(page, live_server)
        expect(page.get_by_role("link", name=re.compile("Proposals waiting"))).to_contain_text("1")
        page.screenshot(path=screenshots / f"dashboard-{width}.png", full_page=True)
        page.goto(f"{live_server}/console/pairs")
        page.screenshot(path=screenshots / f"pairs-{width}.png", full_page=True)
        page.goto(f"{live_server}/console/proposals")
        expect(page.locator(".proposals-list > li")).to_have_count(1)
        page.screenshot(path=screenshots / f"proposals-{width}.png", full_page=True)
        page.goto(f"{live_server}/console/pairs/{pair['id']}")
        expect(page.get_by_role("group", name=re.compile("Pulse rating"))).to_contain_text(
            "Mentee 3 (was 5), mentor 6 (was 8)"
        )
        page.screenshot(path=screenshots / f"pair-{width}.png", full_page=True)
        written += [
            f"dashboard-{width}.png",
            f"pairs-{width}.png",
            f"proposals-{width}.png",
            f"pair-{width}.png",
        ]
    for name in written:
        data = (screenshots / name).read_bytes()
        assert data.startswith(PNG_MAGIC)
        assert str(int.from_bytes(data[16:20], "big")) in name  # the IHDR width


def _choice_links(app, api, client) -> tuple[dict[str, str], int]:
    """A mentee's choice page in each of its states (on the open one, a mentor whose place
    went and one who left), and a waiting pair whose mentee was sent a choice."""
    world = World.build(api, mentors=3, mentees=4, mentee_choice=True)
    pairs = [world.new_pair(i) for i in range(4)]
    links: dict[str, str] = {}
    with app.app_context():
        for name, pair in zip(("open", "expired", "chosen", "replaced"), pairs, strict=True):
            offer = choice.send(pair_id=pair["id"], actor=system("a test"))
            links[name] = choice.link_for(offer)
            if name == "expired":
                offer.expires_at = datetime.now(UTC) - timedelta(days=1)
                db.session.commit()
        choice.send(pair_id=pairs[3]["id"], actor=system("a test"))
    chosen = SurveyTaker(client, links["chosen"])
    assert chosen.submit({"mentor_id": str(world.mentors[0]["id"])}).status_code == 303
    api.ok("patch", f"/participants/{world.mentors[1]['id']}", {"active": False})
    links["invalid"] = links["open"][:-4] + "abcd"
    paths = {name: "/" + url.split("://", 1)[1].split("/", 1)[1] for name, url in links.items()}
    return paths, pairs[0]["id"]


def test_the_mentee_choice_pages_pass_axe_at_both_widths(app, live_server, pages, api, client):
    paths, waiting_pair = _choice_links(app, api, client)
    admin = create_staff(app, "admin", "Ada Admin")
    for width in WIDTHS:
        page = pages.open(viewport={"width": width, "height": 900})
        for name, path in paths.items():
            response = page.goto(f"{live_server}{path}")
            assert response is not None and response.status < 500, name
            found = serious_violations(page)
            assert found == [], f"the {name} choice page at {width} px: {found}"
            scroll = page.evaluate("document.documentElement.scrollWidth")
            assert scroll <= width, f"the {name} choice page is {scroll} px wide"
        page.goto(f"{live_server}{paths['open']}")
        expect(page.locator("li.mentor.unavailable")).to_have_count(2)  # taken, and inactive
        page.get_by_role("button", name="Choose this mentor").click()
        expect(page.locator(".error-summary")).to_be_visible()
        assert serious_violations(page) == [], f"the choice page's error at {width} px"
        sign_in(page, live_server, admin)
        page.goto(f"{live_server}/console/pairs/{waiting_pair}")
        expect(page.locator("#choice-status")).to_contain_text("waiting for the mentee")
        assert serious_violations(page) == [], f"a pair with a choice sent at {width} px"
