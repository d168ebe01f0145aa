"""A coordinator's inbox, as they work through it: found by what a notice says or by its
pair's people, unread only, sorted (unread and urgent first, newest, oldest, by pair), a page
at a time in any order, and downloaded as shown; nobody else's notices, ever."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import openpyxl
import pytest

from service.clock import now
from service.console import views
from service.console.inbox_list import ORDERS
from service.database import db
from service.inbox.models import InboxItem
from tests.helpers import World


@pytest.fixture
def cora(make_staff):
    return make_staff("coordinator")


@pytest.fixture
def console(console_as, cora):
    return console_as(cora)


def _add(app, user_id: int, *notices: dict) -> list[int]:
    """Inbox items for the user, the first the newest, an hour apart; their ids."""
    moment = now()
    with app.app_context():
        items = [
            InboxItem(
                user_id=user_id,
                kind="notice",
                created_at=moment - timedelta(hours=n),
                **{"title": f"Notice {n}", **notice},
            )
            for n, notice in enumerate(notices)
        ]
        db.session.add_all(items)
        db.session.commit()
        return [item.id for item in items]


def _titles(page: str) -> list[str]:
    return re.findall(
        r'<h2 class="card-title">(?:<span[^>]*>Urgent</span> )?(?:<a [^>]*>)?([^<]+)', page
    )


def _walk(console, path: str) -> list[str]:
    shown: list[str] = []
    while path:
        page = console.page(path)
        shown += _titles(page)
        found = re.search(r'<a href="([^"]+)" rel="next"', page)
        path = found.group(1).replace("&amp;", "&") if found else ""
    return shown


def test_a_search_finds_a_notice_by_a_word_of_its_text_whatever_the_case(app, console, cora):
    _add(app, cora.id, {"title": "Check-in overdue"}, {"title": "A new match", "body": "School"})
    assert _titles(console.page("/console/inbox?q=SCHOOL")) == ["A new match"]


def test_a_search_finds_a_notice_by_its_pairs_mentor_email(app, api, console, cora):
    world = World.build(api)
    wanted = world.drive_to("matched", mentee_index=0, mentor_index=1)
    other = world.drive_to("matched", mentee_index=1, mentor_index=2)
    _add(
        app,
        cora.id,
        {"title": "About the first", "pair_id": wanted["id"]},
        {"title": "About the second", "pair_id": other["id"]},
    )
    email = world.mentors[1]["email"]
    assert _titles(console.page(f"/console/inbox?q={email}")) == ["About the first"]


def test_a_notice_about_a_pair_names_its_mentee_and_mentor(app, api, console, cora):
    world = World.build(api)
    pair = world.drive_to("matched")
    _add(app, cora.id, {"title": "A new match", "pair_id": pair["id"]})
    names = f"{world.mentees[0]['full_name']} &amp; {world.mentors[0]['full_name']}"
    assert f"Pair #{pair['id']}: {names}" in console.page("/console/inbox")


def test_unread_only_leaves_out_what_was_read(app, console, cora):
    _add(app, cora.id, {"title": "Read already", "read_at": now()}, {"title": "Not yet read"})
    assert _titles(console.page("/console/inbox?unread=y")) == ["Not yet read"]


def test_a_search_that_matches_nothing_says_so(app, console, cora):
    _add(app, cora.id, {"title": "A new match"})
    page = console.page("/console/inbox?q=nothing-like-this")
    assert _titles(page) == []
    assert "No notice matches." in page


def test_a_search_longer_than_allowed_stays_on_the_page_with_why(console):
    response = console.get("/console/inbox?q=" + "x" * 201)
    assert response.status_code == 422
    assert "Search: at most 200 characters." in response.get_data(as_text=True)


def test_by_default_unread_urgent_notices_come_first(app, console, cora):
    _add(
        app,
        cora.id,
        {"title": "Newest"},
        {"title": "Urgent", "urgent": True},
        {"title": "Read", "read_at": now()},
    )
    assert _titles(console.page("/console/inbox")) == ["Urgent", "Newest", "Read"]


def test_sorted_newest_first_read_and_urgent_notices_take_their_place_in_time(app, console, cora):
    _add(
        app,
        cora.id,
        {"title": "Newest", "read_at": now()},
        {"title": "Middle", "urgent": True},
        {"title": "Oldest"},
    )
    assert _titles(console.page("/console/inbox?sort=newest")) == ["Newest", "Middle", "Oldest"]


def test_sorted_oldest_first_the_first_notice_comes_first(app, console, cora):
    _add(
        app, cora.id, {"title": "Newest"}, {"title": "Middle", "urgent": True}, {"title": "Oldest"}
    )
    assert _titles(console.page("/console/inbox?sort=oldest")) == ["Oldest", "Middle", "Newest"]


def test_sorted_by_pair_notices_about_no_pair_come_last(app, api, console, cora):
    world = World.build(api)
    first, second = world.new_pair(0), world.new_pair(1)
    _add(
        app,
        cora.id,
        {"title": "About no pair"},
        {"title": "Second, newer", "pair_id": second["id"]},
        {"title": "First", "pair_id": first["id"]},
        {"title": "Second, older", "pair_id": second["id"]},
    )
    shown = _titles(console.page("/console/inbox?sort=pair"))
    assert shown == ["First", "Second, newer", "Second, older", "About no pair"]


@pytest.mark.parametrize("order", ORDERS)
def test_following_next_page_under_each_order_shows_every_notice_once_in_that_order(
    app, api, console, cora, monkeypatch, order
):
    world = World.build(api)
    pairs = [world.new_pair(n)["id"] for n in range(3)]
    _add(
        app,
        cora.id,
        *(
            {
                "title": f"Notice {n}",
                "urgent": n % 4 == 0,
                "read_at": now() if n % 3 == 0 else None,
                "pair_id": pairs[n % 4] if n % 4 < 3 else None,
            }
            for n in range(10)
        ),
    )
    whole = _titles(console.page(f"/console/inbox?sort={order}"))
    assert sorted(whole) == sorted(f"Notice {n}" for n in range(10))
    monkeypatch.setattr(views, "PER_PAGE", 3)
    assert _walk(console, f"/console/inbox?sort={order}") == whole


def test_reading_the_last_notice_of_a_page_does_not_skip_the_unread_ones_after_it(
    app, console, cora, monkeypatch
):
    _add(app, cora.id, *({"title": f"Notice {n}"} for n in range(4)), {"read_at": now()})
    monkeypatch.setattr(views, "PER_PAGE", 2)
    first = console.page("/console/inbox")
    assert _titles(first) == ["Notice 0", "Notice 1"]
    following = re.search(r'<a href="([^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    with app.app_context():
        db.session.get(InboxItem, _ids_titled(app, "Notice 1")[0]).read_at = now()
        db.session.commit()
    assert _titles(console.page(following)) == ["Notice 2", "Notice 3"]


def test_unread_only_after_a_notice_read_since_shows_the_end_of_the_list(app, console, cora):
    (read,) = _add(app, cora.id, {"title": "Read", "read_at": now()})
    response = console.get(f"/console/inbox?unread=y&after={read}")
    assert response.status_code == 200
    assert _titles(response.get_data(as_text=True)) == []


def _ids_titled(app, title: str) -> list[int]:
    with app.app_context():
        return [
            item.id
            for item in db.session.scalars(db.select(InboxItem).where(InboxItem.title == title))
        ]


def test_a_page_after_someone_elses_notice_starts_from_the_first(app, make_staff, console, cora):
    (theirs,) = _add(app, make_staff().id, {"title": "Not for Cora"})
    _add(app, cora.id, {"title": "For Cora"})
    assert _titles(console.page(f"/console/inbox?after={theirs}&sort=newest")) == ["For Cora"]


def test_marking_a_notice_read_comes_back_to_the_list_as_it_was_shown(app, console, cora):
    (item,) = _add(app, cora.id, {"title": "A new match"})
    response = console.post("/console/inbox?q=match&sort=oldest", data={"item": str(item)})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/console/inbox?q=match&sort=oldest")
    with app.app_context():
        assert db.session.get(InboxItem, item).read_at is not None


def _csv(response) -> list[dict[str, str]]:
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))


def test_the_csv_download_holds_the_searched_notices_in_the_chosen_order(
    app, console, cora, monkeypatch
):
    monkeypatch.setattr(views, "PER_PAGE", 1)
    _add(
        app,
        cora.id,
        {"title": "Check-in overdue: Ana"},
        {"title": "A new match"},
        {"title": "Check-in overdue: Ben", "urgent": True},
    )
    rows = _csv(console.get("/console/inbox/export.csv?q=overdue&sort=oldest"))
    assert [row["Title"] for row in rows] == ["Check-in overdue: Ben", "Check-in overdue: Ana"]


def test_the_xlsx_download_holds_the_notices_as_the_list_shows_them(app, console, cora):
    _add(app, cora.id, {"title": "Unread"}, {"title": "Read", "read_at": now()})
    response = console.get("/console/inbox/export.xlsx?unread=y")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.get_data())).active
    header, *rows = list(sheet.iter_rows(values_only=True))
    assert [row[header.index("Title")] for row in rows] == ["Unread"]


def test_the_download_links_each_notice_to_its_page_once(app, console, cora):
    _add(app, cora.id, {"title": "A new match", "link": "https://pairwise.test/console/pairs/7"})
    (row,) = _csv(console.get("/console/inbox/export.csv"))
    assert row["Link"] == "https://pairwise.test/console/pairs/7"
