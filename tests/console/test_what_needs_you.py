"""The dashboard answers "what needs me today": each count is a link to the list it
counts, and the lists under it show the first few and link to the rest."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from service.calendar.models import Contact, ContactStatus
from service.database import db
from service.pairs.models import Pair


def _needs(page: str) -> dict[str, tuple[int, str]]:
    """Each count of "what needs you today": its number and where it links."""
    found = re.findall(
        r'<a class="need[^"]*" href="([^"]+)">\s*<span class="need-count">(\d+)</span>\s*'
        r'<span class="need-label">([^<]+)</span>',
        page,
    )
    return {label: (int(count), html.unescape(href)) for href, count, label in found}


def _shown_pairs(page: str) -> list[int]:
    return [
        int(n)
        for n in re.findall(
            r'<t[dh][^>]*>(?:<label.*?</label> )?<a href="/console/pairs/(\d+)">', page
        )
    ]


def _overdue(app, pair_id: int, days: int = 1) -> None:
    """A contact for the pair that went unanswered, due `days` ago."""
    with app.app_context():
        due = datetime.now(UTC) - timedelta(days=days)
        db.session.add(
            Contact(
                pair_id=pair_id,
                kind="checkin",
                recipient="mentee:1",
                due_on=due.date(),
                due_at=due,
                status=ContactStatus.OVERDUE,
            )
        )
        db.session.commit()


def _at_risk_since(app, pair_id: int, days: int) -> None:
    with app.app_context():
        db.session.execute(
            sa.update(Pair)
            .where(Pair.id == pair_id)
            .values(state_changed_at=datetime.now(UTC) - timedelta(days=days))
        )
        db.session.commit()


def test_newly_at_risk_counts_the_last_seven_days_and_links_to_those_pairs(
    app, world, make_staff, console_as
):
    new = world.drive_to("at_risk")
    old = world.drive_to("at_risk", mentee_index=1, mentor_index=1)
    _at_risk_since(app, old["id"], 20)
    console = console_as(make_staff())

    count, href = _needs(console.page("/console/"))["Newly at risk"]

    assert count == 1
    assert href == "/console/pairs?state=at_risk&within=7"
    listed = console.page(href)
    assert _shown_pairs(listed) == [new["id"]]
    assert "Only pairs in their state for 7 days or less." in listed


def test_overdue_contacts_are_counted_and_link_to_the_pairs_that_have_them(
    app, world, make_staff, console_as
):
    late = world.drive_to("active")
    world.drive_to("active", mentee_index=1, mentor_index=1)
    _overdue(app, late["id"])
    console = console_as(make_staff())

    count, href = _needs(console.page("/console/"))["Overdue contacts"]

    assert count == 1
    assert href == "/console/pairs?need=overdue"
    listed = console.page(href)
    assert _shown_pairs(listed) == [late["id"]]
    assert "Only pairs with an overdue contact." in listed


def test_the_overdue_list_shows_ten_in_plain_words_and_links_to_all(
    app, world, make_staff, console_as
):
    pair = world.drive_to("active")
    for days in range(1, 13):
        _overdue(app, pair["id"], days)

    page = html.unescape(console_as(make_staff()).page("/console/"))
    section = page[page.index('id="overdue-title"') : page.index('id="follow-up-title"')]

    assert '<span class="count">12</span>' in section
    assert section.count("<tr>") == 1 + 10  # the header, then ten rows
    assert section.count("Mentee check-in") == 10
    assert "checkin" not in section.replace("check-in", "")
    assert "All 12 pairs with an overdue contact" in section


def test_the_counts_keep_the_dashboard_s_filters_in_their_links(api, world, make_staff, console_as):
    world.drive_to("at_risk")
    page = console_as(make_staff()).page(f"/console/?program={world.program['id']}")

    for label, (_, href) in _needs(page).items():
        assert f"program{'_id' if 'Mentees' in label else ''}={world.program['id']}" in href


def test_mentees_waiting_for_a_mentor_link_to_the_waiting_list(world, make_staff, console_as):
    world.drive_to("active")  # the first mentee is matched; two wait

    console = console_as(make_staff())

    count, href = _needs(console.page("/console/"))["Mentees waiting for a mentor"]

    assert count == 2
    assert href == "/console/participants?role=mentee&waiting=y&sort=waiting"
    listed = console.page(href)
    assert [m["full_name"] in listed for m in world.mentees] == [False, True, True]


def test_a_need_or_a_number_of_days_the_list_does_not_know_is_refused_on_the_page(
    world, make_staff, console_as
):
    world.drive_to("active")
    console = console_as(make_staff())

    for query, message in (
        ("need=everything", "Choose what the pairs need."),
        ("within=99999", "Days in their state: a whole number from 0 to 366."),
    ):
        response = console.get(f"/console/pairs?{query}")
        page = html.unescape(response.get_data(as_text=True))
        assert response.status_code == 422
        assert message in page
        assert _shown_pairs(page) == []


def test_the_lifecycle_boxes_link_to_the_pairs_in_their_state(world, make_staff, console_as):
    world.drive_to("at_risk")

    page = console_as(make_staff()).page("/console/")
    start = page.index('class="diagram"')
    diagram = page[start : page.index("</svg>", start)]

    assert '<a href="/console/pairs?state=at_risk" tabindex="-1">' in diagram
    assert diagram.count("<a href=") == 8


def test_follow_ups_due_are_counted(app, world, make_staff, console_as):
    pair = world.drive_to("at_risk")
    with app.app_context():
        due = datetime.combine(date.today(), datetime.min.time(), tzinfo=UTC)
        db.session.add(
            Contact(
                pair_id=pair["id"],
                kind="intervention_follow_up",
                recipient="staff",
                due_on=due.date(),
                due_at=due,
                status=ContactStatus.DUE,
            )
        )
        db.session.commit()
    console = console_as(make_staff())

    page = console.page("/console/")
    count, href = _needs(page)["Follow-ups due"]

    assert count == 1
    assert _shown_pairs(console.page(href)) == [pair["id"]]
