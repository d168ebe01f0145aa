"""Outcome measures on the calendar: a program that turns them on sends the mentee's outcome
survey when the match becomes active, at the months it chose and when the match closes, each
invitation saying which occasion it is for; a program that does not sends none.

Everything runs on a controllable clock; e-mail goes over a real SMTP server.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
import time_machine

from service.database import db
from service.surveys.models import Invitation, SurveyVersion
from tests.helpers import World
from tests.helpers.calendar import sent_on, simulate

pytestmark = pytest.mark.slow

# A Monday morning, before the calendar's nine o'clock.
START = datetime(2027, 1, 4, 8, 0, tzinfo=UTC)
QUIET = {"timezone": "UTC", "no_meeting_alert_days": None, "match_length_months": None}


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def outcome_invitations(app, pair_id: int) -> list[tuple[str | None, int, date]]:
    """The pair's outcome survey invitations: (occasion, participant, day made)."""
    with app.app_context():
        return [
            (row.occasion, row.participant_id, row.created_at.date())
            for row in db.session.execute(
                sa.select(Invitation.occasion, Invitation.participant_id, Invitation.created_at)
                .join(SurveyVersion, SurveyVersion.id == Invitation.survey_version_id)
                .where(
                    Invitation.pair_id == pair_id,
                    SurveyVersion.survey_key == "outcomes_mentee",
                    Invitation.reissued_from_id.is_(None),
                )
                .order_by(Invitation.id)
            )
        ]


def close(api, world: World, pair_id: int, clock, day: date) -> None:
    proposed = api.trigger(pair_id, "begin_closure", final_session_on=day.isoformat())
    assert proposed.status_code == 202, proposed.get_json()
    world.approve(proposed.get_json()["proposal"]["id"])
    clock.move_to(at(day, 18))
    world.log_meeting(pair_id, occurred_at=f"{day.isoformat()}T17:00:00+00:00",
                      is_final_session=True)  # fmt: skip
    closed = api.trigger(pair_id, "close")
    assert closed.status_code == 200, closed.get_json()


def test_a_program_with_outcome_measures_asks_the_mentee_at_the_start_the_months_and_closure(
    app, api, mailbox, drain
):
    with time_machine.travel(START, tick=False) as clock:
        world = World.build(
            api, mentors=1, mentees=1, outcome_measures=True, outcome_months=[6], **QUIET
        )
        pair = world.drive_to("active")
        simulate(app, drain, clock, until=at(date(2027, 7, 20)), answering=())
        close(api, world, pair["id"], clock, date(2027, 8, 2))
        simulate(app, drain, clock, until=at(date(2027, 8, 10)), answering=())
    mentee = world.mentees[0]
    assert outcome_invitations(app, pair["id"]) == [
        ("baseline", mentee["id"], date(2027, 1, 4)),
        ("month_6", mentee["id"], date(2027, 7, 4)),
        ("closure", mentee["id"], date(2027, 8, 2)),
    ]
    asked = {
        sent_on(m).date()
        for m in mailbox.to(mentee["email"])
        if "How are things for you?" in m.get_body(preferencelist=("plain",)).get_content()
    }
    assert {date(2027, 1, 4), date(2027, 7, 4), date(2027, 8, 2)} <= asked
    mentor = world.mentors[0]
    assert not [
        m
        for m in mailbox.to(mentor["email"])
        if "How are things for you?" in m.get_body(preferencelist=("plain",)).get_content()
    ]


def test_a_program_that_has_not_turned_outcome_measures_on_sends_no_outcome_survey(app, api, drain):
    with time_machine.travel(START, tick=False) as clock:
        world = World.build(api, mentors=1, mentees=1, **QUIET)
        pair = world.drive_to("active")
        simulate(app, drain, clock, until=at(date(2027, 7, 20)), answering=())
        close(api, world, pair["id"], clock, date(2027, 8, 2))
        simulate(app, drain, clock, until=at(date(2027, 8, 10)), answering=())
    assert outcome_invitations(app, pair["id"]) == []
