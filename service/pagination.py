"""Listings with the same envelope on every collection: by key (`after`), or by page number.

A keyset page (`after=<id>`, `after=0` for the first) costs the same however deep it is, and
counts nothing: `page`, `total` and `pages` are null, and `links.next` carries on from the
last item. A numbered page (`page=N`, the default, kept for the clients that use it) skips
the rows before it with OFFSET and counts every match on each request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol, TypeVar

import sqlalchemy as sa
from flask import request
from sqlalchemy.orm import InstrumentedAttribute

from service.database import db


def paginate(
    query: sa.Select, *, page: int, per_page: int, after: int | None = None
) -> dict[str, Any]:
    """Run `query` for one page; `items` holds ORM objects for the schema to dump.
    `query` lists one model ordered by its `id`, which the keyset goes by."""
    if after is not None:
        return _keyset(query, after=after, per_page=per_page)
    result = db.paginate(query, page=page, per_page=per_page, error_out=False, count=True)
    links: dict[str, str | None] = {"next": None, "prev": None}
    if result.has_next:
        links["next"] = _page_url(page + 1)
    if result.has_prev:
        links["prev"] = _page_url(page - 1)
    return {
        "items": result.items,
        "page": page,
        "per_page": per_page,
        "total": result.total,
        "pages": result.pages,
        "links": links,
    }


def _page_url(page: int) -> str:
    return _url(page=str(page))


def _url(**replaced: str) -> str:
    args = request.args.to_dict(flat=False)
    for key, value in replaced.items():
        args[key] = [value]
    query = "&".join(f"{key}={value}" for key, values in args.items() for value in values)
    return f"{request.path}?{query}"


def _keyset(query: sa.Select, *, after: int, per_page: int) -> dict[str, Any]:
    model = query.column_descriptions[0]["entity"]
    # One row more than the page says whether there is a next page, without counting.
    rows = list(db.session.scalars(query.where(model.id > after).limit(per_page + 1)))
    items = rows[:per_page]
    links: dict[str, str | None] = {"next": None, "prev": None}
    if len(rows) > per_page:
        links["next"] = _url(after=str(items[-1].id))
    return {
        "items": items,
        "page": None,
        "per_page": per_page,
        "total": None,
        "pages": None,
        "links": links,
    }


class KeysetPage(Protocol):
    """A page by key: the key the next page starts after, None on the last."""

    @property
    def next_after(self) -> int | None: ...


P = TypeVar("P", bound=KeysetPage)


def every_page(read: Callable[[int | None], P]) -> Iterator[P]:
    """Each page `read(after)` gives, from the first (`after` None) to the last: a whole
    list, a page at a time, for a download."""
    after: int | None = None
    while True:
        page = read(after)
        yield page
        if page.next_after is None:
            return
        after = page.next_after


def after_in_order(
    order: Sequence[tuple[sa.ColumnElement[Any] | InstrumentedAttribute[Any], bool]],
    mark: Sequence[Any],
) -> sa.ColumnElement[bool]:
    """The rows that come after `mark` in `order` (each column ascending, or descending when
    its flag says so; the last a unique key, so that no two rows tie): the condition a keyset
    page under any sort starts from. `mark` holds the columns' values for the row the page
    starts after; none of them may be NULL (replace a missing value with one that sorts
    where it should)."""
    steps = []
    for depth, ((column, descending), value) in enumerate(zip(order, mark, strict=True)):
        beyond = column < value if descending else column > value
        ties = [earlier == held for (earlier, _), held in zip(order, mark[:depth], strict=False)]
        steps.append(sa.and_(*ties, beyond))
    return sa.or_(*steps)


def ordered_by(
    order: Sequence[tuple[sa.ColumnElement[Any] | InstrumentedAttribute[Any], bool]],
) -> list[sa.ColumnElement[Any]]:
    """`order` as ORDER BY terms."""
    return [column.desc() if descending else column.asc() for column, descending in order]
