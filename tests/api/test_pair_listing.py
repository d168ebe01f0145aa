"""GET /api/v1/pairs by key: every pair once, in id order, with no count on any page."""

from __future__ import annotations

import sqlalchemy as sa

from service.database import db


def _walk(api, path: str) -> tuple[list[dict], list[dict]]:
    """Follow `links.next` from `path` to the end: the items, and each page's envelope."""
    items, pages = [], []
    while path:
        page = api.ok("get", path.removeprefix("/api/v1"))
        items += page["items"]
        pages.append(page)
        path = page["links"]["next"]
    return items, pages


def test_a_keyset_listing_gives_every_pair_once_in_id_order(api, world):
    made = [world.new_pair(i)["id"] for i in range(3)]
    items, pages = _walk(api, f"/pairs?program_id={world.program['id']}&per_page=2&after=0")
    assert [pair["id"] for pair in items] == made
    assert len(pages) == 2
    assert pages[0]["links"]["next"] == (
        f"/api/v1/pairs?program_id={world.program['id']}&per_page=2&after={made[1]}"
    )


def test_a_keyset_page_counts_nothing(api, world, app):
    for i in range(3):
        world.new_pair(i)
    sent: list[str] = []
    with app.app_context():
        engine = db.engine

    def spy(connection, cursor, statement, *rest) -> None:
        sent.append(statement)

    sa.event.listen(engine, "before_cursor_execute", spy)
    try:
        page = api.ok("get", "/pairs?per_page=2&after=0")
    finally:
        sa.event.remove(engine, "before_cursor_execute", spy)
    assert (page["page"], page["total"], page["pages"]) == (None, None, None)
    assert len(page["items"]) == 2
    assert not [s for s in sent if "count(" in s.lower()], sent


def test_a_keyset_listing_keeps_the_filters(api, world):
    active = world.drive_to("active", 0, 0)["id"]
    world.new_pair(1)
    items, _ = _walk(api, "/pairs?state=active&after=0")
    assert [pair["id"] for pair in items] == [active]


def test_the_last_keyset_page_has_no_next_link(api, world):
    only = world.new_pair()["id"]
    page = api.ok("get", f"/pairs?program_id={world.program['id']}&after=0")
    assert [pair["id"] for pair in page["items"]] == [only]
    assert page["links"]["next"] is None
