"""The proposals waiting, as a coordinator works through them: found by a name, an e-mail,
what is proposed or why, sorted (oldest waiting first, newest, by pair, by what is
proposed, by the mentee's name), a page at a time in any order, and downloaded as shown."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta

import openpyxl
import pytest

from service.console import views
from service.console.proposal_list import ORDERS
from tests.helpers import World


@pytest.fixture
def console(make_staff, console_as):
    return console_as(make_staff("coordinator"))


def _shown(page: str) -> list[int]:
    """The pairs of the proposals on the page, in its order."""
    return [
        int(n) for n in re.findall(r'<h2 class="card-title"><a href="/console/pairs/(\d+)"', page)
    ]


def _walk(console, path: str) -> list[int]:
    """The pairs of every page of the list, following its "Next page" link."""
    shown: list[int] = []
    while path:
        page = console.page(path)
        shown += _shown(page)
        found = re.search(r'<a href="([^"]+)" rel="next"', page)
        path = found.group(1).replace("&amp;", "&") if found else ""
    return shown


def _withdraw(api, pair: dict, reason: str = "Moved") -> dict:
    response = api.trigger(pair["id"], "withdraw", closure_reason="withdrawn", reason=reason)
    assert response.status_code == 202, response.get_json()
    return response.get_json()["proposal"]


def _close(api, pair: dict) -> dict:
    final = (date.today() + timedelta(days=10)).isoformat()
    response = api.trigger(pair["id"], "begin_closure", final_session_on=final)
    assert response.status_code == 202, response.get_json()
    return response.get_json()["proposal"]


def _named(api, names: list[str]) -> tuple[World, list[dict]]:
    """A program whose mentees have these names, a pair each, in this order."""
    world = World.build(api, mentors=1, mentees=0)
    for name in names:
        world.mentees.append(world.add_participant("mentee", trained=True, full_name=name))
    return world, [world.new_pair(n) for n in range(len(names))]


def test_a_search_finds_a_proposal_by_its_mentees_email_whatever_the_case(api, console):
    world = World.build(api)
    wanted, other = world.new_pair(1), world.new_pair(0)
    _withdraw(api, wanted)
    _withdraw(api, other)
    email = world.mentees[1]["email"].upper()
    assert _shown(console.page(f"/console/proposals?q={email}")) == [wanted["id"]]


def test_a_search_finds_a_proposal_by_the_words_of_its_reason(api, console):
    world = World.build(api)
    wanted, other = world.new_pair(0), world.new_pair(1)
    _withdraw(api, wanted, reason="The family moved abroad")
    _withdraw(api, other, reason="Lost interest")
    assert _shown(console.page("/console/proposals?q=ABROAD")) == [wanted["id"]]


def test_a_search_finds_a_proposal_by_what_is_proposed_in_plain_words(api, console):
    world = World.build(api)
    closing = world.drive_to("active", mentee_index=0, mentor_index=0)
    leaving = world.new_pair(1)
    _close(api, closing)
    _withdraw(api, leaving)
    assert _shown(console.page("/console/proposals?q=begin+closure")) == [closing["id"]]


def test_a_search_that_matches_no_proposal_says_so(api, console):
    _withdraw(api, World.build(api).new_pair())
    page = console.page("/console/proposals?q=nobody-by-this-name")
    assert _shown(page) == []
    assert "No proposal waiting matches." in page


def test_a_search_longer_than_allowed_stays_on_the_page_with_why(console):
    response = console.get("/console/proposals?q=" + "x" * 201)
    assert response.status_code == 422
    assert "Search: at most 200 characters." in response.get_data(as_text=True)


def test_an_unknown_order_is_refused_with_why(console):
    response = console.get("/console/proposals?sort=sideways")
    assert response.status_code == 422
    assert "Choose an order." in response.get_data(as_text=True)


def test_the_oldest_proposal_waiting_comes_first(api, console):
    world = World.build(api)
    pairs = [world.new_pair(n) for n in range(3)]
    for index in (2, 0, 1):
        _withdraw(api, pairs[index])
    assert _shown(console.page("/console/proposals")) == [pairs[n]["id"] for n in (2, 0, 1)]


def test_sorted_newest_first_the_last_filed_comes_first(api, console):
    world = World.build(api)
    pairs = [world.new_pair(n) for n in range(3)]
    for index in (2, 0, 1):
        _withdraw(api, pairs[index])
    shown = _shown(console.page("/console/proposals?sort=newest"))
    assert shown == [pairs[n]["id"] for n in (1, 0, 2)]


def test_sorted_by_pair_the_lowest_pair_number_comes_first(api, console):
    world = World.build(api)
    pairs = [world.new_pair(n) for n in range(3)]
    for index in (2, 0, 1):
        _withdraw(api, pairs[index])
    assert _shown(console.page("/console/proposals?sort=pair")) == [p["id"] for p in pairs]


def test_sorted_by_what_is_proposed_closures_come_before_withdrawals(api, console):
    world = World.build(api)
    leaving = world.new_pair(0)
    closing = world.drive_to("active", mentee_index=1, mentor_index=1)
    _withdraw(api, leaving)
    _close(api, closing)
    shown = _shown(console.page("/console/proposals?sort=trigger"))
    assert shown == [closing["id"], leaving["id"]]


def test_sorted_by_the_mentees_name_whatever_the_case(api, console):
    _, pairs = _named(api, ["zoë Quinn", "Adam Berg", "mia Lund"])
    for pair in pairs:
        _withdraw(api, pair)
    shown = _shown(console.page("/console/proposals?sort=mentee"))
    assert shown == [pairs[n]["id"] for n in (1, 2, 0)]


@pytest.mark.parametrize("order", ORDERS)
def test_following_next_page_under_each_order_shows_every_proposal_once_in_that_order(
    api, console, monkeypatch, order
):
    # Names and a filing order that disagree with the pair numbers; one trigger, so that
    # the order by it is all ties, settled by the filing order.
    _, pairs = _named(api, ["Eve", "Bo", "Dan", "Al", "Cy"])
    for index in (3, 0, 4, 1, 2):
        _withdraw(api, pairs[index])
    whole = _shown(console.page(f"/console/proposals?sort={order}"))
    assert sorted(whole) == sorted(p["id"] for p in pairs)
    monkeypatch.setattr(views, "PER_PAGE", 2)
    assert _walk(console, f"/console/proposals?sort={order}") == whole


def test_the_next_page_carries_on_after_a_proposal_decided_meanwhile(api, console, monkeypatch):
    monkeypatch.setattr(views, "PER_PAGE", 2)
    _, pairs = _named(api, ["Cy", "Al", "Bo", "Di"])
    filed = [_withdraw(api, pair) for pair in pairs]
    page = console.page("/console/proposals?sort=mentee")
    assert _shown(page) == [pairs[1]["id"], pairs[2]["id"]]
    following = re.search(r'<a href="([^"]+)" rel="next"', page).group(1).replace("&amp;", "&")
    api.ok("post", f"/proposals/{filed[2]['id']}/reject", {"reason": "No"})
    assert _shown(console.page(following)) == [pairs[0]["id"], pairs[3]["id"]]


def test_support_staff_see_only_the_proposals_of_the_pairs_they_support(
    api, make_staff, console_as
):
    world = World.build(api)
    theirs, other = world.new_pair(0), world.new_pair(1)
    _withdraw(api, theirs)
    _withdraw(api, other)
    support, coordinator = make_staff("support"), make_staff("coordinator")
    api.colleague("admin").ok("patch", f"/pairs/{theirs['id']}", {"coordinator_id": coordinator.id})
    console_as(coordinator).post(
        f"/console/pairs/{theirs['id']}/staff",
        data={"coordinator_id": str(coordinator.id), "support": [str(support.id)]},
    )
    assert _shown(console_as(support).page("/console/proposals")) == [theirs["id"]]


def test_a_place_after_a_proposal_support_staff_cannot_see_starts_the_list_over(
    api, make_staff, console_as
):
    _, pairs = _named(api, ["Ada", "Bea", "Cy"])
    proposals = [_withdraw(api, pair) for pair in pairs]
    support, coordinator = make_staff("support"), make_staff("coordinator")
    for pair in (pairs[0], pairs[2]):
        api.colleague("admin").ok(
            "patch", f"/pairs/{pair['id']}", {"coordinator_id": coordinator.id}
        )
        console_as(coordinator).post(
            f"/console/pairs/{pair['id']}/staff",
            data={"coordinator_id": str(coordinator.id), "support": [str(support.id)]},
        )
    # Bea's proposal is not theirs: where her name stands in the order must not show.
    page = console_as(support).page(f"/console/proposals?sort=mentee&after={proposals[1]['id']}")
    assert _shown(page) == [pairs[0]["id"], pairs[2]["id"]]


def _csv(response) -> list[dict[str, str]]:
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))


def test_the_csv_download_holds_the_searched_proposals_in_the_chosen_order(
    api, console, monkeypatch
):
    monkeypatch.setattr(views, "PER_PAGE", 1)
    world = World.build(api)
    pairs = [world.new_pair(n) for n in range(3)]
    for index, reason in ((0, "Moved away"), (1, "Lost interest"), (2, "Moved schools")):
        _withdraw(api, pairs[index], reason=reason)
    rows = _csv(console.get("/console/proposals/export.csv?q=moved&sort=newest"))
    assert [int(row["Pair"]) for row in rows] == [pairs[2]["id"], pairs[0]["id"]]
    assert [row["Reason"] for row in rows] == ["Moved schools", "Moved away"]


def test_the_xlsx_download_holds_the_searched_proposals_with_the_pairs_names(api, console):
    _, pairs = _named(api, ["Ana Silva", "Ben Ode"])
    for pair in pairs:
        _withdraw(api, pair)
    response = console.get("/console/proposals/export.xlsx?q=silva")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.get_data())).active
    header, *rows = list(sheet.iter_rows(values_only=True))
    assert [row[header.index("Pair")] for row in rows] == [pairs[0]["id"]]
    assert rows[0][header.index("Mentee & mentor")] == "Ana Silva & no mentor yet"


def test_a_download_with_a_bad_search_stays_on_the_list_with_why(console):
    response = console.get("/console/proposals/export.csv?q=" + "x" * 201)
    assert response.status_code == 422
    assert "Search: at most 200 characters." in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "mark", ["\u00b2", "\u0661\u0662", "\U0001d7d9"], ids=["superscript", "arabic-indic", "math"]
)
def test_a_place_in_digits_other_than_ascii_names_no_proposal_and_the_list_starts_over(
    console, mark
):
    # str.isdigit() takes these; int() refuses some of them: the list must not answer 500.
    assert console.get(f"/console/proposals?after={mark}").status_code == 200
    assert console.get(f"/console/inbox?after={mark}&group={mark}").status_code == 200
