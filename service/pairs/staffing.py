"""Who looks after a pair (its coordinator and support staff), and who may change that.

One rule, for the console and the API alike: admins (an admin user, or a token with the
`admin` scope) change any pair's staff; the pair's own coordinator hands it over to another
coordinator or admin, gives it up, or changes its support staff; nobody else. So no
coordinator can make themselves the coordinator of a pair they do not hold (and then read
its safety notes), and a pair with no coordinator is assigned by an admin.

Every change is recorded (`StaffChange`, shown on the pair's timeline), and when a pair
with safety records changes coordinator the admins are told.
"""

from __future__ import annotations

from collections.abc import Iterable
from types import EllipsisType

import sqlalchemy as sa

from service.accounts import service as accounts
from service.accounts.models import StaffRole, User, pair_support
from service.actors import Actor, ActorKind
from service.confidentiality import has_safety_records, holds_pair
from service.database import db
from service.errors import Forbidden, Invalid
from service.inbox import service as inbox
from service.pairs.domain_events import PairMoved
from service.pairs.models import Pair, StaffChange, StaffPost

# Who may be a pair's coordinator: those who may also read its safety notes.
COORDINATOR_ROLES = (StaffRole.COORDINATOR, StaffRole.ADMIN)


def staff_change_refusal(actor: Actor, pair: Pair) -> str | None:
    """Why `actor` may not change who looks after `pair`, or None when they may."""
    if actor.is_admin:
        return None
    if actor.role == StaffRole.COORDINATOR and holds_pair(actor, pair):
        return None
    if pair.coordinator_id is None:
        return f"Pair {pair.id} has no coordinator yet; an admin assigns one."
    if actor.kind == ActorKind.TOKEN:
        return "Only a token with the admin scope changes who looks after a pair."
    return (
        f"Only an admin or the coordinator of pair {pair.id} changes who looks after it; "
        "ask an admin to hand the pair over to you."
    )


def may_change_staff(actor: Actor, pair: Pair) -> bool:
    return staff_change_refusal(actor, pair) is None


def support_of(pair_id: int) -> set[int]:
    """The support staff assigned to the pair: the only ones of them who may open it."""
    return set(
        db.session.scalars(
            sa.select(pair_support.c.user_id).where(pair_support.c.pair_id == pair_id)
        )
    )


def change(
    *,
    pair: Pair,
    actor: Actor,
    coordinator_id: int | EllipsisType | None = ...,
    support_ids: Iterable[int] | EllipsisType = ...,
) -> list[StaffChange]:
    """Change the pair's coordinator and/or support staff, in the caller's transaction with
    the pair locked. Naming the staff it already has changes and records nothing, but is
    refused like any change to someone the rule does not allow."""
    refusal = staff_change_refusal(actor, pair)
    if refusal is not None:
        raise Forbidden(refusal)
    changes: list[StaffChange] = []
    if coordinator_id is not ... and coordinator_id != pair.coordinator_id:
        if coordinator_id is not None:
            _ensure_staff(coordinator_id, COORDINATOR_ROLES, "coordinator_id", "coordinator")
        previous = pair.coordinator_id
        changes.append(_record(pair, actor, StaffPost.COORDINATOR, previous, coordinator_id))
        pair.coordinator_id = coordinator_id
    if support_ids is not ...:
        wanted = set(support_ids)
        for user_id in sorted(wanted):
            _ensure_staff(user_id, (StaffRole.SUPPORT,), "support", "support staff")
        current = support_of(pair.id)
        for user_id in sorted(current - wanted):
            db.session.execute(
                sa.delete(pair_support).where(
                    pair_support.c.pair_id == pair.id, pair_support.c.user_id == user_id
                )
            )
            changes.append(_record(pair, actor, StaffPost.SUPPORT, user_id, None))
        for user_id in sorted(wanted - current):
            db.session.execute(sa.insert(pair_support).values(pair_id=pair.id, user_id=user_id))
            changes.append(_record(pair, actor, StaffPost.SUPPORT, None, user_id))
    db.session.flush()
    handover = next((c for c in changes if c.role == StaffPost.COORDINATOR), None)
    if handover is not None and has_safety_records(pair):
        _tell_admins(pair, actor, handover)
    return changes


def hand_successor_its_staff(moved: PairMoved) -> None:
    """After a re-match the mentee's new pair is looked after by the same people as the old
    one: its coordinator and support staff, each recorded on the new pair's timeline."""
    successor = moved.successor
    if successor is None:
        return
    actor = moved.actor
    if moved.pair.coordinator_id is not None:
        successor.coordinator_id = moved.pair.coordinator_id
        _record(successor, actor, StaffPost.COORDINATOR, None, successor.coordinator_id)
    for user_id in sorted(support_of(moved.pair.id)):
        db.session.execute(sa.insert(pair_support).values(pair_id=successor.id, user_id=user_id))
        _record(successor, actor, StaffPost.SUPPORT, None, user_id)


def _ensure_staff(user_id: int, roles: Iterable[str], field: str, what: str) -> None:
    user = db.session.get(User, user_id)
    if user is None or not user.active or user.role not in roles:
        raise Invalid(field, f"no active {what} with id {user_id}")


def _record(
    pair: Pair, actor: Actor, post: StaffPost, from_id: int | None, to_id: int | None
) -> StaffChange:
    record = StaffChange(
        pair_id=pair.id, role=post, from_user_id=from_id, to_user_id=to_id, changed_by=actor.ref
    )
    db.session.add(record)
    return record


def _name(user_id: int | None) -> str:
    user = db.session.get(User, user_id) if user_id is not None else None
    return user.full_name if user is not None else "nobody"


def _tell_admins(pair: Pair, actor: Actor, handover: StaffChange) -> None:
    """A pair whose safety notes its coordinator reads changed hands: the admins check that
    it was meant (never with any of the safety records themselves)."""
    admins = [admin for admin in accounts.admins() if not actor.is_user(admin.id)]
    inbox.notify(
        users=admins,
        kind="safety_handover",
        title=f"Pair {pair.id}, which has safety records, has a new coordinator",
        body=f"Coordinator: {_name(handover.from_user_id)} → {_name(handover.to_user_id)}, "
        f"changed by {actor.label}. The coordinator reads the pair's safety notes and "
        "answers: check that the handover was meant.",
        pair=pair,
        event_id=f"staff-change-{handover.id}",
    )
