"""What the console's lists share: a search over some columns, and an order that a keyset
page can start in the middle of."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import InstrumentedAttribute

Column = sa.ColumnElement[Any] | InstrumentedAttribute[Any]


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def containing(text: str, columns: tuple[Column, ...]) -> sa.ColumnElement[bool]:
    """Any of `columns` holds `text`, whatever the case (a NULL column holds nothing)."""
    pattern = "%" + _escape_like(text.strip().lower()) + "%"
    return sa.or_(*(sa.func.lower(column).like(pattern, escape="\\") for column in columns))


@dataclass(frozen=True)
class Order:
    """One of a list's orders: its label, and its columns, each ascending or descending
    (True), the last one unique, so that no two rows tie and a page can start after any."""

    label: str
    columns: tuple[tuple[Column, bool], ...]
