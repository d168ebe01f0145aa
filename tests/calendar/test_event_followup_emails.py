"""Event-based programs: the follow-up after the event goes to mentors and mentees in separate
e-mails. The mentee's encourages them to get in touch with their mentor, with conversation
starters; the mentor's thanks them. Each is read as the test SMTP server received it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from tests.helpers import World
from tests.helpers.calendar import simulate

pytestmark = pytest.mark.slow

EVENT = datetime(2027, 1, 4, 8, 0, tzinfo=UTC)
# The follow-up is due 17 days after the event (21 January); its reminder comes 3 days later.
AFTER_FOLLOW_UP = datetime(2027, 1, 22, 12, 0, tzinfo=UTC)


def _text(message) -> str:
    """The plain text, its lines joined: a sentence reads the same wherever it wraps."""
    return " ".join(message.get_body(("plain",)).get_content().split())


def _follow_ups(app, api, mailbox, drain) -> tuple[list, list]:
    with time_machine.travel(EVENT, tick=False) as clock:
        world = World.build(
            api,
            mentors=1,
            mentees=1,
            cadence_policy="event_based",
            event_on=EVENT.date().isoformat(),
            timezone="UTC",
        )
        world.drive_to("active")
        simulate(app, drain, clock, until=AFTER_FOLLOW_UP, answering=())

    def about_the_event(address: str) -> list:
        # The follow-up itself, not the reminder that comes when it is left unanswered.
        return [m for m in mailbox.to(address) if "The link works until" in _text(m)]

    return about_the_event(world.mentees[0]["email"]), about_the_event(world.mentors[0]["email"])


def test_the_event_follow_up_goes_to_the_mentee_and_the_mentor_in_separate_emails(
    app, api, mailbox, drain
):
    mentee_mail, mentor_mail = _follow_ups(app, api, mailbox, drain)

    assert len(mentee_mail) == 1 and len(mentor_mail) == 1
    assert mentee_mail[0]["Subject"] != mentor_mail[0]["Subject"]


def test_the_mentees_follow_up_encourages_them_to_contact_their_mentor_with_conversation_starters(
    app, api, mailbox, drain
):
    [message], _ = _follow_ups(app, api, mailbox, drain)

    text = _text(message)
    assert message["Subject"].startswith("Get in touch with your mentor")
    assert "Now is a good time to get in touch with your mentor" in text
    assert "A few ways to start a conversation:" in text
    assert "Thank them for their time and support at the event." in text
    assert "Ask the one question you did not have time for at the event." in text


def test_the_mentors_follow_up_thanks_them(app, api, mailbox, drain):
    _, [message] = _follow_ups(app, api, mailbox, drain)

    text = _text(message)
    assert message["Subject"].startswith("Thank you for mentoring at the event")
    assert "Thank you for mentoring at the" in text
    assert "we are grateful" in text
    assert "start a conversation" not in text
