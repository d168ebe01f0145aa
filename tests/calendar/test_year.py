"""A year of a long-term program, on a controllable clock, with e-mail over real SMTP.

50 pairs start on the same Monday. Mentees answer every survey they get; mentors never do,
so every one of their invitations gets its reminder. Five pairs go at risk in the third
month and are resolved two months later.
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
from workflows.cadence import POLICIES

pytestmark = [pytest.mark.slow, pytest.mark.long(100)]

START = datetime(2027, 1, 4, 8, 0, tzinfo=UTC)
END = START + timedelta(days=365)
PAIRS = 50
AT_RISK = range(5)
FLAGGED_ON = START + timedelta(days=60, hours=2)
RESOLVED_ON = START + timedelta(days=120, hours=2)


def _subject_starts(message, text: str) -> bool:
    return message["Subject"].startswith(text)


@pytest.fixture(scope="module")
def year(app, smtp_server) -> dict:
    """The year, simulated once for this module: what was sent, and the calendar's contacts
    and the coordinator's overdue items as they stood at its end. Every test reads it."""
    inbox, _ = smtp_server
    state.reset(app)
    inbox.messages.clear()
    api = service_api(app)
    with time_machine.travel(START, tick=False) as clock:
        world = World.build(
            api,
            mentors=PAIRS,
            mentees=PAIRS,
            name="A year",
            timezone="UTC",
            no_meeting_alert_days=None,
            match_length_months=None,
        )
        with app.app_context():
            coordinator = accounts.create(
                email="coord@example.org", full_name="Cora Ordinator", role="coordinator"
            )
            coordinator_id = coordinator.id
        pairs = []
        for index in range(PAIRS):
            pair = world.drive_to("active", mentee_index=index, mentor_index=index)
            api.colleague("admin").ok(
                "patch", f"/pairs/{pair['id']}", {"coordinator_id": coordinator_id}
            )
            pairs.append(pair)
        at_risk = [pairs[index]["id"] for index in AT_RISK]

        def flag() -> None:
            for pair_id in at_risk:
                api.trigger(pair_id, "flag_risk", signals=["too_busy_to_schedule"])

        def resolve() -> None:
            for pair_id in at_risk:
                api.ok("post", f"/pairs/{pair_id}/interventions", {"description": "Call"})
                assert api.trigger(pair_id, "resolve").status_code == 200

        simulate(
            app,
            lambda: state.drain(app),
            clock,
            until=END,
            answering=("mentee",),
            actions=[(FLAGGED_ON, flag), (RESOLVED_ON, resolve)],
        )
    year = {
        "pairs": pairs,
        "world": world,
        "messages": list(inbox.messages),
        "coordinator_id": coordinator_id,
    }
    with app.app_context():
        year["contacts"] = db.session.scalars(sa.select(Contact)).all()
        db.session.expunge_all()
        year["overdue_items"] = db.session.scalar(
            sa.select(sa.func.count(InboxItem.id)).where(
                InboxItem.user_id == coordinator_id, InboxItem.kind == "checkin_overdue"
            )
        )
    return year


def test_a_year_of_fifty_pairs_sends_over_a_thousand_messages(year):
    assert len(year["messages"]) > 1000


def _by_recipient(year, subject: str) -> dict[str, list[date]]:
    sent: dict[str, list[date]] = defaultdict(list)
    for message in year["messages"]:
        if _subject_starts(message, subject):
            sent[message["To"]].append(sent_on(message).date())
    return sent


def _emails(year, index: int) -> tuple[str, str]:
    world = year["world"]
    return world.mentees[index]["email"], world.mentors[index]["email"]


def _expected_checkins(*, at_risk: bool) -> list[date]:
    plan = next(p for p in POLICIES["mentor_eep"].contacts if p.kind == "checkin")
    regular = list(itertools.takewhile(lambda d: d <= END.date(), plan.occurrences(START.date())))
    if not at_risk:
        return regular
    flagged, resolved = FLAGGED_ON.date(), RESOLVED_ON.date()
    tight = [flagged + timedelta(days=14 * n) for n in range(1, 5)]
    return [d for d in regular if d <= flagged] + tight + [d for d in regular if d > resolved]


def test_every_participant_is_invited_twice_in_the_first_month_then_monthly(year):
    invited = _by_recipient(year, "How is")
    for index in range(len(AT_RISK), PAIRS):
        for email in _emails(year, index):
            assert invited[email] == _expected_checkins(at_risk=False), email
    first_month = [d for d in invited[_emails(year, 10)[0]] if d < date(2027, 2, 4)]
    assert len(first_month) == 2


def test_at_risk_pairs_are_contacted_every_two_weeks_until_resolved(year):
    invited = _by_recipient(year, "How is")
    for index in AT_RISK:
        for email in _emails(year, index):
            days = invited[email]
            assert days == _expected_checkins(at_risk=True), email
            during = [d for d in days if FLAGGED_ON.date() < d <= RESOLVED_ON.date()]
            assert [(b - a).days for a, b in itertools.pairwise(during)] == [14, 14, 14]


def test_nobody_receives_the_same_message_twice(year):
    counts = Counter((m["To"], m["Subject"], sent_on(m).date()) for m in year["messages"])
    assert [key for key, n in counts.items() if n > 1] == []


def test_each_unanswered_invitation_gets_one_reminder_and_answered_ones_none(year):
    invited = _by_recipient(year, "How is")
    reminded = _by_recipient(year, "Reminder: How is")
    for index in range(PAIRS):
        mentee, mentor = _emails(year, index)
        assert reminded.get(mentee, []) == []
        # Reminders go out at nine, three days on; the simulated year ends at eight.
        assert reminded[mentor] == [
            d + timedelta(days=3) for d in invited[mentor] if d + timedelta(days=3) < END.date()
        ]


def test_the_first_meeting_check_in_goes_to_both_once(year):
    sent = _by_recipient(year, "How was your first meeting")
    for index in range(PAIRS):
        for email in _emails(year, index):
            assert sent[email] == [START.date() + timedelta(days=2)]


def test_unanswered_invitations_end_up_on_the_coordinators_list(year):
    mentor_contacts = [c for c in year["contacts"] if c.recipient.startswith("mentor:")]
    overdue = [c for c in mentor_contacts if c.status == "overdue"]
    assert len(overdue) >= len(mentor_contacts) - PAIRS  # the last of the year may still wait
    assert year["overdue_items"] >= len(overdue)


def test_every_contact_was_made_once(year):
    keys = Counter((c.pair_id, c.kind, c.recipient, c.due_on) for c in year["contacts"])
    assert max(keys.values()) == 1


def test_at_risk_pairs_have_their_coordinators_call_due_the_day_they_are_flagged(year):
    flagged = FLAGGED_ON.date()  # a Friday
    for index in AT_RISK:
        pair_id = year["pairs"][index]["id"]
        calls = sorted(
            c.due_on
            for c in year["contacts"]
            if c.pair_id == pair_id
            and c.recipient == "staff"
            and flagged <= c.due_on <= RESOLVED_ON.date()
        )
        assert calls == [flagged + timedelta(days=14 * n) for n in range(5)]


def test_no_participant_was_sent_two_check_ins_within_a_week(year):
    for days in _by_recipient(year, "How is").values():
        assert min((b - a).days for a, b in itertools.pairwise(days)) >= 7
