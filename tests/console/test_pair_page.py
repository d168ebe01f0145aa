"""The pair page: the timeline, the playbook for its signals, interventions, check-ins, and
only the actions its state allows."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta

import sqlalchemy as sa

from service.database import db
from workflows.playbook import APPROACHES


def _actions(page: str) -> set[str]:
    return set(re.findall(r'name="trigger" value="([a-z_]+)"', page))


def test_the_page_offers_only_the_actions_of_the_pairs_state(world, make_staff, console_as):
    pair = world.drive_to("active")

    page = console_as(make_staff()).page(f"/console/pairs/{pair['id']}")

    assert _actions(page) == {"flag_risk", "withdraw"}
    assert f'href="/console/pairs/{pair["id"]}/closure"' in page


def test_an_at_risk_pair_shows_the_table_8_approach_for_its_signal(world, make_staff, console_as):
    pair = world.drive_to("at_risk")

    page = html.unescape(console_as(make_staff()).page(f"/console/pairs/{pair['id']}"))

    assert "Meetings are cancelled or missed" in page
    assert APPROACHES["missed_meetings"] in page


def test_the_playbook_speaks_in_the_programs_own_words(api, world, make_staff, console_as):
    own_words = "Ring both of them within two days; our handbook, page 12, has the script."
    api.ok(
        "patch", f"/programs/{world.program['id']}", {"playbook": {"missed_meetings": own_words}}
    )
    pair = world.drive_to("at_risk")

    page = html.unescape(console_as(make_staff()).page(f"/console/pairs/{pair['id']}"))

    assert own_words in page
    assert APPROACHES["missed_meetings"] not in page


def test_resolving_needs_an_intervention_first(world, make_staff, console_as):
    pair = world.drive_to("at_risk")
    console = console_as(make_staff())

    console.post(f"/console/pairs/{pair['id']}/transition", data={"trigger": "resolve"})

    assert "intervention" in console.flashes()
    assert world.pair(pair["id"])["state"] == "at_risk"


def test_an_intervention_with_a_follow_up_date_lets_the_pair_be_resolved(
    world, api, make_staff, console_as
):
    pair = world.drive_to("at_risk")
    console = console_as(make_staff(name="Cora Ordinator"))
    follow_up = date.today() + timedelta(days=14)

    console.post(
        f"/console/pairs/{pair['id']}/interventions",
        data={
            "signal": "missed_meetings",
            "approach": "pair",
            "description": "Met both; agreed a fixed Tuesday slot",
            "follow_up_on": follow_up.isoformat(),
        },
    )
    console.post(f"/console/pairs/{pair['id']}/transition", data={"trigger": "resolve"})

    assert world.pair(pair["id"])["state"] == "active"
    timeline = api.ok("get", f"/pairs/{pair['id']}/timeline")["items"]
    (intervention,) = [e for e in timeline if e["kind"] == "intervention"]
    assert intervention["data"]["approach"] == "pair"
    assert intervention["data"]["follow_up_on"] == follow_up.isoformat()


def test_an_intervention_without_a_description_is_refused(world, api, make_staff, console_as):
    pair = world.drive_to("at_risk")
    console = console_as(make_staff())

    console.post(f"/console/pairs/{pair['id']}/interventions", data={"approach": "pair"})

    assert "Describe the intervention." in console.flashes()
    timeline = api.ok("get", f"/pairs/{pair['id']}/timeline")["items"]
    assert [e for e in timeline if e["kind"] == "intervention"] == []


def test_a_coordinator_check_in_is_recorded_on_the_timeline(world, api, make_staff, console_as):
    pair = world.drive_to("active")
    console = console_as(make_staff())

    response = console.post(
        f"/console/pairs/{pair['id']}/checkins",
        data={
            "checkin-approach": "pair",
            "checkin-with_whom": ["mentee", "mentor"],
            "checkin-channel": "in_person",
            "checkin-how_they_are": "4",
            "checkin-safety_concern": "no",
        },
    )

    assert response.status_code == 302
    assert "The check-in is recorded." in console.flashes()
    timeline = api.ok("get", f"/pairs/{pair['id']}/timeline")["items"]
    assert any(
        e["kind"] == "response" and e["data"]["survey_key"] == "coordinator_checkin"
        for e in timeline
    )


def test_an_incomplete_check_in_says_what_is_missing(world, api, make_staff, console_as):
    pair = world.drive_to("active")
    console = console_as(make_staff())

    console.post(f"/console/pairs/{pair['id']}/checkins", data={"checkin-approach": "pair"})

    assert "Check-in not saved." in console.flashes()
    timeline = api.ok("get", f"/pairs/{pair['id']}/timeline")["items"]
    assert [e for e in timeline if e["kind"] == "response"] == []


def test_the_timeline_shows_transitions_meetings_and_notifications(world, make_staff, console_as):
    pair = world.drive_to("closing")
    world.log_meeting(pair["id"])

    page = console_as(make_staff()).page(f"/console/pairs/{pair['id']}")
    timeline = html.unescape(page[page.index('id="timeline"') : page.index('id="calendar"')])

    assert "training → active (activate)" in timeline
    assert "Meeting: held" in timeline
    assert "E-mail final session date to a participant: pending" in timeline


def test_an_unknown_pair_is_a_404_page(make_staff, console_as):
    assert console_as(make_staff()).get("/console/pairs/999999").status_code == 404


def test_program_settings_are_saved_and_bad_numbers_are_explained(
    world, api, make_staff, console_as
):
    console = console_as(make_staff("admin"))
    path = f"/console/programs/{world.program['id']}"
    page = console.page(path)
    form = {
        name: value
        for name, value in re.findall(
            r'<input type="text"[^>]*name="([a-z_]+)" value="([^"]*)"', page
        )
    }
    form |= {"cadence_policy": "bimonthly", "approval_required": ["rematch", "close"]}

    refused = console.post(path, data={**form, "reminder_after_days": "400"})
    assert refused.status_code == 422
    page = html.unescape(refused.get_data(as_text=True))
    assert "Reminder after days: a whole number from 1 to 30." in page
    assert 'name="reminder_after_days" value="400"' in page
    assert api.ok("get", f"/programs/{world.program['id']}")["reminder_after_days"] != 400

    console.post(path, data={**form, "requirement_period": "week", "requirement_meetings": "1"})
    program = api.ok("get", f"/programs/{world.program['id']}")
    assert program["cadence_policy"] == "bimonthly"
    assert sorted(program["approval_required"]) == ["close", "rematch"]
    assert program["meeting_requirement"]["period"] == "week"


def test_a_nul_character_in_a_console_form_is_refused_on_a_page_and_nothing_is_saved(
    app, world, console_as, make_staff
):
    from service.notes.models import Note

    pair = world.new_pair()
    console = console_as(make_staff("admin"))

    response = console.post(f"/console/pairs/{pair['id']}/notes", {"body": "Called\x00 home"})

    assert response.status_code == 400
    assert "invisible NUL character" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Note)) == 0
