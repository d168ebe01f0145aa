"""A member of staff's inbox, as the console lists it: searched (the notice's words, the
names and e-mails of its pair's people), unread only if asked, in the order chosen, a page
at a time by key; and every page of it, for a download.

The inbox's indexes hold each of four groups (unread or read, urgent or not) in the order
of time. The orders by time (unread and urgent first, newest first, oldest first) take a
page from each group at and after where the page starts, and keep the first of them: one
statement, the same cost at any depth. The order by pair sorts the person's notices that
the search keeps. The names of the page's pairs come in one more statement, by key.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from service.console.listing import Column, Order, containing
from service.database import db
from service.inbox.models import InboxItem
from service.pagination import after_in_order, ordered_by
from service.pairs.models import Pair
from service.participants.models import Participant
from service.schemas import MAX_ID

Mentee = aliased(Participant, name="mentee")
Mentor = aliased(Participant, name="mentor")

# The groups of the first order, in it: unread before read, urgent before the rest.
_GROUPS = ((False, True), (False, False), (True, True), (True, False))
_NEWEST: tuple[tuple[Column, bool], ...] = ((InboxItem.created_at, True), (InboxItem.id, True))
_OLDEST: tuple[tuple[Column, bool], ...] = ((InboxItem.created_at, False), (InboxItem.id, False))
# A notice about no pair comes after every pair (the largest id PostgreSQL's integer holds:
# one beyond it would not fit the column's type when compared).
_NO_PAIR = MAX_ID

ORDERS: dict[str, Order] = {
    "attention": Order("Unread and urgent first", _NEWEST),
    "newest": Order("Newest first", _NEWEST),
    "oldest": Order("Oldest first", _OLDEST),
    "pair": Order(
        "Pair number",
        ((sa.func.coalesce(InboxItem.pair_id, _NO_PAIR), False), *_NEWEST),
    ),
}
DEFAULT_ORDER = "attention"
# The orders a page is taken from each group for (the order by pair is not one of them).
_BY_GROUP = {"attention", "newest", "oldest"}


@dataclass(frozen=True)
class Criteria:
    search: str = ""
    sort: str = DEFAULT_ORDER
    unread_only: bool = False

    def __post_init__(self) -> None:
        if self.sort not in ORDERS:
            object.__setattr__(self, "sort", DEFAULT_ORDER)


@dataclass(frozen=True)
class InboxRow:
    item: InboxItem
    mentee: str | None
    mentor: str | None

    @property
    def names(self) -> str | None:
        """'Mentee & Mentor' of the notice's pair, if it is about one."""
        if self.mentee is None:
            return None
        return f"{self.mentee} & {self.mentor or 'no mentor yet'}"


@dataclass(frozen=True)
class Page:
    rows: list[InboxRow]
    # The last row's item, for the next page; None on the last page.
    next_after: int | None
    # Its group in the first order (unread and urgent, unread, read and urgent, read) as it
    # stood when this page was read: marking it read meanwhile must not move the next page.
    next_group: int | None = None

    @property
    def items(self) -> list[InboxItem]:
        return [row.item for row in self.rows]


def _people(query: sa.Select, *, outer: bool = False) -> sa.Select:
    """`query` over pairs, with their mentee and mentor (if any); `outer`: also a notice
    about no pair."""
    return query.join(Mentee, Mentee.id == Pair.mentee_id, isouter=outer).outerjoin(
        Mentor, Mentor.id == Pair.mentor_id
    )


def _kept(query: sa.Select, user_id: int, criteria: Criteria) -> sa.Select:
    """`query` over inbox items, kept to the user's and to what the search finds."""
    query = query.where(InboxItem.user_id == user_id)
    if criteria.unread_only:
        query = query.where(InboxItem.read_at.is_(None))
    if criteria.search.strip():
        query = _people(query.outerjoin(Pair, Pair.id == InboxItem.pair_id), outer=True).where(
            containing(
                criteria.search,
                (
                    InboxItem.title,
                    InboxItem.body,
                    Mentee.full_name,
                    Mentee.email,
                    Mentor.full_name,
                    Mentor.email,
                ),
            )
        )
    return query


@dataclass(frozen=True)
class _Mark:
    """Where the item a page starts after stands: its group, and its values of the order's
    columns."""

    group: int
    values: tuple[Any, ...]


def page(
    *,
    user_id: int,
    criteria: Criteria,
    after: int | None,
    per_page: int,
    after_group: int | None = None,
) -> Page:
    """A page of the user's inbox after item `after` (None, or an item not theirs: from the
    first), in the chosen order; `after_group`: the group that item was in when the page
    before was read (without it, the group it is in now)."""
    mark = _mark_of(after, user_id, ORDERS[criteria.sort], after_group) if after else None
    if criteria.sort in _BY_GROUP:
        found = _by_group(user_id, criteria, mark, per_page)
    else:
        found = _sorted(user_id, criteria, mark, per_page)
    items = found[:per_page]
    names = _names({item.pair_id for item in items if item.pair_id is not None})
    rows = [InboxRow(item, *names.get(item.pair_id, (None, None))) for item in items]
    if len(found) <= per_page:
        return Page(rows, None)
    last = rows[-1].item
    return Page(rows, last.id, _group_of(last.read_at is not None, last.urgent))


def _group_of(read: bool, urgent: bool) -> int:
    return _GROUPS.index((read, bool(urgent)))


def _names(pair_ids: set[int]) -> dict[int | None, tuple[str, str | None]]:
    """The mentee's and the mentor's names of each pair, in one statement (none without
    pairs): by the pairs' keys, after the page is chosen, so that only its pairs are read."""
    if not pair_ids:
        return {}
    found = db.session.execute(
        _people(sa.select(Pair.id, Mentee.full_name, Mentor.full_name)).where(Pair.id.in_(pair_ids))
    )
    return {pair_id: (mentee, mentor) for pair_id, mentee, mentor in found}


def _mark_of(after: int, user_id: int, order: Order, group: int | None) -> _Mark | None:
    found = db.session.execute(
        sa.select(
            InboxItem.read_at, InboxItem.urgent, *(column for column, _ in order.columns)
        ).where(InboxItem.id == after, InboxItem.user_id == user_id)
    ).first()
    if found is None:
        return None
    if group is None or not 0 <= group < len(_GROUPS):
        group = _group_of(found[0] is not None, found[1])
    return _Mark(group, tuple(found[2:]))


def _by_group(
    user_id: int, criteria: Criteria, mark: _Mark | None, per_page: int
) -> list[InboxItem]:
    order = ORDERS[criteria.sort].columns
    attention = criteria.sort == "attention"
    first = mark.group if attention and mark is not None else 0
    parts = []
    for number, (read, urgent) in enumerate(_GROUPS[first:], first):
        if read and criteria.unread_only:
            continue
        part = _kept(sa.select(InboxItem, sa.literal(number).label("grp")), user_id, criteria)
        part = part.where(
            InboxItem.read_at.is_not(None) if read else InboxItem.read_at.is_(None),
            InboxItem.urgent == urgent,
        )
        # In the first order, the page starts inside the group of the item it starts after,
        # and the groups after that one are read from their start; in the others, inside
        # every group.
        if mark is not None and (number == first or not attention):
            part = part.where(after_in_order(order, mark.values))
        limited = part.order_by(*ordered_by(order)).limit(per_page + 1).subquery()
        parts.append(sa.select(*limited.c))
    if not parts:
        return []  # a mark among read notices, with unread ones only asked for: none after it
    found = sa.union_all(*parts).subquery()
    item = aliased(InboxItem, found)
    outer = [(found.c[str(column.key)], descending) for column, descending in order]
    query = sa.select(item)
    if attention:
        query = query.order_by(found.c.grp)
    return list(db.session.scalars(query.order_by(*ordered_by(outer)).limit(per_page + 1)))


def _sorted(user_id: int, criteria: Criteria, mark: _Mark | None, per_page: int) -> list[InboxItem]:
    order = ORDERS[criteria.sort].columns
    query = _kept(sa.select(InboxItem), user_id, criteria)
    if mark is not None:
        query = query.where(after_in_order(order, mark.values))
    return list(db.session.scalars(query.order_by(*ordered_by(order)).limit(per_page + 1)))


def every_row(*, user_id: int, criteria: Criteria, batch: int = 500) -> Iterator[InboxRow]:
    """Every row the criteria keep, in order, read a page at a time (for a download)."""
    after: int | None = None
    group: int | None = None
    while True:
        listed = page(
            user_id=user_id, criteria=criteria, after=after, after_group=group, per_page=batch
        )
        yield from listed.rows
        if listed.next_after is None:
            return
        after, group = listed.next_after, listed.next_group
