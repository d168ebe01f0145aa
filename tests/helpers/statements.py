"""Counting the SQL statements the app sends (to show a page costs the same for many rows as
for few)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from flask import Flask

from service.database import db


@contextmanager
def counting(app: Flask) -> Iterator[list[str]]:
    """`with counting(app) as sent:` the statements the app sends meanwhile."""
    sent: list[str] = []

    def count(connection, cursor, statement, *args) -> None:
        sent.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield sent
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
