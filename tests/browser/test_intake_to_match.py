"""From a spreadsheet to matched pairs, in a real browser, with real webhooks: a coordinator
imports a CSV of 50 mentors and 50 mentees with three bad rows (each shown with why, nothing
imported until the corrected file is confirmed), screens a mentor who applied to approved,
brings the imported mentees into cohort matching, swaps the mentors of two matches and
commits. Every mentee with a fitting mentor is matched, each match transition holds its score
and reasons, and a receiver hears one `pair.transitioned` to `matched` per match.

The pages' layout and accessibility at each width are checked by test_import_and_screening.py
and test_cohort_matching.py (here only the cohort page's step for mentees without a pair);
this is the whole journey, end to end."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect
from standardwebhooks.webhooks import Webhook

from service.database import db
from service.pairs.models import Pair, TransitionRecord
from service.participants.models import Participant
from tests.helpers import World
from tests.helpers.browser import serious_violations, sign_in
from tests.helpers.spreadsheets import csv_bytes
from tests.helpers.staff import create_staff

pytestmark = [pytest.mark.slow, pytest.mark.long(25)]

HEADER = ["Full name", "E-mail", "Role", "Language", "Goals", "Availability", "Capacity"]
GOALS = ["reading", "careers", "maths", "music", "coding"]
# No mentor speaks Polish: these two mentees fit no one, and are left waiting with why.
POLISH = {"Mentee 48", "Mentee 49"}


def _rows() -> list[list[object]]:
    mentors = [
        [f"Mentor {i}", f"mentor{i}@example.org", "mentor", "en", GOALS[i % 5], "Saturday", 1]
        for i in range(50)
    ]
    mentees = [
        [
            f"Mentee {i}",
            f"mentee{i}@example.org",
            "mentee",
            "pl" if f"Mentee {i}" in POLISH else "en",
            # Only the mentor screened below shares Mentee 0's goal.
            "chess" if i == 0 else GOALS[i % 5],
            "Saturday mornings",
            "",
        ]
        for i in range(50)
    ]
    return mentors + mentees


BAD = [
    ["No Address", "", "mentor", "en", "reading", "", 1],
    ["Wrong Role", "wrong@example.org", "teacher", "en", "reading", "", 1],
    ["Too Many", "many@example.org", "mentor", "en", "reading", "", 40],
]


def _upload(page, live_server: str, program_name: str, data: bytes) -> None:
    page.goto(f"{live_server}/console/participants/import")
    page.get_by_role("combobox", name="Program").select_option(label=program_name)
    page.set_input_files(
        "#file", files=[{"name": "intake.csv", "mimeType": "text/csv", "buffer": data}]
    )
    page.get_by_role("button", name="Upload and check").click()


def test_a_cohort_goes_from_a_spreadsheet_to_matched_pairs_announced_by_webhooks(
    app, api, live_server, pages, receiver, drain, monkeypatch, screenshots
):
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOW", "127.0.0.1")
    monkeypatch.setitem(app.config, "WEBHOOK_RETRY_SCHEDULE", [0.0] * 7)
    world = World.build(api, mentors=0, mentees=0, name="Northside")
    program_id, program_name = world.program["id"], world.program["name"]
    endpoint = api.ok("post", "/webhooks", {"url": receiver.url}, status=201)
    applicant = api.ok(
        "post",
        "/participants/applications",
        {
            "program_id": program_id,
            "role": "mentor",
            "full_name": "Mentor Chess",
            "email": "chess@example.org",
            "goals": ["chess"],
            "availability": "Saturday",
            "application": "I run the school's chess club.",
        },
        status=201,
    )

    def people() -> dict[str, Participant]:
        with app.app_context():
            return {
                p.full_name: p
                for p in db.session.scalars(
                    sa.select(Participant).where(Participant.program_id == program_id)
                )
            }

    page = pages.open(viewport={"width": 1440, "height": 900})
    coordinator = create_staff(app, name="Cora Ordinator", role="coordinator")
    sign_in(page, live_server, coordinator)

    # The file with three bad rows: each shown with why, and nothing imported.
    rows = _rows()
    _upload(page, live_server, program_name, csv_bytes([HEADER, *rows[:30], *BAD, *rows[30:]]))
    expect(page.locator(".error-summary h2")).to_have_text("3 rows cannot be imported")
    invalid = page.locator("table.invalid-rows tbody tr")
    expect(invalid).to_have_count(3)
    # Each by its line in the file (the header is line 1): the bad rows follow 30 good ones.
    for row, line in enumerate(("32", "33", "34")):
        expect(invalid.nth(row).get_by_role("rowheader")).to_have_text(line)
    expect(invalid.nth(0)).to_contain_text("E-mail address: Missing data for required field.")
    expect(invalid.nth(1)).to_contain_text("Role (mentor, mentee, guardian): Must be one of")
    expect(invalid.nth(2)).to_contain_text("Capacity (mentors): Must be greater than or equal to 1")
    assert list(people()) == ["Mentor Chess"]

    # The corrected file: previewed, still nothing imported, then confirmed.
    _upload(page, live_server, program_name, csv_bytes([HEADER, *rows]))
    expect(page.locator(".import-summary")).to_contain_text("100 new participants")
    assert list(people()) == ["Mentor Chess"]
    page.get_by_role("button", name="Import 100 participants").click()
    expect(page.locator(".import-summary")).to_contain_text("100 created")
    assert len(people()) == 101

    # The mentor who applied is screened and approved.
    page.goto(f"{live_server}/console/applications/{applicant['id']}")
    expect(page.locator("h1")).to_have_text("Screening Mentor Chess")
    page.get_by_role("button", name="Start screening").click()
    expect(page.locator(".flashes")).to_contain_text("Mentor Chess: screening.")
    page.get_by_label("Interviewed on").fill(date.today().isoformat())
    page.get_by_label("References checked on").fill(date.today().isoformat())
    page.get_by_label("Result").select_option("passed")
    page.get_by_label("Expires on").fill((date.today() + timedelta(days=700)).isoformat())
    page.get_by_role("button", name="Save the screening record").click()
    expect(page.locator(".flashes")).to_contain_text("The screening record is saved.")
    page.get_by_role("button", name="Approve").click()
    expect(page.locator(".flashes")).to_contain_text("Mentor Chess: approved.")

    # Cohort matching: the imported mentees join the cohort, then the proposal.
    page.goto(f"{live_server}/console/programs/{program_id}/matching")
    expect(page.locator("h1")).to_have_text("Cohort matching")
    expect(page.locator("form.without-pair")).to_contain_text(
        "50 approved mentees have no pair yet"
    )
    for width, height in ((375, 812), (1440, 900)):
        page.set_viewport_size({"width": width, "height": height})
        assert serious_violations(page) == []
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(path=screenshots / f"cohort-matching-without-pair-{width}.png")
    page.get_by_role("button", name="Add 50 mentees to the cohort").click()
    expect(page.locator(".flashes")).to_contain_text(
        "50 mentees joined the cohort: each has a pair waiting for a mentor."
    )
    expect(page.locator("table.matching-proposal tbody tr")).to_have_count(48)
    unmatched = page.locator("table.unmatched tbody tr")
    expect(unmatched).to_have_count(2)
    for row in range(2):
        expect(unmatched.nth(row)).to_contain_text("No language in common (51 mentors)")
    named = people()
    with app.app_context():
        pair_of = {
            mentee_id: pair_id
            for pair_id, mentee_id in db.session.execute(
                sa.select(Pair.id, Pair.mentee_id).where(Pair.program_id == program_id)
            )
        }
    pairs = {name: pair_of[p.id] for name, p in named.items() if p.role == "mentee"}
    expect(page.locator(f"#match-{pairs['Mentee 0']}")).to_contain_text("Mentor Chess")
    expect(page.locator(f"#match-{pairs['Mentee 0']}")).to_contain_text("Shares 1 goal: chess")

    def proposed_mentor(mentee: str) -> str:
        return page.locator(f"#match-{pairs[mentee]} td[data-label=Mentor]").inner_text()

    first, second = proposed_mentor("Mentee 1"), proposed_mentor("Mentee 2")
    page.get_by_label("Swap the mentor of Mentee 1", exact=True).check()
    page.get_by_label("Swap the mentor of Mentee 2", exact=True).check()
    page.get_by_role("button", name="Run again").click()
    expect(page.locator(".flashes .flash")).to_contain_text(
        f"Swapped: Mentee 1 with {second}, Mentee 2 with {first}. Both are pinned."
    )
    expect(page.locator(f"#match-{pairs['Mentee 1']}")).to_contain_text(second)
    expect(page.locator(f"#match-{pairs['Mentee 2']}")).to_contain_text(first)

    page.get_by_role("button", name="Commit 48 matches").click()
    expect(page.locator("h1")).to_have_text("Cohort matching: what happened")
    expect(page.locator(".lede")).to_have_text("48 matched.")

    # Every mentee with a fitting mentor is matched; the two without one still wait.
    with app.app_context():
        state = dict(
            db.session.execute(
                sa.select(Pair.id, Pair.state).where(Pair.program_id == program_id)
            ).all()
        )
        mentor_of = dict(
            db.session.execute(
                sa.select(Pair.id, Pair.mentor_id).where(Pair.program_id == program_id)
            ).all()
        )
        records = db.session.scalars(
            sa.select(TransitionRecord).where(TransitionRecord.pair_id.in_(pairs.values()))
        ).all()
        records = [(r.pair_id, r.to_state, r.actor, r.reason, r.details) for r in records]
    matched = {pid for name, pid in pairs.items() if name not in POLISH}
    assert {pid for pid, s in state.items() if s == "matched"} == matched
    assert {state[pairs[name]] for name in POLISH} == {"recruited"}
    assert {mentor_of[pairs[name]] for name in POLISH} == {None}
    assert mentor_of[pairs["Mentee 0"]] == named["Mentor Chess"].id
    assert mentor_of[pairs["Mentee 1"]] == named[second].id
    assert mentor_of[pairs["Mentee 2"]] == named[first].id
    # Each mentor has one place: 48 mentees, 48 different mentors.
    assert len({mentor_of[pid] for pid in matched}) == 48

    # Each match transition carries its score and reasons, by the coordinator.
    assert sorted(pid for pid, *_ in records) == sorted(matched)
    for pair_id, to_state, actor, reason, details in records:
        assert to_state == "matched"
        assert actor.kind == "user" and actor.id == str(coordinator.id)
        assert isinstance(details["matching"]["score"], float | int)
        assert details["matching"]["reasons"], pair_id
        assert reason.startswith(f"Cohort matching, score {details['matching']['score']:g}: ")
    chess = next(d for pid, *_, d in records if pid == pairs["Mentee 0"])
    assert "Shares 1 goal: chess" in chess["matching"]["reasons"]

    # The receiver heard each match once, signed.
    drain()
    verifier = Webhook(endpoint["secret"])
    heard: dict[str, dict] = {}
    for request in receiver.requests:
        verifier.verify(request.body, request.headers)
        heard[request.headers["webhook-id"]] = json.loads(request.body)
    announced = [
        event["data"]["pair"]["id"]
        for event in heard.values()
        if event["type"] == "pair.transitioned" and event["data"]["transition"]["to"] == "matched"
    ]
    assert sorted(announced) == sorted(matched)
    created = [e["data"]["pair"]["id"] for e in heard.values() if e["type"] == "pair.created"]
    assert sorted(created) == sorted(pairs.values())
