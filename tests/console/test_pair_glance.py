"""The pair page's header: the pair at a glance, and the actions its state allows, each
open or greyed out with the requirement it still misses."""

from __future__ import annotations

import html
import re

from tests.helpers import SurveyTaker, invite

CHECKIN = {
    "checkin_mentee": {
        "meetings_held": "2",
        "meetings_missed": "0",
        "progress_on_actions": "yes",
        "talking_balance": "even",
        "feels_unsafe": "no",
    },
    "checkin_mentor": {
        "meetings_held": "2",
        "meetings_missed": "0",
        "mentee_progress": "yes",
        "concern": "no",
    },
}


def _header(page: str) -> str:
    page = html.unescape(page)
    return page[page.index('class="pair-header"') : page.index('id="actions"')]


def _fact(header: str, name: str) -> str:
    match = re.search(rf"<dt>{name}</dt><dd>(.*?)</dd>", header, re.S)
    assert match, f"no {name} in the header"
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


def test_an_action_whose_requirement_is_unmet_is_shown_disabled_with_the_reason(
    world, make_staff, console_as
):
    pair = world.drive_to("at_risk")

    header = _header(console_as(make_staff()).page(f"/console/pairs/{pair['id']}"))

    assert re.search(
        r'<button type="button" class="[^"]*" disabled aria-describedby="why-resolve">'
        r"Resolve</button>",
        header,
    )
    assert "Requires: an intervention was recorded since the pair became at risk." in header


def test_once_its_requirement_is_met_the_action_is_a_link_to_its_form(
    world, make_staff, console_as
):
    pair = world.drive_to("at_risk")
    console = console_as(make_staff())
    console.post(
        f"/console/pairs/{pair['id']}/interventions",
        data={"signal": "missed_meetings", "approach": "pair", "description": "Called both"},
    )

    header = _header(console.page(f"/console/pairs/{pair['id']}"))

    assert 'href="#action-resolve">Resolve</a>' in header
    assert "why-resolve" not in header


def test_actions_that_a_form_completes_are_open(world, make_staff, console_as):
    pair = world.drive_to("active")

    header = _header(console_as(make_staff()).page(f"/console/pairs/{pair['id']}"))

    assert 'href="#action-flag_risk">Flag at risk</a>' in header
    assert f'href="/console/pairs/{pair["id"]}/closure">Begin the closure</a>' in header
    assert 'href="#action-withdraw">Withdraw</a>' in header
    assert "disabled" not in header


def test_the_header_says_the_signals_now_days_in_state_and_the_last_meeting(
    world, make_staff, console_as
):
    pair = world.drive_to("at_risk")
    world.log_meeting(pair["id"], occurred_at="2026-11-20T16:00:00+00:00")

    header = _header(console_as(make_staff()).page(f"/console/pairs/{pair['id']}"))

    assert _fact(header, "Signals now") == "Meetings are cancelled or missed"
    assert _fact(header, "In this state").startswith("0 days since ")
    assert _fact(header, "Last meeting").startswith("20 Nov")
    assert _fact(header, "Coordinator") == "Nobody yet"


def test_the_next_due_contact_is_named_in_plain_words(world, make_staff, console_as):
    pair = world.drive_to("active")

    header = _header(console_as(make_staff()).page(f"/console/pairs/{pair['id']}"))

    next_due = _fact(header, "Next due")
    assert re.fullmatch(
        r"[A-Z][a-z' -]+(check-ins?|pair|update|meeting)[^,]*, \d{1,2} [A-Z][a-z]{2}( \d{4})?",
        next_due,
    ), next_due
    assert "_" not in next_due


def test_both_sides_pulse_ratings_are_drawn_and_told_in_words(
    app, world, api, make_staff, console_as
):
    pair = world.drive_to("active")
    client = app.test_client()
    for survey, role, rating in (
        ("checkin_mentee", "mentee", 7),
        ("checkin_mentor", "mentor", 8),
        ("checkin_mentee", "mentee", 6),
    ):
        url = invite(api, survey, pair[f"{role}_id"], pair["id"])["url"]
        answers = {**CHECKIN[survey], "relationship_rating": str(rating)}
        assert SurveyTaker(client, url).submit(answers).status_code in (200, 303)

    header = _header(console_as(make_staff()).page(f"/console/pairs/{pair['id']}"))

    assert "Mentee 6 (was 7), mentor 8." in header
    assert header.count("<circle") == 3
    rows = re.findall(r"<tr><td>[^<]+</td><td>(mentee|mentor)</td><td>(\d+)</td></tr>", header)
    assert rows == [("mentee", "7"), ("mentee", "6"), ("mentor", "8")]


def test_without_ratings_the_header_says_so(world, make_staff, console_as):
    pair = world.drive_to("active")

    header = _header(console_as(make_staff()).page(f"/console/pairs/{pair['id']}"))

    assert "No check-in has rated the relationship yet." in header
    assert "<svg" not in header
