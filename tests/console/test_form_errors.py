"""A value the console form refuses is explained on the page, and nothing is written."""

from __future__ import annotations

import html
import re
from datetime import date

import sqlalchemy as sa

from service.database import db
from service.meetings.models import Meeting
from service.notes.models import Note
from service.pairs.forms import NOTE_MAX
from service.webhooks.models import Endpoint


def _settings_form(page: str) -> dict:
    """The program settings form as the page fills it in."""
    form: dict = dict(
        re.findall(
            r'<input type="text" inputmode="numeric" id="[^"]+" name="([^"]+)" value="([^"]*)"',
            page,
        )
    )
    form["cadence_policy"] = re.search(r'name="cadence_policy" value="([^"]+)" checked', page)[1]
    form["approval_required"] = re.findall(
        r'name="approval_required" value="([^"]+)" checked', page
    )
    return form


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_a_cancellation_window_past_a_year_is_explained_on_the_page_and_not_saved(
    world, api, make_staff, console_as
):
    console = console_as(make_staff("admin"))
    path = f"/console/programs/{world.program['id']}"
    before = api.ok("get", f"/programs/{world.program['id']}")["cancellation_window_days"]

    response = console.post(
        path, data={**_settings_form(console.page(path)), "cancellation_window_days": "366"}
    )

    assert response.status_code == 422
    page = html.unescape(response.get_data(as_text=True))
    assert "Cancellation window days: a whole number from 1 to 365." in page
    assert 'name="cancellation_window_days" value="366"' in page
    after = api.ok("get", f"/programs/{world.program['id']}")["cancellation_window_days"]
    assert after == before


def test_a_cancellation_window_of_a_year_is_saved_from_the_console_as_from_the_api(
    world, api, make_staff, console_as
):
    console = console_as(make_staff("admin"))
    path = f"/console/programs/{world.program['id']}"

    response = console.post(
        path, data={**_settings_form(console.page(path)), "cancellation_window_days": "365"}
    )

    assert response.status_code == 302
    assert api.ok("get", f"/programs/{world.program['id']}")["cancellation_window_days"] == 365


def test_text_typed_into_a_refused_settings_form_is_still_on_the_page(
    world, make_staff, console_as
):
    console = console_as(make_staff("admin"))
    path = f"/console/programs/{world.program['id']}"
    own_words = "Call the mentor first; our handbook, page 7, has the script."

    response = console.post(
        path,
        data={
            **_settings_form(console.page(path)),
            "reminders_max": "9",
            "playbook_missed_meetings": own_words,
        },
    )

    assert response.status_code == 422
    assert own_words in html.unescape(response.get_data(as_text=True))


def test_a_meeting_longer_than_a_day_is_refused_on_the_pair_page_and_not_logged(
    app, world, make_staff, console_as
):
    pair = world.drive_to("active")
    console = console_as(make_staff("admin"))

    console.post(
        f"/console/pairs/{pair['id']}/meetings",
        data={
            "occurred_on": date.today().isoformat(),
            "status": "held",
            "duration_minutes": "1441",
        },
    )

    assert "Duration minutes: a whole number from 1 to 1440." in html.unescape(console.flashes())
    assert _count(app, Meeting) == 0


def test_a_note_past_its_limit_is_refused_and_not_saved(app, world, make_staff, console_as):
    pair = world.new_pair()
    console = console_as(make_staff("admin"))

    console.post(f"/console/pairs/{pair['id']}/notes", {"body": "x" * (NOTE_MAX + 1)})

    assert f"Note: at most {NOTE_MAX} characters." in html.unescape(console.flashes())
    assert _count(app, Note) == 0


def test_a_webhook_description_past_its_limit_is_refused_not_cut(app, make_staff, console_as):
    admin = console_as(make_staff("admin"))

    admin.post(
        "/console/webhooks",
        data={"url": "https://crm.example.org/hooks", "description": "d" * 501},
    )

    assert "Description: at most 500 characters." in html.unescape(admin.flashes())
    assert _count(app, Endpoint) == 0


def test_a_transition_with_an_unknown_trigger_is_explained_and_the_pair_stays(
    world, make_staff, console_as
):
    pair = world.drive_to("active")
    console = console_as(make_staff("admin"))

    console.post(f"/console/pairs/{pair['id']}/transition", {"trigger": "teleport"})

    assert "Choose what to do with the pair." in html.unescape(console.flashes())
    assert world.pair(pair["id"])["state"] == "active"
