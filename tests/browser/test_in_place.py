"""In-place actions with htmx: filtering the pairs list, following its next page and deciding
a proposal change the page's content without loading a new page (the address follows a
filter); without JavaScript the same forms and links load the page as before."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from service.console import views
from tests.helpers import World
from tests.helpers.browser import sign_in
from tests.helpers.staff import create_staff

pytestmark = pytest.mark.slow


def _mark_the_page(page) -> None:
    """A value a new page load would lose."""
    page.evaluate("window.__notReloaded = true")


def _not_reloaded(page) -> bool:
    return page.evaluate("window.__notReloaded === true")


def test_filtering_the_pairs_list_changes_it_in_place_and_the_address_follows(
    app, live_server, page, world
):
    wanted = world.drive_to("active", mentee_index=1, mentor_index=1)
    world.new_pair(0)
    sign_in(page, live_server, create_staff(app, name="Cora Ordinator"))
    page.goto(f"{live_server}/console/pairs")
    _mark_the_page(page)
    page.get_by_label("State").select_option("active")
    page.get_by_role("button", name="Show").click()
    rows = page.locator("table.pairs-list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(f"#{wanted['id']}")
    assert "state=active" in page.url
    assert _not_reloaded(page)


def test_the_next_page_of_pairs_comes_in_place(app, live_server, page, api):
    # The live server is another process: one page more than it shows makes a second page.
    world = World.build(api, mentors=0, mentees=views.PER_PAGE + 1)
    pairs = [world.new_pair(n) for n in range(views.PER_PAGE + 1)]
    sign_in(page, live_server, create_staff(app, name="Cora Ordinator"))
    page.goto(f"{live_server}/console/pairs")
    _mark_the_page(page)
    page.get_by_role("link", name="Next page").click()
    expect(page.locator("table.pairs-list tbody tr")).to_have_count(1)
    expect(page.locator("table.pairs-list tbody")).to_contain_text(f"#{pairs[-1]['id']}")
    assert _not_reloaded(page)


def test_approving_a_proposal_swaps_the_list_in_place_with_what_happened(
    app, live_server, page, api, world
):
    pair = world.new_pair(0)
    filed = api.trigger(pair["id"], "withdraw", closure_reason="withdrawn", reason="Moved")
    assert filed.status_code == 202, filed.get_json()
    sign_in(page, live_server, create_staff(app, name="Cora Ordinator"))
    page.goto(f"{live_server}/console/proposals")
    _mark_the_page(page)
    page.get_by_role("button", name="Approve", exact=True).click()
    expect(page.get_by_text(f"Approved: pair #{pair['id']} is now closed.")).to_be_visible()
    expect(page.get_by_text("Nothing waits for a decision.")).to_be_visible()
    assert _not_reloaded(page)


def test_without_javascript_the_filter_still_loads_the_filtered_list(
    app, live_server, pages, world
):
    wanted = world.drive_to("active", mentee_index=1, mentor_index=1)
    world.new_pair(0)
    page = pages.open(java_script_enabled=False)
    sign_in(page, live_server, create_staff(app, name="Cora Ordinator"))
    page.goto(f"{live_server}/console/pairs")
    page.get_by_label("State").select_option("active")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**state=active**")
    rows = page.locator("table.pairs-list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(f"#{wanted['id']}")
