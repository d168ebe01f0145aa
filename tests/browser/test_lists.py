"""The pairs list and the proposals in a real browser: a coordinator searches and sorts the
pairs, downloads the list as CSV and as an Excel workbook, approves three proposals at once,
and searches, sorts, saves as a view and downloads the proposals; at a desktop's width and a
phone's, with no serious accessibility finding."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from playwright.sync_api import expect

from tests.helpers.browser import serious_violations, sign_in
from tests.helpers.staff import create_staff

pytestmark = pytest.mark.slow


def _fits(page, width: int) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth")
    assert overflow <= width, f"the page is {overflow} px wide on a {width} px screen"


def _download(page, link: str, suffix: str):
    with page.expect_download() as download:
        page.get_by_role("link", name=link).click()
    assert download.value.suggested_filename.endswith(suffix)
    return download.value.path()


def _csv_rows(page) -> list[dict[str, str]]:
    """The list as its CSV link downloads it."""
    text = _download(page, "CSV", ".csv").read_text(encoding="utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def _xlsx_rows(page) -> list[tuple]:
    """The list as its Excel link downloads it: the header row, then the rows."""
    downloaded = _download(page, "Excel (XLSX)", ".xlsx").read_bytes()
    workbook = openpyxl.load_workbook(io.BytesIO(downloaded))
    return list(workbook.active.iter_rows(values_only=True))


@pytest.mark.parametrize("width", [1440, 375])
def test_a_coordinator_searches_sorts_and_downloads_the_pairs_list(
    app, live_server, pages, world, width
):
    wanted = world.drive_to("active", mentee_index=1, mentor_index=1)
    world.drive_to("active", mentee_index=0, mentor_index=0)
    world.log_meeting(wanted["id"], occurred_at="2026-11-02T16:00:00+00:00")
    mentor = world.mentors[1]
    page = pages.open(viewport={"width": width, "height": 900}, accept_downloads=True)
    sign_in(page, live_server, create_staff(app, name="Cora Ordinator"))
    page.goto(f"{live_server}/console/pairs")
    page.get_by_role("searchbox", name="Search").fill(mentor["email"].upper())
    page.get_by_label("Sort by").select_option("last_meeting")
    page.get_by_role("button", name="Show").click()
    rows = page.locator("table.pairs-list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(mentor["full_name"])
    expect(rows.first).to_contain_text("02 Nov 2026")
    assert serious_violations(page) == []
    _fits(page, width)

    (row,) = _csv_rows(page)
    assert (int(row["Pair"]), row["Mentor e-mail"]) == (wanted["id"], mentor["email"])

    _, *cells = _xlsx_rows(page)
    assert [line[0] for line in cells] == [wanted["id"]]


@pytest.mark.parametrize("width", [1440, 375])
def test_a_coordinator_approves_three_proposals_at_once(app, live_server, pages, api, world, width):
    filed = []
    for index in range(3):
        pair = world.new_pair(index)
        response = api.trigger(pair["id"], "withdraw", closure_reason="withdrawn", reason="Moved")
        filed.append(response.get_json()["proposal"])
    page = pages.open(viewport={"width": width, "height": 900})
    sign_in(page, live_server, create_staff(app, name="Cora Ordinator"))
    page.goto(f"{live_server}/console/proposals")
    for proposal in filed:
        page.get_by_label(f"Choose proposal {proposal['id']} ").check()
    page.get_by_text("Decide several at once").click()
    page.get_by_label("Reason (needed to reject)", exact=False).first.fill("Case review")
    page.get_by_role("button", name="Review the decision").click()
    expect(page.locator("h1")).to_have_text("Approve 3 proposals?")
    assert serious_violations(page) == []
    _fits(page, width)
    page.get_by_role("button", name="Approve 3").click()
    expect(page.locator("h1")).to_have_text("3 of 3 approved")
    expect(page.locator("tbody tr")).to_have_count(3)
    assert serious_violations(page) == []
    _fits(page, width)
    for proposal in filed:
        assert api.ok("get", f"/pairs/{proposal['pair_id']}")["state"] == "closed"


@pytest.mark.parametrize("width", [1440, 375])
def test_a_coordinator_searches_sorts_saves_and_downloads_the_proposals(
    app, live_server, pages, api, world, width
):
    pairs = [world.new_pair(index) for index in range(3)]
    for pair, reason in zip(pairs, ("Moved away", "Lost interest", "Moved schools"), strict=True):
        response = api.trigger(pair["id"], "withdraw", closure_reason="withdrawn", reason=reason)
        assert response.status_code == 202, response.get_json()
    wanted = [pairs[2]["id"], pairs[0]["id"]]  # those that moved, the newest first
    page = pages.open(viewport={"width": width, "height": 900}, accept_downloads=True)
    sign_in(page, live_server, create_staff(app, name="Cora Ordinator"))
    page.goto(f"{live_server}/console/proposals")
    expect(page.locator(".proposals-list > li")).to_have_count(3)
    page.get_by_role("searchbox", name="Search").fill("MOVED")
    page.get_by_label("Sort by").select_option("newest")
    page.get_by_role("button", name="Show").click()
    cards = page.locator(".proposals-list > li")
    expect(cards).to_have_count(2)
    expect(cards.first).to_contain_text("Moved schools")
    expect(cards.nth(1)).to_contain_text("Moved away")
    assert "q=MOVED" in page.url and "sort=newest" in page.url
    assert serious_violations(page) == []
    _fits(page, width)

    page.get_by_text("Save this view").click()
    page.get_by_label("Name it").fill("Moves")
    page.get_by_role("button", name="Save", exact=True).click()
    views = page.get_by_role("navigation", name="Your saved views")
    expect(views.get_by_role("link", name="Moves")).to_have_attribute("aria-current", "page")
    expect(page.locator(".proposals-list > li")).to_have_count(2)
    page.goto(f"{live_server}/console/proposals")
    expect(page.locator(".proposals-list > li")).to_have_count(3)
    page.get_by_role("navigation", name="Your saved views").get_by_role(
        "link", name="Moves"
    ).click()
    expect(page.locator(".proposals-list > li")).to_have_count(2)
    assert serious_violations(page) == []
    _fits(page, width)

    rows = _csv_rows(page)
    assert [int(row["Pair"]) for row in rows] == wanted
    assert [row["Reason"] for row in rows] == ["Moved schools", "Moved away"]

    header, *cells = _xlsx_rows(page)
    assert [line[header.index("Pair")] for line in cells] == wanted
