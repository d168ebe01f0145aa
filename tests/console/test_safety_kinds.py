"""A mentee who feels unsafe may say what kind of thing happened: asked only after a yes,
read only by safeguarding staff (admins and the pair's coordinator), with "prefer not to
say". The kind raises its own safety signal, so the playbook's specific approach shows to
those who may read it, and never leaves the service: not in events, e-mails or logs."""

from __future__ import annotations

import html
import logging

import pytest
import sqlalchemy as sa

from service.database import db
from service.events.models import OutboxEvent
from service.notifications.models import Notification
from service.signals.models import Signal
from service.surveys.models import SurveyResponse
from surveys import loader
from tests.helpers import CALM_MENTEE_CHECKIN, SurveyTaker, invite
from workflows.playbook import APPROACHES
from workflows.signals import SIGNALS

UNSAFE = {**CALM_MENTEE_CHECKIN, "feels_unsafe": "yes"}


@pytest.fixture
def staff(api, world, make_staff, console_as):
    pair = world.drive_to("active")
    cora = make_staff("coordinator", "Cora Ordinator")
    colin = make_staff("coordinator", "Colin Colleague")
    api.colleague("admin").ok("patch", f"/pairs/{pair['id']}", {"coordinator_id": cora.id})
    return {"pair": pair, "cora": console_as(cora), "colin": console_as(colin)}


def _tell(api, pair, answers) -> None:
    invitation = invite(api, "checkin_mentee", pair["mentee_id"], pair["id"])
    response = SurveyTaker(api.client, invitation["url"]).submit(answers)
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]


def _signals(app, pair_id) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                sa.select(Signal.code).where(Signal.pair_id == pair_id).order_by(Signal.id)
            )
        )


def test_the_kind_of_safety_report_is_asked_only_after_a_yes_and_only_for_safeguarding_staff():
    definition = loader.standard()["checkin_mentee"][0]
    kind = definition.question("safety_kind")

    assert kind.safety
    assert (kind.show_if.question, kind.show_if.values) == ("feels_unsafe", ("yes",))
    assert "prefer_not_to_say" in {choice.value for choice in kind.choices}


@pytest.mark.parametrize(
    ("answer", "signal"),
    [
        ("harassment", "harassment"),
        ("too_personal", "inappropriate_relationship"),
        ("unsafe", "mentee_feels_unsafe"),
    ],
)
def test_the_kind_a_mentee_names_raises_its_specific_safety_signal(app, api, staff, answer, signal):
    _tell(api, staff["pair"], {**UNSAFE, "safety_kind": answer})

    assert _signals(app, staff["pair"]["id"]) == ["safety_concern", signal]


def test_prefer_not_to_say_raises_only_the_safety_concern(app, api, staff):
    _tell(api, staff["pair"], {**UNSAFE, "safety_kind": "prefer_not_to_say"})

    assert _signals(app, staff["pair"]["id"]) == ["safety_concern"]


def test_the_pairs_coordinator_sees_the_specific_approach_for_the_kind(api, staff):
    _tell(api, staff["pair"], {**UNSAFE, "safety_kind": "harassment"})

    page = html.unescape(staff["cora"].page(f"/console/pairs/{staff['pair']['id']}"))

    assert SIGNALS["harassment"].label in page
    assert APPROACHES["harassment"] in page


def test_another_coordinator_sees_neither_the_kind_nor_its_approach(app, api, staff):
    _tell(api, staff["pair"], {**UNSAFE, "safety_kind": "harassment"})
    with app.app_context():
        response_id = db.session.scalar(sa.select(SurveyResponse.id))
    pair_page = html.unescape(staff["colin"].page(f"/console/pairs/{staff['pair']['id']}"))
    answers = html.unescape(
        staff["colin"].page(f"/console/pairs/{staff['pair']['id']}/responses/{response_id}")
    )

    assert SIGNALS["harassment"].label not in pair_page
    assert APPROACHES["harassment"] not in pair_page
    assert "harassed" not in answers


def test_the_kind_never_leaves_the_service_in_events_emails_or_logs(
    app, api, staff, drain, mailbox, caplog
):
    caplog.set_level(logging.DEBUG)
    _tell(api, staff["pair"], {**UNSAFE, "safety_kind": "too_personal"})
    drain()

    with app.app_context():
        payloads = str([e.payload for e in db.session.scalars(sa.select(OutboxEvent))])
        queued = str([n.context for n in db.session.scalars(sa.select(Notification))])
    emails = queued + str([str(message) for message in mailbox.messages])
    assert mailbox.messages, "the safety alert reached staff by e-mail"
    for said in (payloads, emails, caplog.text):
        assert "inappropriate" not in said
        assert "too_personal" not in said
        assert "safety_kind" not in said
