"""Telling staff: safety alerts within one worker cycle, proposals waiting on a coordinator,
per-user e-mail preferences, the daily digest, and e-mail that fails (retried with back-off,
visible, never dropped). E-mail goes over a real SMTP server on localhost."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from service.accounts import service as accounts
from service.accounts.models import EMAIL_KINDS
from service.database import db
from service.inbox.digest import send_daily_digests
from service.inbox.models import InboxItem
from service.notifications.models import Notification
from service.notifications.service import RETRY_DELAYS
from service.scheduler import tick
from service.worker import run_worker
from tests.helpers import CALM_MENTEE_CHECKIN, SurveyTaker, World, invite
from tests.helpers.servers import free_port

SECRET = "he followed me home after the session at the library"


def coordinator(app, email: str, **preferences: bool) -> int:
    with app.app_context():
        user = accounts.create(email=email, full_name=email.split("@")[0], role="coordinator")
        if preferences:
            user.email_preferences = {**user.email_preferences, **preferences}
            db.session.commit()
        return user.id


def assign(api, pair_id: int, user_id: int) -> None:
    api.colleague("admin").ok("patch", f"/pairs/{pair_id}", {"coordinator_id": user_id})


def inbox_of(app, user_id: int, kind: str | None = None) -> list[InboxItem]:
    with app.app_context():
        query = sa.select(InboxItem).where(InboxItem.user_id == user_id).order_by(InboxItem.id)
        if kind is not None:
            query = query.where(InboxItem.kind == kind)
        items = db.session.scalars(query).all()
        db.session.expunge_all()
    return list(items)


def text_of(message) -> str:
    """Every part of an e-mail, as text."""
    return "\n".join(
        part.get_content() for part in message.walk() if part.get_content_maintype() == "text"
    )


def report_safety_concern(api, world: World, pair: dict) -> None:
    """The mentee answers a check-in saying they feel unsafe, through the real survey page."""
    invitation = invite(api, "checkin_mentee", world.mentees[0]["id"], pair["id"])
    answers = {**CALM_MENTEE_CHECKIN, "feels_unsafe": "yes", "safety_details": SECRET}
    response = SurveyTaker(api.client, invitation["url"]).submit(answers)
    assert response.status_code == 303, response.get_data(as_text=True)[:500]


# -- safety alerts ---------------------------------------------------------------------------


def test_a_safety_answer_emails_the_coordinator_within_one_worker_cycle_without_answer_text(
    app, api, mailbox, drain
):
    world = World.build(api, mentors=1, mentees=1)
    user_id = coordinator(app, "safe@example.org")
    pair = world.drive_to("active")
    assign(api, pair["id"], user_id)
    drain()

    report_safety_concern(api, world, pair)
    # One worker cycle: the clock ticks once, one burst worker empties the queues.
    with app.app_context():
        tick(app, holder="tests")
    run_worker(app, burst=True, with_clock=False)

    [alert] = mailbox.to("safe@example.org")
    assert alert["Subject"] == f"URGENT: Safety concern reported for pair #{pair['id']}"
    assert f"/console/pairs/{pair['id']}" in text_of(alert)
    [item] = inbox_of(app, user_id, "safety_alert")
    assert item.urgent and item.pair_id == pair["id"]
    for text in (text_of(alert), item.title, item.body):
        assert SECRET not in text
        assert "library" not in text
        assert "unsafe" not in text.lower()


# -- proposals waiting on a coordinator, and e-mail preferences -------------------------------


def _propose_closure(api, pair_id: int) -> dict:
    final = (datetime.now(UTC).date() + timedelta(days=14)).isoformat()
    proposed = api.trigger(pair_id, "begin_closure", final_session_on=final)
    assert proposed.status_code == 202, proposed.get_json()
    return proposed.get_json()["proposal"]


def test_a_proposal_waiting_for_approval_reaches_the_coordinators_inbox_and_email(
    app, api, mailbox, drain
):
    world = World.build(api, mentors=1, mentees=1)
    user_id = coordinator(app, "eager@example.org")
    pair = world.drive_to("active")
    assign(api, pair["id"], user_id)

    _propose_closure(api, pair["id"])
    drain()

    [item] = inbox_of(app, user_id, "proposal_waiting")
    assert item.pair_id == pair["id"]
    assert item.title == f"Approval needed: begin closure for pair #{pair['id']}"
    [email] = mailbox.to("eager@example.org")
    assert email["Subject"] == item.title


def test_a_coordinators_email_says_it_comes_because_they_coordinate_the_pair(
    app, api, mailbox, drain
):
    world = World.build(api, mentors=1, mentees=1)
    pair = world.drive_to("active")
    assign(api, pair["id"], coordinator(app, "eager@example.org"))

    _propose_closure(api, pair["id"])
    drain()

    [email] = mailbox.to("eager@example.org")
    assert "because you coordinate this pair" in email.get_body(("plain",)).get_content()


def test_a_coordinator_who_turned_off_proposal_emails_gets_the_inbox_item_only(
    app, api, mailbox, drain
):
    world = World.build(api, mentors=1, mentees=1)
    user_id = coordinator(app, "quiet@example.org", proposal_waiting=False)
    pair = world.drive_to("active")
    assign(api, pair["id"], user_id)

    _propose_closure(api, pair["id"])
    drain()

    assert len(inbox_of(app, user_id, "proposal_waiting")) == 1
    assert mailbox.to("quiet@example.org") == []


def test_safety_alerts_are_emailed_whatever_the_coordinators_preferences(app, api, mailbox, drain):
    world = World.build(api, mentors=1, mentees=1)
    user_id = coordinator(app, "nomail@example.org", **dict.fromkeys(EMAIL_KINDS, False))
    pair = world.drive_to("active")
    assign(api, pair["id"], user_id)

    report_safety_concern(api, world, pair)
    drain()

    assert len(inbox_of(app, user_id, "safety_alert")) == 1
    [alert] = mailbox.to("nomail@example.org")
    assert alert["Subject"].startswith("URGENT: Safety concern")


# -- the daily digest ------------------------------------------------------------------------

MONDAY = datetime(2027, 1, 4, 10, 0, tzinfo=UTC)
WEDNESDAY = datetime(2027, 1, 6, 10, 0, tzinfo=UTC)
WEDNESDAY_EVENING = datetime(2027, 1, 6, 18, 0, tzinfo=UTC)


def digests(mailbox, address: str) -> list:
    return [m for m in mailbox.to(address) if m["Subject"].startswith("Your Pairwise digest")]


@pytest.fixture
def digest_world(app, api):
    """Cora looks after pairs A and B, Otto after C. All three started on Monday; on
    Wednesday A and C are flagged at risk and B's closure is proposed."""
    with time_machine.travel(MONDAY, tick=False) as clock:
        world = World.build(api, mentors=3, mentees=3)
        cora = coordinator(app, "cora@example.org")
        otto = coordinator(app, "otto@example.org")
        a, b, c = (world.drive_to("active", i, i) for i in range(3))
        for pair, user_id in ((a, cora), (b, cora), (c, otto)):
            assign(api, pair["id"], user_id)
        clock.move_to(WEDNESDAY)
        for pair in (a, c):
            flagged = api.trigger(pair["id"], "flag_risk", signals=["too_busy_to_schedule"])
            assert flagged.status_code == 200, flagged.get_json()
        _propose_closure(api, b["id"])
    return {"cora": cora, "otto": otto, "a": a["id"], "b": b["id"], "c": c["id"]}


def test_the_daily_digest_goes_once_per_coordinator_per_day(app, mailbox, drain, digest_world):
    with time_machine.travel(WEDNESDAY_EVENING, tick=False) as clock:
        with app.app_context():
            assert send_daily_digests() == 2
            assert send_daily_digests() == 0
        drain()
        assert len(inbox_of(app, digest_world["cora"], "digest")) == 1
        assert [m["Subject"] for m in digests(mailbox, "cora@example.org")] == [
            "Your Pairwise digest for 06 January 2027"
        ]
        assert len(digests(mailbox, "otto@example.org")) == 1

        clock.move_to(WEDNESDAY_EVENING + timedelta(days=1))
        with app.app_context():
            assert send_daily_digests() == 2
        assert len(inbox_of(app, digest_world["cora"], "digest")) == 2


def test_the_daily_digest_lists_what_changed_on_the_coordinators_pairs_in_the_last_day(
    app, mailbox, drain, digest_world
):
    with time_machine.travel(WEDNESDAY_EVENING, tick=False):
        with app.app_context():
            send_daily_digests()
        drain()
    a, b, c = digest_world["a"], digest_world["b"], digest_world["c"]
    [digest] = digests(mailbox, "cora@example.org")
    body = digest.get_body(preferencelist=("plain",)).get_content()
    assert f"Pair #{a}: active → at_risk" in body
    assert "1 proposal(s) wait for your decision" in body
    # Monday's activations are older than a day; pair C is Otto's.
    assert "training → active" not in body
    assert f"Pair #{c}" not in body
    [item] = inbox_of(app, digest_world["cora"], "digest")
    assert f"Pair #{a}: active → at_risk" in item.body
    [otto_digest] = digests(mailbox, "otto@example.org")
    otto_body = otto_digest.get_body(preferencelist=("plain",)).get_content()
    assert f"Pair #{c}: active → at_risk" in otto_body
    assert f"Pair #{a}" not in otto_body and f"Pair #{b}" not in otto_body


# -- e-mail that cannot be sent --------------------------------------------------------------

SENT_AT = datetime(2027, 1, 4, 10, 0, tzinfo=UTC)


def _notification(app, notification_id: int) -> Notification:
    with app.app_context():
        row = db.session.get(Notification, notification_id)
        db.session.expunge(row)
    return row


def _invite_by_email(app, api, world: World) -> int:
    invite(api, "application_mentee", world.mentees[0]["id"], send_email=True)
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.max(Notification.id)))


def test_a_failing_send_is_retried_with_back_off_and_shown_as_failed_after_the_last_retry(
    app, api, admin_api, mailbox, drain, monkeypatch
):
    monkeypatch.setitem(app.config, "SMTP_PORT", free_port())  # nothing listens there
    with time_machine.travel(SENT_AT, tick=False) as clock:
        world = World.build(api, mentors=0, mentees=1)
        notification_id = _invite_by_email(app, api, world)
        drain()

        first = _notification(app, notification_id)
        assert (first.status, first.attempts) == ("pending", 1)
        assert first.last_error
        assert first.next_attempt_at == SENT_AT + RETRY_DELAYS[0]
        [listed] = [
            n for n in admin_api.ok("get", "/notifications")["items"] if n["id"] == notification_id
        ]
        assert (listed["status"], listed["attempts"]) == ("pending", 1)
        assert listed["last_error"] == first.last_error

        # Not before its time...
        clock.move_to(first.next_attempt_at - timedelta(seconds=1))
        drain()
        assert _notification(app, notification_id).attempts == 1

        # ...then at each of its retries, waiting longer each time.
        moment = first.next_attempt_at
        for attempt, delay in enumerate(RETRY_DELAYS[1:], start=2):
            clock.move_to(moment)
            drain()
            retried = _notification(app, notification_id)
            assert (retried.status, retried.attempts) == ("pending", attempt)
            assert retried.next_attempt_at == moment + delay
            moment = retried.next_attempt_at
        clock.move_to(moment)
        drain()

        failed = admin_api.ok("get", "/notifications?status=failed")["items"]
        assert [(n["id"], n["attempts"]) for n in failed] == [
            (notification_id, len(RETRY_DELAYS) + 1)
        ]
        assert failed[0]["last_error"]
        assert failed[0]["to_address"] == world.mentees[0]["email"]
        pending = admin_api.ok("get", "/notifications?status=pending")["items"]
        assert notification_id not in [n["id"] for n in pending]
    assert mailbox.messages == []


def test_an_email_that_failed_is_delivered_once_the_server_is_back(
    app, api, mailbox, drain, monkeypatch
):
    working_port = app.config["SMTP_PORT"]
    monkeypatch.setitem(app.config, "SMTP_PORT", free_port())
    with time_machine.travel(SENT_AT, tick=False) as clock:
        world = World.build(api, mentors=0, mentees=1)
        notification_id = _invite_by_email(app, api, world)
        drain()
        assert _notification(app, notification_id).attempts == 1

        monkeypatch.setitem(app.config, "SMTP_PORT", working_port)
        clock.move_to(SENT_AT + RETRY_DELAYS[0])
        drain()

        sent = _notification(app, notification_id)
        assert (sent.status, sent.attempts) == ("sent", 2)
        [email] = mailbox.to(world.mentees[0]["email"])
        assert email["Subject"].startswith("Apply for a mentor")


def test_an_email_whose_template_is_broken_fails_visibly_instead_of_hanging(
    app, api, admin_api, drain
):
    from service.notifications import service as notifications

    with time_machine.travel(SENT_AT, tick=False) as clock, app.app_context():
        broken = notifications.queue_email(
            template="no_such_template", to_address="x@example.org", context={}
        )
        broken_id = broken.id
        db.session.commit()
        for delay in (0, 30, 150, 750, 2550, 9750):
            clock.move_to(SENT_AT + timedelta(seconds=delay + 1))
            notifications.deliver_waiting()
    assert _notification(app, broken_id).status == "failed"
    failed = admin_api.ok("get", "/notifications?status=failed")["items"]
    assert [n["id"] for n in failed] == [broken_id]
    assert "no_such_template" in failed[0]["last_error"]


def test_the_event_follow_up_email_carries_conversation_starters(app, api, mailbox, drain):
    world = World.build(
        api,
        mentors=1,
        mentees=1,
        cadence_policy="event_based",
        event_on="2027-01-04",
        timezone="UTC",
    )
    pair = world.drive_to("active")
    invite(api, "event_followup", pair["mentee_id"], pair["id"], send_email=True)
    drain()
    [message] = mailbox.to(world.mentees[0]["email"])
    text = message.get_body(("plain",)).get_content()
    assert "Thank them for their time and support" in text
    assert "Follow up on something you talked about" in text
