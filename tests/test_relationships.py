"""The models' associations: a pair reads its program and people like the lookups they
replace, and a list of pairs never loads its support staff one pair at a time."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from service.accounts.models import pair_support
from service.database import db
from service.pairs.models import Pair
from service.programs.models import Program


def test_a_pair_reads_its_program_mentee_and_mentor(app, world):
    pair = world.drive_to("matched")
    with app.app_context():
        row = db.session.get(Pair, pair["id"])
        assert (row.program.id, row.mentee.id, row.mentor.id) == (
            world.program["id"],
            pair["mentee_id"],
            pair["mentor_id"],
        )


def test_a_pairs_program_in_the_session_already_costs_no_statement(app, world):
    pair = world.new_pair()
    with app.app_context():
        program = db.session.get(Program, world.program["id"])
        row = db.session.get(Pair, pair["id"])
        assert _count(lambda: row.program) == 0
        assert row.program is program


def test_support_staff_are_not_loaded_unasked(app, world):
    pair = world.new_pair()
    with app.app_context():
        row = db.session.get(Pair, pair["id"])
        with pytest.raises(sa.exc.InvalidRequestError, match="support_staff"):
            _ = row.support_staff


def test_the_support_staff_of_many_pairs_load_in_one_statement(app, world, make_staff):
    pairs = [world.new_pair(index) for index in range(3)]
    helpers = [make_staff("support") for _ in pairs]
    with app.app_context():
        for pair, helper in zip(pairs, helpers, strict=True):
            db.session.execute(
                sa.insert(pair_support).values(pair_id=pair["id"], user_id=helper.id)
            )
        db.session.commit()
        ids = [p["id"] for p in pairs]

        def load():
            rows = db.session.scalars(
                sa.select(Pair).where(Pair.id.in_(ids)).options(selectinload(Pair.support_staff))
            ).all()
            return {row.id: [user.id for user in row.support_staff] for row in rows}

        statements = _count(load)
        assert statements == 2  # the pairs, then every pair's support staff at once
        assert load() == {p["id"]: [h.id] for p, h in zip(pairs, helpers, strict=True)}


def _count(read) -> int:
    counted = []
    engine = db.engine

    def count(*args, **kwargs):
        counted.append(1)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        read()
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    return len(counted)
