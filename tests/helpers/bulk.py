"""Many pairs in a few statements: copies of one pair with everything it has, on PostgreSQL.

Each table is copied by one `INSERT … SELECT … FROM generate_series(1, n)`, so a million
pairs take seconds, not hours: the query-plan test fills its database this way, and so does
bench/scaling.py. Copy `g` of the pair gets its own mentee and mentor (their e-mails made
unique), the pair's schedules, contacts, transition records, proposals, invitations (fresh
nonces), survey responses, outbox events and webhook deliveries (fresh event ids, positions
after the last), and its staff's inbox items.
"""

from __future__ import annotations

from collections.abc import Collection

import sqlalchemy as sa

# Per table: the columns given their own value in each copy, as SQL over the row `t`, the
# copy's number `g`, and :pair, :mentee, :mentor (the template's ids) and :pairs and
# :people (the first new pair id and participant id, less one).
_PERSON = "(:people + 2 * g - CASE WHEN t.id = :mentee THEN 1 ELSE 0 END)"
_PARTICIPANT = (
    "CASE t.participant_id WHEN :mentee THEN :people + 2 * g - 1 "
    "WHEN :mentor THEN :people + 2 * g ELSE t.participant_id END"
)
_EVENT = "'evt_' || left(md5(t.event_id || '-' || (:pairs + g)), 32)"
_COPIED: list[tuple[str, str, dict[str, str]]] = [
    (
        "participants",
        "t.id IN (:mentee, :mentor)",
        {
            "id": _PERSON,
            "email": f"'copy' || {_PERSON} || '.' || t.email",
            "guardian_of_id": "NULL",
        },
    ),
    (
        "pairs",
        "t.id = :pair",
        {
            "id": ":pairs + g",
            "mentee_id": ":people + 2 * g - 1",
            "mentor_id": "CASE WHEN t.mentor_id IS NULL THEN NULL ELSE :people + 2 * g END",
            "predecessor_id": "NULL",
            "successor_id": "NULL",
        },
    ),
    ("schedules", "t.pair_id = :pair", {"pair_id": ":pairs + g"}),
    (
        "invitations",
        "t.pair_id = :pair",
        {
            "pair_id": ":pairs + g",
            "participant_id": _PARTICIPANT,
            "nonce": "left(md5(t.nonce || '-' || (:pairs + g)), 32)",
            "reissued_from_id": "NULL",
        },
    ),
    (
        "contacts",
        "t.pair_id = :pair",
        {"pair_id": ":pairs + g", "participant_id": _PARTICIPANT, "invitation_id": "NULL"},
    ),
    (
        "survey_responses",
        "t.pair_id = :pair",
        {"pair_id": ":pairs + g", "participant_id": _PARTICIPANT, "invitation_id": "NULL"},
    ),
    ("proposals", "t.pair_id = :pair", {"pair_id": ":pairs + g", "transition_id": "NULL"}),
    ("transition_records", "t.pair_id = :pair", {"pair_id": ":pairs + g", "proposal_id": "NULL"}),
    (
        "outbox_events",
        "t.pair_id = :pair",
        {
            "pair_id": ":pairs + g",
            "event_id": _EVENT,
            "position": (
                "CASE WHEN t.position IS NULL THEN NULL ELSE "
                "(SELECT coalesce(max(position), 0) FROM outbox_events) "
                "+ row_number() OVER () END"
            ),
        },
    ),
    ("webhook_deliveries", "t.pair_id = :pair", {"pair_id": ":pairs + g", "event_id": _EVENT}),
    (
        "inbox_items",
        "t.pair_id = :pair",
        {
            "pair_id": ":pairs + g",
            "event_id": f"CASE WHEN t.event_id IS NULL THEN NULL ELSE {_EVENT} END",
        },
    ),
]


def copy_pair(
    connection: sa.Connection, pair_id: int, copies: int, *, only: Collection[str] = ()
) -> range:
    """`copies` copies of pair `pair_id` and its rows (PostgreSQL), numbered after the last
    pair and participant; returns the new pairs' ids. `only` names the tables copied beside
    pairs and participants (all by default). The caller commits, then ANALYZEs."""
    pair = connection.execute(
        sa.text("SELECT mentee_id, mentor_id FROM pairs WHERE id = :id"), {"id": pair_id}
    ).one()
    values = {
        "pair": pair_id,
        "mentee": pair.mentee_id,
        "mentor": pair.mentor_id or 0,
        "pairs": connection.scalar(sa.text("SELECT coalesce(max(id), 0) FROM pairs")),
        "people": connection.scalar(sa.text("SELECT coalesce(max(id), 0) FROM participants")),
        "copies": copies,
    }
    for table, where, given in _COPIED:
        if only and table not in {"pairs", "participants", *only}:
            continue
        columns = [
            name
            for name in connection.scalars(
                sa.text(
                    "SELECT column_name FROM information_schema.columns "
                    "WHERE table_name = :table AND table_schema = current_schema() "
                    "ORDER BY ordinal_position"
                ),
                {"table": table},
            )
            if name != "id" or "id" in given
        ]
        chosen = ", ".join(given.get(name, f"t.{name}") for name in columns)
        connection.execute(
            sa.text(
                f"INSERT INTO {table} ({', '.join(columns)}) SELECT {chosen} "
                f"FROM {table} t CROSS JOIN generate_series(1, :copies) g WHERE {where}"
            ),
            values,
        )
    for table in ("pairs", "participants"):  # ids given above: their sequences follow
        connection.execute(
            sa.text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        )
    return range(values["pairs"] + 1, values["pairs"] + copies + 1)
