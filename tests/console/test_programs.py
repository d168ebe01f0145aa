"""Programs are created and changed in the console, every setting explained where it is set;
what the API would refuse is refused on the page, with what was typed kept."""

from __future__ import annotations

import html
import re

import sqlalchemy as sa

from service.database import db
from service.programs import bounds
from service.programs.forms import EXPLAINED
from service.programs.models import Program


def _new_program_form(page: str) -> dict:
    """The create page's form as it comes, every setting at its default."""
    form: dict = dict(re.findall(r'<input type="text"[^>]*name="([a-z_]+)" value="([^"]*)"', page))
    for name in ("cadence_policy", "kind", "youth"):
        form[name] = re.search(rf'name="{name}" value="([^"]+)" checked', page)[1]
    form["approval_required"] = re.findall(
        r'name="approval_required" value="([^"]+)" checked', page
    )
    # Settings that are on unless turned off (screening a mentor's interview, references).
    for name in re.findall(
        r'type="checkbox" id="[a-z_]+" name="([a-z_]+)" value="yes" checked', page
    ):
        form[name] = "yes"
    return form


def _programs(app) -> list[Program]:
    with app.app_context():
        programs = list(db.session.scalars(sa.select(Program)))
        for program in programs:
            db.session.expunge(program)
        return programs


def test_a_coordinator_creates_a_program_with_the_defaults_the_api_gives(
    app, api, make_staff, console_as
):
    console = console_as(make_staff("coordinator"))
    page = console.page("/console/programs/new")
    form = {**_new_program_form(page), "name": "Riverside Youth", "timezone": "Europe/Oslo"}
    form["youth"] = "yes"

    response = console.post("/console/programs/new", data=form)

    assert response.status_code == 302
    (program,) = _programs(app)
    assert response.headers["Location"] == f"/console/programs/{program.id}"
    assert (program.name, program.slug, program.youth) == (
        "Riverside Youth",
        "riverside-youth",
        True,
    )
    from_api = api.ok("post", "/programs", json={"name": "Made by the API"})
    by_console = api.ok("get", f"/programs/{program.id}")
    same = {"id", "name", "slug", "youth", "timezone", "created_at", "updated_at", "links"}
    assert {k: v for k, v in by_console.items() if k not in same} == {
        k: v for k, v in from_api.items() if k not in same
    }


def test_every_setting_of_a_new_program_is_explained_with_its_unit_default_and_why(
    make_staff, console_as
):
    page = html.unescape(console_as(make_staff("admin")).page("/console/programs/new"))

    for name, explained in EXPLAINED.items():
        hint = re.search(rf'<span class="hint" id="{name}-hint">(.*?)</span>', page, re.S)
        assert hint, f"{name} is not explained"
        text = re.sub(r"<[^>]+>", "", hint[1])
        assert explained.what in text and f"Why it matters: {explained.why}" in text
        if explained.unit:
            assert f"In {explained.unit}" in text
    low, high = bounds.NUMBERS["rematch_buffer_days"]
    assert f"In days, from {low} to {high}. New programs: 14." in page
    assert "internal" not in page.lower() and "seed" not in page.lower()


def test_a_new_program_without_a_name_is_refused_on_the_page_keeping_what_was_typed(
    app, make_staff, console_as
):
    console = console_as(make_staff("admin"))
    form = {**_new_program_form(console.page("/console/programs/new")), "name": " "}

    response = console.post(
        "/console/programs/new",
        data={**form, "reminder_after_days": "5", "timezone": "Europe/Oslo"},
    )

    assert response.status_code == 422
    page = html.unescape(response.get_data(as_text=True))
    assert "Give the program a name." in page
    assert 'name="reminder_after_days" value="5"' in page
    assert 'name="timezone" value="Europe/Oslo"' in page
    assert _programs(app) == []


def test_a_new_program_in_an_unknown_timezone_is_refused_on_the_page(app, make_staff, console_as):
    console = console_as(make_staff("admin"))
    form = {**_new_program_form(console.page("/console/programs/new")), "name": "Northside"}

    response = console.post("/console/programs/new", data={**form, "timezone": "Mars/Olympus"})

    assert response.status_code == 422
    assert "is not a timezone such as Europe/Oslo." in html.unescape(
        response.get_data(as_text=True)
    )
    assert _programs(app) == []


def test_a_new_program_whose_short_name_is_taken_is_refused_on_the_page(
    app, world, make_staff, console_as
):
    console = console_as(make_staff("admin"))
    form = {**_new_program_form(console.page("/console/programs/new")), "name": "Again"}

    response = console.post("/console/programs/new", data={**form, "slug": world.program["slug"]})

    assert response.status_code == 409
    assert "exists already" in response.get_data(as_text=True)
    assert len(_programs(app)) == 1


def test_a_number_out_of_bounds_on_a_new_program_is_refused_not_a_500(app, make_staff, console_as):
    console = console_as(make_staff("admin"))
    form = {**_new_program_form(console.page("/console/programs/new")), "name": "Northside"}

    response = console.post(
        "/console/programs/new",
        data={**form, "cancellation_window_days": "99999999999999999999", "kind": "forever"},
    )

    assert response.status_code == 422
    page = html.unescape(response.get_data(as_text=True))
    assert "Cancellation window days: a whole number from 1 to 365." in page
    assert "Choose the kind of program." in page


def test_a_program_is_renamed_and_moved_to_another_timezone_on_its_settings_page(
    app, world, make_staff, console_as
):
    console = console_as(make_staff("admin"))
    path = f"/console/programs/{world.program['id']}"
    form = {**_new_program_form(console.page(path)), "name": "Northside, renamed"}

    response = console.post(path, data={**form, "timezone": "America/Chicago", "youth": "no"})

    assert response.status_code == 302
    (program,) = _programs(app)
    assert (program.name, program.timezone, program.youth) == (
        "Northside, renamed",
        "America/Chicago",
        False,
    )
    assert program.slug == world.program["slug"]


def test_support_staff_cannot_create_programs(make_staff, console_as):
    assert console_as(make_staff("support")).get("/console/programs/new").status_code == 403


def test_a_short_name_the_api_would_refuse_is_refused_on_the_page(app, make_staff, console_as):
    console = console_as(make_staff("admin"))
    form = {**_new_program_form(console.page("/console/programs/new")), "name": "Northside"}

    response = console.post("/console/programs/new", data={**form, "slug": "North Side!"})

    assert response.status_code == 422
    page = html.unescape(response.get_data(as_text=True))
    assert "Short name: Use lowercase letters, digits and single hyphens" in page
    assert _programs(app) == []
