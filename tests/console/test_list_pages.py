"""The console's lists (pairs, proposals waiting, the inbox) come a page at a time, by key:
a page costs the same few statements however many rows it shows and however deep it is,
and following "Next page" shows every row once, in order."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa

from service.clock import now
from service.console import views
from service.database import db
from service.inbox.models import InboxItem
from tests.helpers import World
from tests.helpers.statements import counting


@pytest.fixture
def counted(app):
    """`with counted() as sent:` the statements the app sends meanwhile."""
    return lambda: counting(app)


def _pairs(api, count: int) -> tuple[World, list[int]]:
    world = World.build(api, mentors=1, mentees=count)
    return world, [world.new_pair(n)["id"] for n in range(count)]


def _proposals(api, pair_ids: list[int]) -> None:
    for pair_id in pair_ids:
        response = api.trigger(pair_id, "withdraw", closure_reason="withdrawn", reason="Moved")
        assert response.status_code == 202, response.get_json()


def _inbox(app, user_id: int, count: int) -> list[int]:
    """`count` items, some urgent, some read; their ids in the inbox's order."""
    moment = now()
    with app.app_context():
        items = [
            InboxItem(
                user_id=user_id,
                kind="notice",
                urgent=n % 4 == 0,
                title=f"Notice {n}",
                created_at=moment - timedelta(hours=n),
                read_at=moment if n % 3 == 0 else None,
            )
            for n in range(count)
        ]
        db.session.add_all(items)
        db.session.commit()
        ordered = sorted(
            items, key=lambda i: (i.read_at is not None, not i.urgent, -i.created_at.timestamp())
        )
        return [item.id for item in ordered]


def _shown_pairs(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'href="/console/pairs/(\d+)"', page)]


def _shown_items(page: str) -> list[str]:
    return re.findall(r"<h2 class=\"card-title\">(?:<span[^>]*>Urgent</span> )?([^<]+)</h2>", page)


def _walk(console, path: str) -> Iterator[str]:
    """Every page of a list, following its "Next page" link."""
    while path:
        page = console.page(path)
        yield page
        found = re.search(r'<a href="([^"]+)" rel="next"', page)
        path = found.group(1).replace("&amp;", "&") if found else ""


@pytest.mark.parametrize(
    "path",
    [
        "/console/pairs",
        "/console/pairs?q=mentee&sort=last_meeting",
        "/console/proposals",
        "/console/proposals?q=withdraw&sort=mentee",
        "/console/proposals?sort=newest",
        "/console/inbox",
        "/console/inbox?q=notice&sort=newest",
        "/console/inbox?sort=pair",
    ],
)
def test_a_console_list_page_sends_as_many_statements_with_twelve_rows_as_with_three(
    app, api, make_staff, console_as, counted, path
):
    staff = make_staff("coordinator")
    console = console_as(staff)
    console.page(path)  # the session is warm: what follows is the page alone
    sent_for = {}
    for count in (3, 12):
        _, pair_ids = _pairs(api, count if count == 3 else count - 3)
        _proposals(api, pair_ids)
        _inbox(app, staff.id, count if count == 3 else count - 3)
        with counted() as sent:
            page = console.page(path)
        sent_for[count] = len(sent)
        shown = _shown_items(page) if "/inbox" in path else _shown_pairs(page)
        assert len(shown) >= count
    assert sent_for[12] == sent_for[3]


def test_the_pairs_list_shows_every_pair_once_a_page_at_a_time(
    api, make_staff, console_as, monkeypatch
):
    monkeypatch.setattr(views, "PER_PAGE", 2)
    _, pair_ids = _pairs(api, 5)
    pages = list(_walk(console_as(make_staff()), "/console/pairs"))
    assert len(pages) == 3
    assert [n for page in pages for n in _shown_pairs(page)] == sorted(pair_ids)


def test_a_page_of_pairs_keeps_the_filters(api, make_staff, console_as, monkeypatch):
    monkeypatch.setattr(views, "PER_PAGE", 1)
    world, pair_ids = _pairs(api, 3)
    _pairs(api, 2)  # in another program
    path = f"/console/pairs?program={world.program['id']}"
    shown = [n for page in _walk(console_as(make_staff()), path) for n in _shown_pairs(page)]
    assert shown == sorted(pair_ids)


def test_the_proposals_waiting_are_shown_once_each_a_page_at_a_time(
    api, make_staff, console_as, monkeypatch
):
    monkeypatch.setattr(views, "PER_PAGE", 2)
    _, pair_ids = _pairs(api, 5)
    _proposals(api, pair_ids)
    pages = list(_walk(console_as(make_staff()), "/console/proposals"))
    assert len(pages) == 3
    assert [n for page in pages for n in dict.fromkeys(_shown_pairs(page))] == pair_ids
    assert all("Approve" in page for page in pages)


def test_the_dashboard_shows_the_oldest_proposals_and_links_to_all_of_them(
    api, make_staff, console_as, monkeypatch
):
    monkeypatch.setattr(views, "DASHBOARD_PROPOSALS", 2)
    _, pair_ids = _pairs(api, 3)
    _proposals(api, pair_ids)
    page = console_as(make_staff()).page("/console/")
    waiting = page[page.index('id="waiting-title"') : page.index('id="risk-title"')]
    assert '<span class="count">3</span>' in waiting
    assert [f"Pair #{n}:" in waiting for n in pair_ids] == [True, True, False]
    assert "All 3 proposals waiting" in waiting


def test_the_inbox_shows_unread_urgent_items_first_and_every_item_once_a_page_at_a_time(
    app, make_staff, console_as, monkeypatch
):
    monkeypatch.setattr(views, "PER_PAGE", 3)
    staff = make_staff("coordinator")
    ordered = _inbox(app, staff.id, 10)
    with app.app_context():
        titles = dict(db.session.execute(sa.select(InboxItem.id, InboxItem.title)).all())
    pages = list(_walk(console_as(staff), "/console/inbox"))
    assert len(pages) == 4
    assert [t for page in pages for t in _shown_items(page)] == [titles[i] for i in ordered]


def test_the_dashboard_sends_as_many_statements_with_three_pairs_at_risk_as_with_one(
    api, make_staff, console_as, counted
):
    world = World.build(api, mentors=3, mentees=3)
    console = console_as(make_staff("coordinator"))
    sent_for = []
    for index in range(3):
        world.drive_to("at_risk", mentee_index=index, mentor_index=index)
        if index == 1:
            continue
        with counted() as sent:
            page = console.page("/console/")
        sent_for.append(len(sent))
        assert f'<span class="count">{index + 1}</span>' in page
    assert sent_for[1] == sent_for[0]
