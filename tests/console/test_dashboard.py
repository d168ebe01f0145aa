"""The dashboard at a glance, and deciding proposals from it."""

from __future__ import annotations

import html
import re
import threading
from datetime import date, timedelta

import httpx
import pytest

from tests.helpers.forms import csrf_token_in
from tests.helpers.staff import PASSWORD


def _propose_closure(api, pair_id: int) -> dict:
    final = (date.today() + timedelta(days=10)).isoformat()
    response = api.trigger(pair_id, "begin_closure", final_session_on=final)
    assert response.status_code == 202, response.get_json()
    return response.get_json()["proposal"]


def _flashes(page: str) -> list[str]:
    return [html.unescape(m) for m in re.findall(r'<p class="flash[^"]*">([^<]+)</p>', page)]


def _count_cell(page: str, state: str) -> str:
    match = re.search(rf'>(\d+)<span class="visually-hidden"> {state}</span>', page)
    assert match, f"no count for {state}"
    return match.group(1)


def test_the_dashboard_counts_pairs_in_each_state(world, make_staff, console_as):
    world.drive_to("active")
    world.drive_to("active", mentee_index=1, mentor_index=1)
    world.drive_to("at_risk", mentee_index=2, mentor_index=2)

    page = console_as(make_staff()).page("/console/")

    assert _count_cell(page, "active") == "2"
    assert _count_cell(page, "at risk") == "1"
    assert _count_cell(page, "closed") == "0"
    assert "<svg" in page


def test_at_risk_pairs_show_their_signals_and_how_long(world, make_staff, console_as):
    pair = world.drive_to("at_risk")

    page = console_as(make_staff()).page("/console/")
    section = page[page.index('id="risk-title"') : page.index('id="overdue-title"')]

    assert f"#{pair['id']}" in section
    assert "Meetings are cancelled or missed" in section
    assert "0 days" in section


def test_a_waiting_proposal_is_approved_from_the_dashboard(api, world, make_staff, console_as):
    pair = world.drive_to("active")
    proposal = _propose_closure(api, pair["id"])
    console = console_as(make_staff(name="Cora Ordinator"))
    assert f"Pair #{pair['id']}" in console.page("/console/")

    response = console.post(
        f"/console/proposals/{proposal['id']}/decide",
        data={"decision": "approve", "reason": "End of the school year", "back": "/console/"},
    )

    assert response.headers["Location"] == "/console/"
    assert _flashes(console.page("/console/")) == [f"Approved: pair #{pair['id']} is now closing."]
    assert world.pair(pair["id"])["state"] == "closing"
    decided = api.ok("get", f"/proposals/{proposal['id']}")
    assert decided["status"] == "approved"
    assert decided["decided_by"]["label"] == "Cora Ordinator"


def test_rejecting_needs_a_reason_and_changes_nothing_without_one(
    api, world, make_staff, console_as
):
    pair = world.drive_to("active")
    proposal = _propose_closure(api, pair["id"])
    console = console_as(make_staff())

    console.post(f"/console/proposals/{proposal['id']}/decide", data={"decision": "reject"})

    assert _flashes(console.flashes()) == ["Say why you reject it; the reason is recorded."]
    assert api.ok("get", f"/proposals/{proposal['id']}")["status"] == "pending"
    assert world.pair(pair["id"])["state"] == "active"


def test_support_staff_see_proposals_but_cannot_decide_them(api, world, make_staff, console_as):
    pair = world.drive_to("active")
    proposal = _propose_closure(api, pair["id"])
    support = console_as(make_staff("support"))

    response = support.post(
        f"/console/proposals/{proposal['id']}/decide", data={"decision": "approve"}
    )

    assert response.status_code == 403
    assert api.ok("get", f"/proposals/{proposal['id']}")["status"] == "pending"


def test_the_dashboard_filters_by_program(api, world, make_staff, console_as):
    from tests.helpers import World

    here = world.drive_to("active")
    elsewhere_world = World.build(api, mentors=1, mentees=1)
    elsewhere = elsewhere_world.drive_to("active")
    _propose_closure(api, here["id"])
    _propose_closure(api, elsewhere["id"])

    page = console_as(make_staff()).page(f"/console/?program={world.program['id']}")
    waiting = page[page.index('id="waiting-title"') : page.index('id="risk-title"')]

    assert f"Pair #{here['id']}:" in waiting
    assert f"Pair #{elsewhere['id']}:" not in waiting


def test_the_dashboard_filters_by_coordinator(api, world, make_staff, console_as):
    cora, colin = make_staff(name="Cora"), make_staff(name="Colin")
    mine = world.drive_to("at_risk")
    theirs = world.drive_to("at_risk", mentee_index=1, mentor_index=1)
    api.colleague("admin").ok("patch", f"/pairs/{mine['id']}", {"coordinator_id": cora.id})
    api.colleague("admin").ok("patch", f"/pairs/{theirs['id']}", {"coordinator_id": colin.id})

    page = console_as(cora).page(f"/console/?coordinator={cora.id}")

    assert _count_cell(page, "at risk") == "1"
    section = page[page.index('id="risk-title"') : page.index('id="overdue-title"')]
    assert f"#{mine['id']} " in section
    assert f"#{theirs['id']} " not in section


@pytest.mark.slow
def test_two_coordinators_approving_at_once_apply_it_once_and_the_loser_sees_who_won(
    api, world, make_staff, live_server
):
    pair = world.drive_to("active")
    proposal = _propose_closure(api, pair["id"])
    coordinators = [make_staff(name="Cora Ordinator"), make_staff(name="Colin Colleague")]
    sessions = []
    for staff in coordinators:
        client = httpx.Client(base_url=live_server, follow_redirects=True, timeout=30)
        login = client.get("/console/login").text
        token = csrf_token_in(login, "the login page")
        signed_in = client.post(
            "/console/login",
            data={"csrf_token": token, "email": staff.email, "password": PASSWORD},
        )
        assert signed_in.url.path == "/console/"
        sessions.append((client, token))
    start = threading.Barrier(len(sessions))
    pages: list[str] = [""] * len(sessions)

    def approve(index: int) -> None:
        client, token = sessions[index]
        start.wait()
        pages[index] = client.post(
            f"/console/proposals/{proposal['id']}/decide",
            data={"csrf_token": token, "decision": "approve", "back": "/console/"},
        ).text

    threads = [threading.Thread(target=approve, args=(i,)) for i in range(len(sessions))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    messages = sorted(message for page in pages for message in _flashes(page))
    winner = api.ok("get", f"/proposals/{proposal['id']}")["decided_by"]["label"]
    assert messages[0] == f"Approved: pair #{pair['id']} is now closing."
    assert re.fullmatch(
        rf"Proposal {proposal['id']} was already approved by {winner} at [\d-]+ [\d:]+ UTC\.",
        messages[1],
    )
    history = api.ok("get", f"/pairs/{pair['id']}/history")["items"]
    assert [record["trigger"] for record in history].count("begin_closure") == 1
