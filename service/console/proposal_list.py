"""The proposals waiting for a decision, as the console lists them: found by the pair's
people (names, e-mails), by what is proposed or by its reason, in the order chosen, a page at
a time by key, in one statement with the pairs' names (and one more, past the first page, for
where the page starts); and every page of it, for a download.

The first order (oldest waiting first) walks the index on (status, id); the others sort the
proposals waiting that the filters keep, which are few: a proposal waits for days, not years.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from service.accounts.models import User
from service.approvals.models import Proposal, ProposalStatus
from service.console import queries
from service.console.listing import Order, containing
from service.database import db
from service.pagination import after_in_order, every_page, ordered_by
from service.pairs.models import Pair
from service.participants.models import Participant

Mentee = aliased(Participant, name="mentee")
Mentor = aliased(Participant, name="mentor")

ORDERS: dict[str, Order] = {
    "oldest": Order("Oldest waiting first", ((Proposal.id, False),)),
    "newest": Order("Newest first", ((Proposal.id, True),)),
    "pair": Order("Pair number", ((Proposal.pair_id, False), (Proposal.id, False))),
    "trigger": Order("What is proposed", ((Proposal.trigger, False), (Proposal.id, False))),
    "mentee": Order(
        "Mentee's name", ((sa.func.lower(Mentee.full_name), False), (Proposal.id, False))
    ),
}
DEFAULT_ORDER = "oldest"


@dataclass(frozen=True)
class Criteria:
    """What the list shows: the dashboard's filters (program, coordinator), a search and an
    order."""

    filters: queries.Filters = field(default_factory=queries.Filters)
    search: str = ""
    sort: str = DEFAULT_ORDER

    def __post_init__(self) -> None:
        if self.sort not in ORDERS:
            object.__setattr__(self, "sort", DEFAULT_ORDER)


@dataclass(frozen=True)
class ProposalRow:
    proposal: Proposal
    mentee: str
    mentor: str | None

    @property
    def names(self) -> str:
        return f"{self.mentee} & {self.mentor or 'no mentor yet'}"


@dataclass(frozen=True)
class Page:
    rows: list[ProposalRow]
    # The last row's proposal, for the next page; None on the last page.
    next_after: int | None

    @property
    def proposals(self) -> list[Proposal]:
        return [row.proposal for row in self.rows]


def _joined(query: sa.Select) -> sa.Select:
    return (
        query.join(Pair, Pair.id == Proposal.pair_id)
        .join(Mentee, Mentee.id == Pair.mentee_id)
        .outerjoin(Mentor, Mentor.id == Pair.mentor_id)
    )


def _query(user: User, criteria: Criteria) -> sa.Select:
    query = _joined(sa.select(Proposal, Mentee.full_name, Mentor.full_name)).where(
        Proposal.status == ProposalStatus.PENDING
    )
    query = queries.narrowed(query, user, criteria.filters)
    if criteria.search.strip():
        query = query.where(
            containing(
                criteria.search,
                (
                    Mentee.full_name,
                    Mentee.email,
                    Mentor.full_name,
                    Mentor.email,
                    # "begin closure" finds begin_closure.
                    sa.func.replace(Proposal.trigger, "_", " "),
                    Proposal.reason,
                ),
            )
        )
    return query


def page(user: User, criteria: Criteria, *, after: int = 0, per_page: int = 50) -> Page:
    """The page after proposal `after` in the chosen order (from the first when `after` is
    no proposal); where `after` stands in that order says where the page starts."""
    order = ORDERS[criteria.sort].columns
    query = _query(user, criteria)
    if after:
        # A mark among the proposals this person may see (decided ones too: a colleague may
        # have decided it since the page before): another's says nothing of where it stands.
        marked = _joined(sa.select(*(column for column, _ in order))).where(Proposal.id == after)
        mark = db.session.execute(queries.narrowed(marked, user, criteria.filters)).first()
        if mark is not None:
            query = query.where(after_in_order(order, tuple(mark)))
    found = db.session.execute(query.order_by(*ordered_by(order)).limit(per_page + 1)).all()
    rows = [ProposalRow(proposal, mentee, mentor) for proposal, mentee, mentor in found[:per_page]]
    return Page(rows, rows[-1].proposal.id if len(found) > per_page else None)


def every_row(user: User, criteria: Criteria, *, batch: int = 500) -> Iterator[ProposalRow]:
    """Every row the criteria keep, in order, read a page at a time (for a download)."""
    for listed in every_page(lambda after: page(user, criteria, after=after or 0, per_page=batch)):
        yield from listed.rows
