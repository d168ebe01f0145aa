"""What the dashboard shows, for one member of staff and their filters."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import sqlalchemy as sa

from service.accounts.models import User
from service.actors import Actor
from service.approvals.models import Proposal, ProposalStatus
from service.calendar.models import Compliance, Contact, ContactStatus
from service.clock import now
from service.confidentiality import may_read_safety
from service.database import db
from service.pairs.models import Pair, TransitionRecord
from service.participants.models import Participant
from service.signals.models import Signal
from service.web.staff import sees_every_pair, visible_pairs
from workflows.cadence import Monitor
from workflows.pairing import State
from workflows.signals import SIGNALS, is_safety

# The dashboard's lists show the first few and link to the rest; its counts are exact.
TOP = 10
# "Newly at risk": became at risk within this many days.
NEWLY = 7
# The pairs list's "in their state for at most N days" goes back at most a year.
MAX_WITHIN_DAYS = 366


class Need(StrEnum):
    """What a pair may need today: the pairs list narrowed to one of these (`?need=`)."""

    OVERDUE = "overdue"  # a contact is overdue
    FOLLOW_UP = "follow_up"  # an intervention's follow-up has come due
    SHORT = "short"  # fell short of the meeting requirement in its last judged period


NEED_LABELS: dict[str, str] = {
    Need.OVERDUE: "with an overdue contact",
    Need.FOLLOW_UP: "with a follow-up due",
    Need.SHORT: "below their meeting requirement",
}


@dataclass(frozen=True)
class Filters:
    program_id: int | None = None
    coordinator_id: int | None = None
    state: str | None = None
    # In their state for at most this many days ("newly at risk": state=at_risk, within=7).
    within_days: int | None = None
    need: Need | None = None

    @property
    def narrows(self) -> bool:
        return any(vars(self).values())


def narrowed(query: sa.Select, user: User, filters: Filters) -> sa.Select:
    """`query` over pairs, kept to those the user may open and narrowed by the filters."""
    if not sees_every_pair(user):  # support staff: the pairs they support
        query = query.where(Pair.id.in_(visible_pairs(user)))
    if filters.program_id:
        query = query.where(Pair.program_id == filters.program_id)
    if filters.coordinator_id:
        query = query.where(Pair.coordinator_id == filters.coordinator_id)
    if filters.state:
        query = query.where(Pair.state == filters.state)
    if filters.within_days is not None:
        query = query.where(Pair.state_changed_at >= now() - timedelta(days=filters.within_days))
    if filters.need == Need.OVERDUE:
        query = query.where(
            Pair.id.in_(sa.select(Contact.pair_id).where(Contact.status == ContactStatus.OVERDUE))
        )
    elif filters.need == Need.FOLLOW_UP:
        query = query.where(Pair.id.in_(_follow_ups_due().with_only_columns(Contact.pair_id)))
    elif filters.need == Need.SHORT:
        query = query.where(Pair.id.in_(_short_query().with_only_columns(Compliance.pair_id)))
    return query


def scope(user: User, filters: Filters) -> sa.Select:
    """The pairs the dashboard covers: those the user may open, narrowed by the filters."""
    return narrowed(sa.select(Pair.id), user, filters)


def names(pairs: list[Pair]) -> dict[int, str]:
    """'Mentee & Mentor' for each pair, in one query."""
    ids = {p.mentee_id for p in pairs} | {p.mentor_id for p in pairs if p.mentor_id}
    people: dict[int | None, str] = dict(
        db.session.execute(
            sa.select(Participant.id, Participant.full_name).where(Participant.id.in_(ids))
        ).all()
    )
    return {
        p.id: f"{people.get(p.mentee_id, '?')} & {people.get(p.mentor_id, 'no mentor yet')}"
        for p in pairs
    }


def state_counts(pairs: sa.Select) -> dict[str, int]:
    counts = dict(
        db.session.execute(
            sa.select(Pair.state, sa.func.count()).where(Pair.id.in_(pairs)).group_by(Pair.state)
        ).all()
    )
    return {state.value: counts.get(state.value, 0) for state in State}


def waiting_query(pairs: sa.Select) -> sa.Select:
    return sa.select(Proposal).where(
        Proposal.status == ProposalStatus.PENDING, Proposal.pair_id.in_(pairs)
    )


def waiting_proposals(pairs: sa.Select, *, limit: int) -> list[Proposal]:
    """The oldest proposals waiting, at most `limit`."""
    return list(db.session.scalars(waiting_query(pairs).order_by(Proposal.id).limit(limit)))


def waiting_count(pairs: sa.Select) -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Proposal)
            .where(Proposal.status == ProposalStatus.PENDING, Proposal.pair_id.in_(pairs))
        )
        or 0
    )


@dataclass(frozen=True)
class AtRisk:
    pair: Pair
    since: datetime
    days: int
    signals: list[str]


def at_risk(pairs: sa.Select, actor: Actor, *, limit: int = TOP) -> list[AtRisk]:
    """The pairs at risk with the signals since they were flagged (else those the request
    that flagged them carried), the most recently flagged first, at most `limit`: three
    statements however many pairs are at risk."""
    rows = db.session.scalars(
        sa.select(Pair)
        .where(Pair.id.in_(pairs), Pair.state == State.AT_RISK)
        .order_by(Pair.state_changed_at.desc(), Pair.id)
        .limit(limit)
    ).all()
    signals = signals_now(rows, actor)
    moment = now()
    return [
        AtRisk(pair, pair.state_changed_at, (moment - pair.state_changed_at).days, signals[pair.id])
        for pair in rows
    ]


def signals_now(pairs: Sequence[Pair], actor: Actor) -> dict[int, list[str]]:
    """For each pair, the warning signs raised since it last changed state; for a pair at
    risk with none raised since, those named by the request that flagged it. A safety
    concern is named only to those who may read it. At most two statements for any number
    of pairs."""
    if not pairs:
        return {}
    since = {pair.id: pair.state_changed_at for pair in pairs}
    raised: dict[int, list[str]] = {pair.id: [] for pair in pairs}
    for pair_id, code, moment in db.session.execute(
        sa.select(Signal.pair_id, Signal.code, Signal.raised_at)
        .where(Signal.pair_id.in_(since), Signal.raised_at >= min(since.values()))
        .order_by(Signal.raised_at)
    ):
        if moment >= since[pair_id]:
            raised[pair_id].append(code)
    flagged = _last_flag_signals_of(
        [p.id for p in pairs if p.state == State.AT_RISK and not raised[p.id]]
    )
    return {
        pair.id: visible_codes(
            raised[pair.id] or flagged.get(pair.id, []), may_read_safety(actor, pair)
        )
        for pair in pairs
    }


def _last_flag_signals_of(pair_ids: list[int]) -> dict[int, list[str]]:
    """For each pair, the signals named by the transition that last made it at risk."""
    if not pair_ids:
        return {}
    found: dict[int, list[str]] = {}
    for record in db.session.scalars(
        sa.select(TransitionRecord)
        .where(TransitionRecord.pair_id.in_(pair_ids), TransitionRecord.to_state == State.AT_RISK)
        .order_by(TransitionRecord.pair_id, TransitionRecord.sequence.desc())
    ):
        found.setdefault(record.pair_id, list(record.signals or []))
    return found


def last_flag_record(pair: Pair):
    """The transition that last made the pair at risk, with the signals it named."""
    return db.session.scalar(
        sa.select(TransitionRecord)
        .where(TransitionRecord.pair_id == pair.id, TransitionRecord.to_state == State.AT_RISK)
        .order_by(TransitionRecord.sequence.desc())
        .limit(1)
    )


def visible_codes(codes: Sequence[str], may_read: bool) -> list[str]:
    seen: list[str] = []
    for code in codes:
        code = code if may_read or not is_safety(code) else "safety_concern"
        if code in SIGNALS and code not in seen:
            seen.append(code)
    return seen


def _count(query: sa.Select) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0


def newly_at_risk_count(pairs: sa.Select) -> int:
    """Pairs that became at risk in the last `NEWLY` days."""
    return _count(
        sa.select(Pair.id).where(
            Pair.id.in_(pairs),
            Pair.state == State.AT_RISK,
            Pair.state_changed_at >= now() - timedelta(days=NEWLY),
        )
    )


def _overdue_query(pairs: sa.Select) -> sa.Select:
    return sa.select(Contact).where(
        Contact.pair_id.in_(pairs), Contact.status == ContactStatus.OVERDUE
    )


def overdue(pairs: sa.Select, *, limit: int = TOP) -> list[Contact]:
    """The longest overdue contacts first, at most `limit`."""
    return list(
        db.session.scalars(_overdue_query(pairs).order_by(Contact.due_at, Contact.id).limit(limit))
    )


def overdue_count(pairs: sa.Select) -> int:
    return _count(_overdue_query(pairs).with_only_columns(Contact.id))


def _follow_ups_due() -> sa.Select:
    """Follow-ups on interventions that have come due and are not done yet (once overdue,
    they count with the overdue contacts)."""
    return sa.select(Contact).where(
        Contact.kind == Monitor.INTERVENTION_FOLLOW_UP, Contact.status == ContactStatus.DUE
    )


def follow_ups_due(pairs: sa.Select, *, limit: int = TOP) -> list[Contact]:
    return list(
        db.session.scalars(
            _follow_ups_due()
            .where(Contact.pair_id.in_(pairs))
            .order_by(Contact.due_at, Contact.id)
            .limit(limit)
        )
    )


def follow_ups_count(pairs: sa.Select) -> int:
    return _count(_follow_ups_due().where(Contact.pair_id.in_(pairs)).with_only_columns(Contact.id))


def _short_query() -> sa.Select:
    """Each pair's latest judged period, where it fell short."""
    latest = (
        sa.select(Compliance.pair_id, sa.func.max(Compliance.period_start).label("start"))
        .where(Compliance.closed.is_(True))
        .group_by(Compliance.pair_id)
        .subquery()
    )
    return (
        sa.select(Compliance)
        .join(
            latest,
            sa.and_(
                Compliance.pair_id == latest.c.pair_id,
                Compliance.period_start == latest.c.start,
            ),
        )
        .where(Compliance.compliant.is_(False))
    )


def below_requirement(pairs: sa.Select, *, limit: int = TOP) -> list[Compliance]:
    """Each pair's latest judged period, where it fell short: the earliest periods first."""
    return list(
        db.session.scalars(
            _short_query()
            .where(Compliance.pair_id.in_(pairs))
            .order_by(Compliance.period_end, Compliance.pair_id)
            .limit(limit)
        )
    )


def below_requirement_count(pairs: sa.Select) -> int:
    return _count(
        _short_query().where(Compliance.pair_id.in_(pairs)).with_only_columns(Compliance.id)
    )
