"""Saved views of the pairs list: the search, filters and order kept under a name of the
coordinator's, shown at the top of the list for them alone, changed by saving the name
again, and deleted."""

from __future__ import annotations

import re

import pytest

from tests.helpers import World


@pytest.fixture
def coordinator(make_staff, console_as):
    return console_as(make_staff("coordinator"))


def _views(page: str) -> dict[str, str]:
    return {
        name: query.replace("&amp;", "&")
        for query, name in re.findall(
            r'<a [^>]*href="/console/pairs\?([^"]*)"[^>]*>([^<]+)</a>', page
        )
    }


def test_a_saved_view_keeps_the_search_filters_and_order_under_its_name(api, coordinator):
    world = World.build(api)
    shown = f"program={world.program['id']}&q=mentee&sort=lowest_pulse&state=active"
    response = coordinator.post(
        "/console/pairs/views", data={"name": "My active pairs", "query": shown}
    )
    assert response.status_code == 302
    assert "Saved “My active pairs”" in coordinator.flashes()
    views = _views(coordinator.page("/console/pairs"))
    assert views["My active pairs"] == shown


def test_following_a_saved_view_shows_the_list_as_it_was_kept(api, coordinator):
    world = World.build(api)
    wanted = world.drive_to("active", mentee_index=0, mentor_index=0)
    world.new_pair(1)
    coordinator.post("/console/pairs/views", data={"name": "Active", "query": "state=active"})
    query = _views(coordinator.page("/console/pairs"))["Active"]
    page = coordinator.page(f"/console/pairs?{query}")
    assert re.findall(r'href="/console/pairs/(\d+)"', page) == [str(wanted["id"])]
    assert 'aria-current="page">Active</a>' in page


def test_saving_under_the_same_name_changes_the_view(coordinator):
    coordinator.post("/console/pairs/views", data={"name": "Mine", "query": "state=active"})
    coordinator.post("/console/pairs/views", data={"name": "Mine", "query": "state=at_risk"})
    assert _views(coordinator.page("/console/pairs")) == {"Mine": "state=at_risk"}


def test_a_view_is_seen_only_by_the_one_who_saved_it(coordinator, make_staff, console_as):
    coordinator.post("/console/pairs/views", data={"name": "Mine", "query": "state=active"})
    colleague = console_as(make_staff("coordinator"))
    assert _views(colleague.page("/console/pairs")) == {}


def test_a_view_without_a_name_is_refused_with_why(coordinator):
    coordinator.post("/console/pairs/views", data={"name": " ", "query": "state=active"})
    assert "Give the view a name." in coordinator.flashes()
    assert _views(coordinator.page("/console/pairs")) == {}


def test_a_deleted_view_is_gone_and_another_persons_cannot_be_deleted(
    app, coordinator, make_staff, console_as
):
    coordinator.post("/console/pairs/views", data={"name": "Mine", "query": "state=active"})
    page = coordinator.page("/console/pairs")
    (view_id,) = re.findall(r'action="/console/pairs/views/(\d+)/delete"', page)
    colleague = console_as(make_staff("coordinator"))
    colleague.post(f"/console/pairs/views/{view_id}/delete")
    assert _views(coordinator.page("/console/pairs")) == {"Mine": "state=active"}
    coordinator.post(f"/console/pairs/views/{view_id}/delete")
    assert _views(coordinator.page("/console/pairs")) == {}


def test_the_save_form_holds_the_list_as_shown_without_its_page(api, coordinator):
    page = coordinator.page("/console/pairs?state=active&after=3&q=")
    assert 'name="query" value="state=active"' in page


def _views_on(page: str, path: str) -> dict[str, str]:
    return {
        name: query.replace("&amp;", "&")
        for query, name in re.findall(rf'<a [^>]*href="{path}\?([^"]*)"[^>]*>([^<]+)</a>', page)
    }


def test_a_saved_view_of_the_proposals_is_at_the_top_of_the_proposals_alone(coordinator):
    kept = "q=moved&sort=newest"
    response = coordinator.post("/console/proposals/views", data={"name": "Moves", "query": kept})
    assert response.headers["Location"].endswith(f"/console/proposals?{kept}")
    assert "it is at the top of the proposals list" in coordinator.flashes()
    assert _views_on(coordinator.page("/console/proposals"), "/console/proposals") == {
        "Moves": kept
    }
    assert _views(coordinator.page("/console/pairs")) == {}


def test_a_saved_view_of_the_inbox_opens_it_as_it_was_kept(app, coordinator):
    coordinator.post("/console/inbox/views", data={"name": "Unread", "query": "unread=y"})
    page = coordinator.page("/console/inbox?unread=y")
    assert _views_on(page, "/console/inbox") == {"Unread": "unread=y"}
    assert 'aria-current="page">Unread</a>' in page


def test_a_view_of_the_inbox_is_deleted_from_the_inbox(coordinator):
    coordinator.post("/console/inbox/views", data={"name": "Unread", "query": "unread=y"})
    page = coordinator.page("/console/inbox")
    (view_id,) = re.findall(r'action="/console/inbox/views/(\d+)/delete"', page)
    response = coordinator.post(f"/console/inbox/views/{view_id}/delete")
    assert response.headers["Location"].endswith("/console/inbox")
    assert _views_on(coordinator.page("/console/inbox"), "/console/inbox") == {}
