"""A keyset page under any order (pagination.after_in_order): walking every page, each
starting after the last row of the one before, shows every row once, in the order a single
sorted query gives, whatever the columns' directions, ties and page size."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from service.pagination import after_in_order, ordered_by

metadata = sa.MetaData()
rows_table = sa.Table(
    "rows",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("kind", sa.String(10), nullable=False),
    sa.Column("rank", sa.Integer, nullable=False),
)
KIND, RANK, ID = rows_table.c.kind, rows_table.c.rank, rows_table.c.id


@pytest.fixture(scope="module")
def connection() -> Iterator[sa.Connection]:
    engine = sa.create_engine("sqlite://")
    metadata.create_all(engine)
    with engine.connect() as connection:
        yield connection


def _fill(connection: sa.Connection, values: list[tuple[str, int]]) -> None:
    connection.execute(rows_table.delete())
    if values:
        connection.execute(
            rows_table.insert(),
            [{"id": n + 1, "kind": kind, "rank": rank} for n, (kind, rank) in enumerate(values)],
        )


def _walk(connection: sa.Connection, order, per_page: int) -> list[int]:
    shown: list[int] = []
    mark = None
    while True:
        query = sa.select(ID, *(column for column, _ in order))
        if mark is not None:
            query = query.where(after_in_order(order, mark))
        page = connection.execute(query.order_by(*ordered_by(order)).limit(per_page)).all()
        shown += [row[0] for row in page]
        if len(page) < per_page:
            return shown
        mark = tuple(page[-1][1:])


def _whole(connection: sa.Connection, order) -> list[int]:
    return list(connection.scalars(sa.select(ID).order_by(*ordered_by(order))))


def test_a_walk_by_one_descending_column_with_ties_shows_each_row_once(connection):
    _fill(connection, [("b", 2), ("a", 2), ("c", 1), ("a", 3), ("b", 2)])
    order = ((RANK, True), (ID, False))
    assert _walk(connection, order, per_page=2) == [4, 1, 2, 5, 3]


def test_a_walk_by_columns_in_opposite_directions_keeps_their_order(connection):
    _fill(connection, [("b", 1), ("a", 1), ("a", 2), ("b", 3), ("a", 1)])
    order = ((KIND, False), (RANK, True), (ID, True))
    assert _walk(connection, order, per_page=2) == [3, 5, 2, 4, 1]


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(st.tuples(st.sampled_from("abc"), st.integers(0, 3)), max_size=25),
    directions=st.tuples(st.booleans(), st.booleans(), st.booleans()),
    per_page=st.integers(1, 6),
)
def test_any_walk_shows_the_rows_of_the_whole_sorted_list_once_each(
    connection, values, directions, per_page
):
    _fill(connection, values)
    order = tuple(zip((KIND, RANK, ID), directions, strict=True))
    assert _walk(connection, order, per_page) == _whole(connection, order)
