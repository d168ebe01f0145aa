"""The waiting list: a program's target wait, the dashboard's alert, and a kind e-mail to
mentees who have waited long, once per threshold."""

from __future__ import annotations

import html

import pytest

from service.intake.jobs import run_intake_sweep
from tests.helpers import World
from tests.helpers.state import added_days_ago


@pytest.fixture
def coordinator(make_staff, console_as):
    return console_as(make_staff("coordinator", "Cora Ordinator"))


@pytest.fixture
def targeted(api) -> World:
    return World.build(api, mentors=1, mentees=3, waiting_target_days=30)


def _sweep(app) -> dict:
    with app.app_context():
        return run_intake_sweep()


def test_a_program_takes_a_target_waiting_time(api, targeted):
    assert targeted.program["waiting_target_days"] == 30
    changed = api.ok("patch", f"/programs/{targeted.program['id']}", {"waiting_target_days": None})
    assert changed["waiting_target_days"] is None


def test_the_dashboard_counts_mentees_waiting_past_the_target(app, coordinator, targeted):
    added_days_ago(app, targeted.mentees[0]["id"], 45)
    added_days_ago(app, targeted.mentees[1]["id"], 31)
    page = html.unescape(coordinator.page("/console/"))
    assert f"2 mentees in {targeted.program['name']}" in page
    assert "waited_days=30" in page


def test_the_dashboard_says_nothing_while_everyone_is_within_the_target(app, coordinator, targeted):
    added_days_ago(app, targeted.mentees[0]["id"], 10)
    assert "Waiting too long" not in coordinator.page("/console/")


def test_the_alert_links_to_the_mentees_who_waited_too_long(app, coordinator, targeted):
    added_days_ago(app, targeted.mentees[0]["id"], 45)
    path = (
        f"/console/participants?program_id={targeted.program['id']}&role=mentee&waiting=y"
        "&waited_days=30&sort=waiting"
    )
    page = coordinator.page(path)
    assert targeted.mentees[0]["full_name"] in page
    assert targeted.mentees[1]["full_name"] not in page


def test_a_mentee_waiting_past_the_target_gets_a_kind_e_mail(app, targeted, mailbox, drain):
    added_days_ago(app, targeted.mentees[0]["id"], 40)
    assert _sweep(app)["waiting_emails"] == 1
    drain()
    [message] = mailbox.to(targeted.mentees[0]["email"])
    assert "We have not forgotten you" in message["Subject"]
    assert "waiting 40 days" in message.get_body(("plain",)).get_content()


def test_the_kind_e_mail_comes_once_per_threshold(app, targeted):
    added_days_ago(app, targeted.mentees[0]["id"], 40)
    _sweep(app)
    assert _sweep(app)["waiting_emails"] == 0
    added_days_ago(app, targeted.mentees[0]["id"], 61)
    assert _sweep(app)["waiting_emails"] == 1


def test_a_mentee_in_spanish_is_written_to_in_spanish(app, api, targeted, mailbox, drain):
    person = targeted.add_participant("mentee", language="es")
    added_days_ago(app, person["id"], 35)
    _sweep(app)
    drain()
    [message] = mailbox.to(person["email"])
    assert "No nos hemos olvidado de ti" in message["Subject"]


def test_a_program_without_a_target_writes_to_nobody(app, api):
    world = World.build(api, mentors=0, mentees=1)
    added_days_ago(app, world.mentees[0]["id"], 400)
    assert _sweep(app)["waiting_emails"] == 0
