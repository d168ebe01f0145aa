"""A program's insights in a real browser: a coordinator opens the page of a program with a
long history, narrows the period, and every chart stands beside its data table. At a
desktop's width (1440 px) and a phone's (375 px), with no serious accessibility finding and
nothing wider than the screen."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from service import demo_history
from service.clock import now
from service.insights import risk
from tests.helpers.browser import serious_violations, sign_in
from tests.helpers.staff import create_staff

pytestmark = pytest.mark.slow

WIDTHS = ((1440, 900), (375, 812))


def test_a_coordinator_reads_a_programs_insights(app, live_server, pages, screenshots):
    with app.app_context():
        program = demo_history.load(pairs=200)
        program_id = program.id
    page = pages.open(viewport={"width": 1440, "height": 900})
    sign_in(page, live_server, create_staff(app, name="Cora Ordinator", role="coordinator"))

    page.goto(f"{live_server}/console/programs")
    page.get_by_role("link", name="Insights of Northside Mentoring (insights demo)").click()
    expect(page.locator("h1")).to_have_text("Insights: Northside Mentoring (insights demo)")
    for name in ("Match duration", "Why matches end", "Relationship quality", "Outcomes",
                 "Engagement",
                 "Staff practice", "Fidelity to the program's cadence",
                 "Do our rules work?"):  # fmt: skip
        expect(page.get_by_role("heading", name=name, exact=True)).to_be_visible()
    survival = page.get_by_role("img", name="Share of matches still going", exact=False)
    expect(survival).to_be_visible()
    expect(page.locator("#survival-caption")).to_contain_text("Kaplan-Meier")
    expect(page.locator(".insights-lead").first).to_contain_text(
        "Pairs that met the meeting requirement in most months ended early"
    )
    expect(
        page.get_by_role("region", name="Outcomes: change since the start, by scale")
    ).to_contain_text("Confidence in myself")

    for width, height in WIDTHS:
        page.set_viewport_size({"width": width, "height": height})
        assert serious_violations(page) == []
        overflow = page.evaluate("document.documentElement.scrollWidth")
        assert overflow <= width, f"the insights page is {overflow} px wide on a {width} px screen"
        page.screenshot(path=screenshots / f"insights-{width}.png", full_page=False)
        page.locator("#section-3").scroll_into_view_if_needed()
        page.screenshot(path=screenshots / f"insights-quality-{width}.png", full_page=False)
        outcomes = page.get_by_role("heading", name="Outcomes", exact=True)
        outcomes.evaluate(
            "h => window.scrollTo(0, h.getBoundingClientRect().top + window.scrollY - 72)"
        )
        page.screenshot(path=screenshots / f"insights-outcomes-{width}.png", full_page=False)
        rules = page.get_by_role("heading", name="Do our rules work?")
        # Just below the top bar.
        rules.evaluate(
            "h => window.scrollTo(0, h.getBoundingClientRect().top + window.scrollY - 72)"
        )
        page.screenshot(path=screenshots / f"insights-rules-{width}.png", full_page=False)
        if os.environ.get("PAIRWISE_SECTION_SHOT"):
            page.locator("section", has=rules).screenshot(
                path=Path(os.environ["PAIRWISE_SECTION_SHOT"]) / f"rules-{width}.png"
            )
        page.evaluate("window.scrollTo(0, 0)")

    # A period of the last six months: fewer matches, the filters kept in the exports.
    page.set_viewport_size({"width": 1440, "height": 900})
    since = date.today().replace(day=1).isoformat()
    page.get_by_label("From").fill(since)
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_label("From")).to_have_value(since)
    link = page.get_by_role("link", name="CSV of How long matches last")
    assert f"since={since}" in (link.get_attribute("href") or "")
    assert program_id

    # The funder report of that period: a PDF, downloaded, that names the program and period.
    with page.expect_download() as downloading:
        page.get_by_role("link", name="Funder report (PDF)").click()
    download = downloading.value
    assert download.suggested_filename.startswith(f"northside-insights-demo-funder-report-{since}")
    text = " ".join(page.extract_text() or "" for page in PdfReader(download.path()).pages)
    assert "Northside Mentoring (insights demo)" in text and f"from {since} to" in text


def test_a_coordinator_reads_how_the_closure_risk_model_did(app, live_server, pages, screenshots):
    with app.app_context():
        program = demo_history.load(pairs=300, months=36, seed=1, missed_hazard=0.3)
        risk.fit(program_id=program.id, as_of=now().date())
        flags = risk.score(program_id=program.id, as_of=now().date())
        program_id = program.id
    page = pages.open(viewport={"width": 1440, "height": 900})
    sign_in(page, live_server, create_staff(app, name="Cora Ordinator", role="coordinator"))
    page.goto(f"{live_server}/console/programs/{program_id}/insights")
    section = page.locator("#section-risk")
    expect(section).to_have_text("Risk of ending early")
    expect(page.get_by_role("region", name="Pairs flagged")).to_contain_text(
        f"Pair {flags[0].pair_id}"
    )
    for width, height in WIDTHS:
        page.set_viewport_size({"width": width, "height": height})
        assert serious_violations(page) == []
        overflow = page.evaluate("document.documentElement.scrollWidth")
        assert overflow <= width, f"the insights page is {overflow} px wide on a {width} px screen"
        section.scroll_into_view_if_needed()
        page.screenshot(path=screenshots / f"insights-risk-{width}.png", full_page=False)
