"""Mentee choice in the console: turned on in a program's settings, sent from a waiting
pair's page by a coordinator (never by support staff), refused in words when the program
does not let mentees choose."""

from __future__ import annotations

import html
import re

import sqlalchemy as sa

from service.choice.models import ChoiceOffer
from service.database import db
from tests.helpers import World


def _settings_form(page: str) -> dict:
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


def test_a_coordinator_turns_mentee_choice_on_in_the_programs_settings(
    api, world, make_staff, console_as
):
    console = console_as(make_staff())
    path = f"/console/programs/{world.program['id']}"
    page = html.unescape(console.page(path))
    assert "Let waiting mentees choose their mentor" in page
    assert "In mentors, from 2 to 5. New programs: 3." in page

    form = {**_settings_form(page), "mentee_choice": "yes", "mentee_choice_mentors": "6"}
    refused = console.post(path, data=form)
    assert refused.status_code == 422
    assert "Mentors to choose among: a whole number from 2 to 5." in html.unescape(
        refused.get_data(as_text=True)
    )

    assert console.post(path, data={**form, "mentee_choice_mentors": "2"}).status_code == 302
    program = api.ok("get", f"/programs/{world.program['id']}")
    assert (program["mentee_choice"], program["mentee_choice_mentors"]) == (True, 2)


def test_a_coordinator_sends_the_choice_from_a_waiting_pairs_page(app, api, make_staff, console_as):
    world = World.build(api, mentors=3, mentees=1, mentee_choice=True)
    pair = world.new_pair(0)
    console = console_as(make_staff())
    assert "E-mail the mentee a choice of mentors" in console.page(f"/console/pairs/{pair['id']}")

    response = console.post(f"/console/pairs/{pair['id']}/choice-offers")

    assert response.status_code == 302
    assert "Sent: the mentee has an e-mail to choose among 3 mentors" in console.flashes()
    page = html.unescape(console.page(f"/console/pairs/{pair['id']}"))
    assert "waiting for the mentee's choice until" in page
    assert "Send a new choice" in page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ChoiceOffer)) == 1


def test_the_pair_page_says_when_the_program_does_not_let_mentees_choose(
    api, world, make_staff, console_as
):
    pair = world.new_pair(0)
    console = console_as(make_staff())

    page = html.unescape(console.page(f"/console/pairs/{pair['id']}"))
    assert "does not let mentees choose their mentor" in page
    assert "E-mail the mentee a choice of mentors" not in page

    console.post(f"/console/pairs/{pair['id']}/choice-offers")
    assert "does not let mentees choose their mentor" in html.unescape(console.flashes())


def test_support_staff_may_not_send_a_choice(api, make_staff, console_as):
    world = World.build(api, mentors=2, mentees=1, mentee_choice=True)
    pair = world.new_pair(0)
    console = console_as(make_staff("support"))

    assert console.post(f"/console/pairs/{pair['id']}/choice-offers").status_code == 403


def test_a_waiting_mentees_profile_says_they_may_choose_from_the_pair_page(
    api, make_staff, console_as
):
    world = World.build(api, mentors=3, mentees=1, mentee_choice=True)
    world.new_pair(0)
    console = console_as(make_staff())

    page = html.unescape(console.page(f"/console/participants/{world.mentees[0]['id']}"))

    assert "or let the mentee choose among the best 3 from there." in page
