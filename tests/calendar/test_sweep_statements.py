"""The sweep's cost follows its batches, not the items due: the contacts of a batch are made
with a fixed number of statements, counted as the database driver is handed them."""

from __future__ import annotations

from collections import Counter

import pytest
import sqlalchemy as sa

from service.calendar.models import Contact, Schedule
from service.calendar.sweep import sweep
from service.clock import now
from service.database import db
from service.events.models import OutboxEvent
from service.pairs.models import Pair
from tests.helpers import World

pytestmark = pytest.mark.slow

QUIET = {"timezone": "UTC", "no_meeting_alert_days": None, "match_length_months": None}
# The schedules that make contacts: participants' surveys and the coordinator's check-in.
CONTACT_KINDS = ("checkin", "first_meeting", "staff_contact")


def make_due(app, pair_ids: list[int]) -> None:
    with app.app_context():
        db.session.execute(
            sa.update(Schedule)
            .where(Schedule.pair_id.in_(pair_ids), Schedule.kind.in_(CONTACT_KINDS))
            .values(next_due_at=now())
        )
        db.session.commit()


def counted_sweep(app) -> tuple[int, int]:
    """Sweep once; the statements it sent and the contacts it made."""
    statements, made = sent_by_sweep(app)
    return len(statements), made


def sent_by_sweep(app) -> tuple[list[str], int]:
    """Sweep once; the statements it sent, as the driver got them, and the contacts made."""
    statements: list[str] = []

    def count(connection, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", count)
        try:
            result = sweep()
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", count)
        assert result.failures == []
    return statements, result.contacts


@pytest.fixture
def pairs(api) -> list[int]:
    world = World.build(api, mentors=9, mentees=9, **QUIET)
    return [world.drive_to("active", mentee_index=i, mentor_index=i)["id"] for i in range(9)]


def test_a_sweep_with_six_pairs_due_sends_as_many_statements_as_with_two(app, pairs):
    make_due(app, pairs[:1])
    counted_sweep(app)  # the survey versions are stored the first time they are used
    make_due(app, pairs[1:3])
    two, made_for_two = counted_sweep(app)
    make_due(app, pairs[3:9])
    six, made_for_six = counted_sweep(app)

    # Each pair: a check-in and the first-meeting survey for mentee and mentor, and the
    # coordinator's check-in.
    assert (made_for_two, made_for_six) == (2 * 5, 6 * 5)
    assert six == two, f"{two} statements for 2 pairs due, {six} for 6"


def test_on_postgresql_a_batch_sends_the_same_statement_texts_for_six_pairs_due_as_for_two(
    app, pairs
):
    # The rows a batch writes go as one JSON document per statement, not a VALUES list that
    # grows with the batch: the statements stay short, and psycopg parses each text once.
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("SQLite takes the rows as multi-row VALUES")
    make_due(app, pairs[:1])
    sent_by_sweep(app)
    make_due(app, pairs[1:3])
    two, _ = sent_by_sweep(app)
    make_due(app, pairs[3:9])
    six, made_for_six = sent_by_sweep(app)

    assert made_for_six == 6 * 5
    assert writes(six) == writes(two)
    assert max(len(statement) for statement in writes(six)) < 4096  # psycopg caches shorter


def writes(statements: list[str]) -> list[str]:
    """The INSERTs, UPDATEs and DELETEs (reads list the ids they look up)."""
    return [s for s in statements if s.lstrip().startswith(("INSERT", "UPDATE", "DELETE"))]


def test_contacts_made_in_bulk_keep_each_pairs_events_numbered_in_order(app, pairs):
    make_due(app, pairs[:4])
    counted_sweep(app)

    with app.app_context():
        events = db.session.execute(
            sa.select(OutboxEvent.pair_id, OutboxEvent.pair_sequence, OutboxEvent.payload)
            .where(OutboxEvent.pair_id.in_(pairs[:4]), OutboxEvent.type == "checkin.due")
            .order_by(OutboxEvent.id)
        ).all()
        every_sequence = db.session.execute(
            sa.select(OutboxEvent.pair_id, OutboxEvent.pair_sequence).where(
                OutboxEvent.pair_id.in_(pairs[:4])
            )
        ).all()
        contacts = db.session.scalars(
            sa.select(Contact).where(Contact.pair_id.in_(pairs[:4]))
        ).all()
    assert len(events) == len(contacts) == 4 * 5
    for pair_id in pairs[:4]:
        mine = [sequence for owner, sequence, _ in events if owner == pair_id]
        assert mine == sorted(mine)
        numbers = sorted(sequence for owner, sequence in every_sequence if owner == pair_id)
        assert numbers == list(range(1, len(numbers) + 1))
    assert {payload["contact"]["id"] for *_, payload in events} == {c.id for c in contacts}
    assert all(c.invitation_id is not None for c in contacts if c.participant_id is not None)
    assert Counter(c.status for c in contacts) == {"invited": 16, "due": 4}


def remind_due(app, pair_ids: list[int]) -> None:
    """The participants of these pairs have not answered, and their reminder is due."""
    with app.app_context():
        db.session.execute(
            sa.update(Contact)
            .where(Contact.pair_id.in_(pair_ids), Contact.participant_id.is_not(None))
            .values(next_reminder_at=now())
        )
        db.session.commit()


def test_reminding_six_pairs_sends_as_many_statements_as_reminding_two(app, pairs):
    make_due(app, pairs)
    counted_sweep(app)
    remind_due(app, pairs[:1])
    counted_sweep(app)
    remind_due(app, pairs[1:3])
    two = counted_sweep(app)[0]
    remind_due(app, pairs[3:9])
    six = counted_sweep(app)[0]

    with app.app_context():
        reminded = db.session.scalar(
            sa.select(sa.func.count(Contact.id)).where(Contact.reminders_sent == 1)
        )
    assert reminded == 9 * 4
    assert six == two, f"{two} statements for 2 pairs' reminders, {six} for 6"


def test_a_due_check_in_the_pairs_state_no_longer_wants_is_not_sent(app, pairs):
    # The pair moved on and its calendar was left to be redrawn later: the sweep asks the
    # pair's state at the moment it would make the contact.
    with app.app_context():
        db.session.execute(sa.update(Pair).where(Pair.id == pairs[0]).values(state="closing"))
        db.session.commit()
    make_due(app, pairs[:2])
    counted_sweep(app)

    with app.app_context():
        contacts = db.session.scalars(sa.select(Contact).where(Contact.pair_id.in_(pairs[:2])))
        kinds = db.session.scalars(sa.select(Schedule.kind).where(Schedule.pair_id == pairs[0]))
        made = Counter(contact.pair_id for contact in contacts)
        left = set(kinds)
    assert made == {pairs[1]: 5}
    assert not left & set(CONTACT_KINDS)


def test_a_sweep_with_nothing_due_sends_three_reads_and_the_stalled_e_mails_update(app, pairs):
    make_due(app, pairs[:1])
    counted_sweep(app)

    statements, made = sent_by_sweep(app)

    assert made == 0
    assert len(statements) == 4, statements
    assert sum(s.lstrip().startswith("SELECT") for s in statements) == 3
