"""Cohort matching in a real browser: a coordinator opens the proposal for a program's waiting
mentees, swaps the mentors of two matches, and commits; every pair is matched by them with its
score and reasons on its record, and each match is announced in the outbox. A mentee's
profile lists the suggested mentors with their reasons. At a desktop's width (1440 px) and a
phone's (375 px), with no serious accessibility finding on any page."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from service.database import db
from service.events.models import OutboxEvent
from tests.helpers.browser import serious_violations, sign_in
from tests.helpers.staff import create_staff

pytestmark = pytest.mark.slow

WIDTHS = ((1440, 900), (375, 812))


def _check(page, screenshots: Path, name: str) -> None:
    """At each width: no serious finding, nothing wider than the screen, a screenshot."""
    for width, height in WIDTHS:
        page.set_viewport_size({"width": width, "height": height})
        assert serious_violations(page) == []
        overflow = page.evaluate("document.documentElement.scrollWidth")
        assert overflow <= width, f"{name} is {overflow} px wide on a {width} px screen"
        page.screenshot(path=screenshots / f"{name}-{width}.png", full_page=True)


def test_a_coordinator_reviews_swaps_and_commits_a_cohort_of_matches(
    app, live_server, pages, world, screenshots
):
    api = world.api
    topics = ["Reading", "Careers", "Chess"]
    for i, topic in enumerate(topics):
        api.ok(
            "patch",
            f"/participants/{world.mentors[i]['id']}",
            {"full_name": f"Mentor {topic}", "goals": [topic], "availability": "Weekends"},
        )
        api.ok(
            "patch",
            f"/participants/{world.mentees[i]['id']}",
            {"full_name": f"Mentee {topic}", "goals": [topic], "availability": "Saturday"},
        )
    pairs = [world.new_pair(i) for i in range(3)]
    program_id = world.program["id"]

    page = pages.open(viewport={"width": 1440, "height": 900})
    sign_in(page, live_server, create_staff(app, name="Cora Ordinator", role="coordinator"))

    page.goto(f"{live_server}/console/participants/{world.mentees[0]['id']}")
    suggestions = page.locator("table.suggestions tbody tr")
    expect(suggestions.first).to_contain_text("Mentor Reading")
    expect(suggestions.first).to_contain_text("Shares 1 goal: reading")
    _check(page, screenshots, "participant-suggestions")

    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(f"{live_server}/console/programs/{program_id}/matching")
    expect(page.locator("h1")).to_have_text("Cohort matching")
    rows = page.locator("table.matching-proposal tbody tr")
    expect(rows).to_have_count(3)
    expect(page.locator(f"#match-{pairs[0]['id']}")).to_contain_text("Mentor Reading")
    expect(page.locator(f"#match-{pairs[0]['id']}")).to_contain_text("Shares 1 goal: reading")
    _check(page, screenshots, "cohort-matching")

    page.set_viewport_size({"width": 1440, "height": 900})
    page.get_by_label("Swap the mentor of Mentee Reading").check()
    page.get_by_label("Swap the mentor of Mentee Careers").check()
    page.get_by_role("button", name="Run again").click()
    expect(page.locator(".flashes .flash")).to_contain_text(
        "Swapped: Mentee Careers with Mentor Reading, Mentee Reading with Mentor Careers."
    )
    expect(page.locator(f"#match-{pairs[0]['id']}")).to_contain_text("Mentor Careers")
    expect(page.locator(f"#match-{pairs[0]['id']}")).to_contain_text("pinned")
    expect(page.locator(f"#match-{pairs[2]['id']}")).to_contain_text("Mentor Chess")

    page.get_by_role("button", name="Commit 3 matches").click()
    expect(page.locator("h1")).to_have_text("Cohort matching: what happened")
    expect(page.locator(".lede")).to_have_text("3 matched.")
    _check(page, screenshots, "cohort-matching-report")

    mentors = {p["id"]: api.ok("get", f"/pairs/{p['id']}")["mentor_id"] for p in pairs}
    assert mentors == {
        pairs[0]["id"]: world.mentors[1]["id"],
        pairs[1]["id"]: world.mentors[0]["id"],
        pairs[2]["id"]: world.mentors[2]["id"],
    }
    for pair in pairs:
        (record,) = api.ok("get", f"/pairs/{pair['id']}/history")["items"]
        assert record["to"] == "matched"
        assert record["actor"]["kind"] == "user"
        assert record["details"]["matching"]["reasons"]
        assert record["reason"].startswith("Cohort matching, score ")
    chess = api.ok("get", f"/pairs/{pairs[2]['id']}/history")["items"][0]
    assert "Shares 1 goal: chess" in chess["details"]["matching"]["reasons"]
    with app.app_context():
        announced = db.session.scalars(
            sa.select(OutboxEvent.pair_id).where(
                OutboxEvent.type == "pair.transitioned",
                OutboxEvent.pair_id.in_([p["id"] for p in pairs]),
            )
        ).all()
    assert sorted(announced) == sorted(p["id"] for p in pairs)
