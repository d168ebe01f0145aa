"""Cadence policies, simulated on a controllable clock with e-mail over real SMTP.

Each program picks a policy (workflows/cadence.py): the bi-monthly check-ins,
the event-based follow-ups, MENTOR's 5th edition; youth programs also ask
the guardian; participants are written to in their own language, English by default.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from service.accounts import service as accounts
from service.calendar.models import Contact
from service.database import db
from service.inbox.models import InboxItem
from tests.helpers import World, state
from tests.helpers.calendar import sent_on, simulate
from tests.helpers.world import service_api

pytestmark = [pytest.mark.slow, pytest.mark.long(25)]

# A Monday morning, before the calendar's nine o'clock.
START = datetime(2027, 1, 4, 8, 0, tzinfo=UTC)
QUIET = {"timezone": "UTC", "no_meeting_alert_days": None, "match_length_months": None}


def received(mailbox, subject: str) -> dict[str, list[date]]:
    """The days each address received a message whose subject starts with `subject`."""
    days: dict[str, list[date]] = defaultdict(list)
    for message in mailbox.messages:
        if message["Subject"].startswith(subject):
            days[message["To"]].append(sent_on(message).date())
    return days


def plain_text(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def html_text(message) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def assert_no_duplicates(mailbox) -> None:
    counts = Counter((m["To"], m["Subject"], sent_on(m).date()) for m in mailbox.messages)
    assert [key for key, n in counts.items() if n > 1] == []


# -- the bi-monthly policy ---------------------------------------------------

BIMONTHLY_CHECKINS = [
    date(2027, 3, 4),
    date(2027, 5, 4),
    date(2027, 7, 4),
    date(2027, 9, 4),
    date(2027, 11, 4),
]
FLAGGED = datetime(2027, 3, 10, 10, 0, tzinfo=UTC)
RESOLVED = datetime(2027, 5, 20, 10, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def bimonthly_year(app, smtp_server) -> dict:
    """Three pairs for a year, simulated once for this module; the first is at risk from 10
    March to 20 May. Mentees answer, mentors never do."""
    inbox, _ = smtp_server
    state.reset(app)
    inbox.messages.clear()
    api = service_api(app)
    with time_machine.travel(START, tick=False) as clock:
        world = World.build(api, mentors=3, mentees=3, cadence_policy="bimonthly", **QUIET)
        pairs = [world.drive_to("active", i, i) for i in range(3)]
        at_risk = pairs[0]["id"]

        def flag() -> None:
            result = api.trigger(at_risk, "flag_risk", signals=["too_busy_to_schedule"])
            assert result.status_code == 200, result.get_json()

        def resolve() -> None:
            api.ok("post", f"/pairs/{at_risk}/interventions", {"description": "Called both"})
            assert api.trigger(at_risk, "resolve").status_code == 200

        simulate(
            app,
            lambda: state.drain(app),
            clock,
            until=START + timedelta(days=365),
            answering=("mentee",),
            actions=[(FLAGGED, flag), (RESOLVED, resolve)],
        )
    with app.app_context():
        calls = db.session.scalars(
            sa.select(Contact.due_on)
            .where(Contact.pair_id == at_risk, Contact.recipient == "staff")
            .order_by(Contact.due_on)
        ).all()
    return {"world": world, "messages": list(inbox.messages), "calls": list(calls)}


def _checkins(year) -> dict[str, list[date]]:
    days: dict[str, list[date]] = defaultdict(list)
    for message in year["messages"]:
        if message["Subject"].startswith("How is"):
            days[message["To"]].append(sent_on(message).date())
    return days


def test_bimonthly_pairs_are_asked_about_every_two_months(bimonthly_year):
    world, invited = bimonthly_year["world"], _checkins(bimonthly_year)
    for index in (1, 2):
        for person in (world.mentees[index], world.mentors[index]):
            assert invited[person["email"]] == BIMONTHLY_CHECKINS, person["role"]
    gaps = {(b - a).days for a, b in itertools.pairwise(BIMONTHLY_CHECKINS)}
    assert gaps <= set(range(59, 63))


def test_bimonthly_at_risk_pairs_are_asked_every_two_weeks_until_resolved(bimonthly_year):
    world, invited = bimonthly_year["world"], _checkins(bimonthly_year)
    every_two_weeks = [date(2027, 3, 24) + timedelta(days=14 * n) for n in range(5)]
    assert every_two_weeks[-1] == date(2027, 5, 19)  # the day before it was resolved
    after_resolution = [d for d in BIMONTHLY_CHECKINS if d > RESOLVED.date()]
    for person in (world.mentees[0], world.mentors[0]):
        assert invited[person["email"]] == [date(2027, 3, 4), *every_two_weeks, *after_resolution]


def test_bimonthly_at_risk_pairs_have_their_coordinators_call_due_at_once_then_fortnightly(
    bimonthly_year,
):
    during = [d for d in bimonthly_year["calls"] if FLAGGED.date() <= d <= RESOLVED.date()]
    assert during == [FLAGGED.date() + timedelta(days=14 * n) for n in range(6)]


def test_bimonthly_nobody_receives_the_same_message_twice(bimonthly_year):
    counts = Counter((m["To"], m["Subject"], sent_on(m).date()) for m in bimonthly_year["messages"])
    assert [key for key, n in counts.items() if n > 1] == []


# -- event-based programs ----------------------------------------------------

EVENT_DAY = date(2027, 3, 6)


# The event's follow-up: the mentee is encouraged to get in touch, the mentor is thanked.
FOLLOW_UP_SUBJECT = {
    "mentee": "Get in touch with your mentor",
    "mentor": "Thank you for mentoring at the event",
}


def test_event_based_participants_get_the_follow_up_then_the_six_month_update_and_nothing_else(
    app, api, mailbox, drain
):
    with time_machine.travel(datetime(2027, 3, 6, 8, 0, tzinfo=UTC), tick=False) as clock:
        world = World.build(
            api,
            mentors=2,
            mentees=2,
            kind="event_based",
            cadence_policy="event_based",
            event_on=EVENT_DAY.isoformat(),
            **QUIET,
        )
        pairs = [world.drive_to("active", i, i) for i in range(2)]
        simulate(app, drain, clock, until=datetime(2028, 6, 1, tzinfo=UTC))
        calendars = [api.ok("get", f"/pairs/{p['id']}/calendar") for p in pairs]

    follow_up = EVENT_DAY + timedelta(days=17)
    assert 14 <= (follow_up - EVENT_DAY).days <= 21
    for person in world.mentees + world.mentors:
        sent = sorted(
            (sent_on(m).date(), m["Subject"].split(" - ")[0]) for m in mailbox.to(person["email"])
        )
        assert sent == [
            (follow_up, FOLLOW_UP_SUBJECT[person["role"]]),
            (date(2027, 9, 6), "Six months on"),
        ], person["role"]
    for calendar in calendars:
        assert calendar["upcoming"] == []
        assert sorted(c["kind"] for c in calendar["contacts"]) == sorted(
            ["event_followup"] * 2 + ["six_month_update"] * 2
        )


# -- MENTOR's Elements, 5th edition ----------------------------------------------------------


def test_mentor_5th_edition_checks_in_monthly_in_year_one_and_meets_in_depth_monthly_then_quarterly(
    app, api, mailbox, drain
):
    with time_machine.travel(START, tick=False) as clock:
        world = World.build(api, mentors=1, mentees=1, cadence_policy="mentor_5th", **QUIET)
        with app.app_context():
            coordinator_id = accounts.create(
                email="fifth@example.org", full_name="Fifth Edition", role="coordinator"
            ).id
        pair = world.drive_to("active")
        api.colleague("admin").ok(
            "patch", f"/pairs/{pair['id']}", {"coordinator_id": coordinator_id}
        )
        simulate(app, drain, clock, until=datetime(2028, 5, 1, tzinfo=UTC))

    year_one = [date(2027, month, 4) for month in range(2, 13)] + [date(2028, 1, 4)]
    invited = received(mailbox, "How is")
    for person in (world.mentees[0], world.mentors[0]):
        assert invited[person["email"]] == [*year_one, date(2028, 4, 4)], person["role"]
    with app.app_context():
        in_depth = db.session.scalars(
            sa.select(Contact.due_on)
            .where(Contact.pair_id == pair["id"], Contact.kind == "in_depth")
            .order_by(Contact.due_on)
        ).all()
        recipients = set(
            db.session.scalars(sa.select(Contact.recipient).where(Contact.kind == "in_depth"))
        )
        items = db.session.scalars(
            sa.select(InboxItem.title).where(
                InboxItem.user_id == coordinator_id, InboxItem.kind == "staff_contact_due"
            )
        ).all()
    quarterly = [date(2027, 7, 4), date(2027, 10, 4), date(2028, 1, 4), date(2028, 4, 4)]
    assert in_depth == [date(2027, 2, 4), date(2027, 3, 4), date(2027, 4, 4), *quarterly]
    assert recipients == {"staff"}
    assert len(items) == len(in_depth)
    assert all(title.startswith("An in-depth support meeting") for title in items)


# -- youth programs --------------------------------------------------------------------------


@pytest.mark.parametrize("youth", [True, False], ids=["youth", "adult"])
def test_the_guardian_is_invited_to_check_ins_only_in_youth_programs(
    app, api, mailbox, drain, youth
):
    with time_machine.travel(START, tick=False) as clock:
        world = World.build(api, mentors=1, mentees=1, youth=youth, **QUIET)
        guardian = world.add_participant("guardian", guardian_of_id=world.mentees[0]["id"])
        pair = world.drive_to("active")
        # The first check-in of MENTOR's Elements: two weeks after the match.
        simulate(app, drain, clock, until=START + timedelta(days=15), answering=())

    guardian_mail = [m["Subject"] for m in mailbox.to(guardian["email"])]
    mentee_mail = [m["Subject"] for m in mailbox.to(world.mentees[0]["email"])]
    assert any(s.startswith("How is mentoring going?") for s in mentee_mail)
    with app.app_context():
        guardian_contacts = db.session.scalars(
            sa.select(Contact).where(
                Contact.pair_id == pair["id"], Contact.participant_id == guardian["id"]
            )
        ).all()
    if youth:
        assert [s.split(" - ")[0] for s in guardian_mail] == [
            "How is mentoring going for your child?"
        ]
        assert [c.kind for c in guardian_contacts] == ["checkin"]
    else:
        assert guardian_mail == []
        assert guardian_contacts == []


# -- language --------------------------------------------------------------------------------


def test_participants_are_invited_in_their_language_with_english_as_the_fallback(
    app, api, mailbox, drain
):
    with time_machine.travel(START, tick=False) as clock:
        world = World.build(api, mentors=0, mentees=0, **QUIET)
        world.mentees.append(world.add_participant("mentee", trained=True, language="es"))
        world.mentors.append(world.add_participant("mentor", trained=True, language="fr"))
        world.drive_to("active")
        simulate(app, drain, clock, until=START + timedelta(days=15), answering=())

    [spanish] = [
        m for m in mailbox.to(world.mentees[0]["email"]) if m["Subject"].startswith("How is")
    ]
    assert plain_text(spanish).startswith("Hola, ")
    assert "quiere saber de ti" in plain_text(spanish)
    assert "Hola, " in html_text(spanish)
    assert "would like to hear from you" not in plain_text(spanish)

    [french_speaker] = [
        m for m in mailbox.to(world.mentors[0]["email"]) if m["Subject"].startswith("How is")
    ]
    assert plain_text(french_speaker).startswith("Hello ")
    assert "would like to hear from you" in plain_text(french_speaker)
    assert "Hello " in html_text(french_speaker)
    assert_no_duplicates(mailbox)
