"""Telling staff: an item in their in-app inbox, and an e-mail where they want one."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from service.accounts import service as accounts
from service.accounts.models import User
from service.clock import now
from service.database import db, table_of
from service.inbox.models import InboxItem
from service.notifications import service as notifications
from service.notifications.models import Notification
from service.pairs.models import Pair


def staff_for(pair: Pair | None, *, and_admins: bool = False) -> list[User]:
    """Who hears about a pair: its coordinator, else the admins (and the admins too when
    it is urgent). Nobody is told twice."""
    people: list[User] = []
    if pair is not None and pair.coordinator_id is not None:
        coordinator = db.session.get(User, pair.coordinator_id)
        if coordinator is not None and coordinator.active:
            people.append(coordinator)
    if and_admins or not people:
        people += [admin for admin in accounts.admins() if admin not in people]
    return people


def staff_for_pairs(pairs: Sequence[Pair]) -> dict[int, list[User]]:
    """`staff_for` many pairs, in two queries however many pairs there are."""
    wanted = {pair.coordinator_id for pair in pairs if pair.coordinator_id is not None}
    coordinators = (
        {
            user.id: user
            for user in db.session.scalars(
                sa.select(User).where(User.id.in_(wanted), User.active.is_(True))
            )
        }
        if wanted
        else {}
    )
    admins: list[User] | None = None
    found: dict[int, list[User]] = {}
    for pair in pairs:
        coordinator = (
            coordinators.get(pair.coordinator_id) if pair.coordinator_id is not None else None
        )
        if coordinator is not None:
            found[pair.id] = [coordinator]
            continue
        if admins is None:
            admins = accounts.admins()
        found[pair.id] = admins
    return found


def why_told(user: User, pair: Pair | None) -> str:
    """The reason an e-mail gives its reader, true for that reader: the pair's coordinator
    coordinates it, an admin is told as an admin, support staff support it."""
    if pair is not None and user.id == pair.coordinator_id:
        return "you coordinate this pair"
    if user.role == "admin":
        return "you are an administrator of this Pairwise"
    if pair is not None:
        return "you support this pair"
    return "you coordinate pairs in this Pairwise"


def _staff_email(
    user: User, pair: Pair | None, title: str, body: str, link: str | None, urgent: bool
) -> dict[str, Any]:
    """The arguments of `queue_email` for a staff notice to `user`."""
    return {
        "template": "staff_notice",
        "to_address": user.email,
        "language": user.language,
        "pair_id": pair.id if pair is not None else None,
        "context": {
            "name": user.full_name,
            "title": title,
            "body": body,
            "link": link,
            "urgent": urgent,
            "reason": why_told(user, pair),
        },
    }


def console_link(path: str) -> str:
    return f"{current_app.config['PUBLIC_URL']}{path}"


def notify(
    *,
    users: Iterable[User],
    kind: str,
    title: str,
    body: str = "",
    pair: Pair | None = None,
    urgent: bool = False,
    event_id: str | None = None,
    path: str | None = None,
) -> list[Notification]:
    """Inbox items for `users`, and e-mails for those who want this kind; in the caller's
    transaction. Returns the e-mails, for callers that send urgent ones at once.

    With `event_id`, a person already told about that event is not told again. The item
    links to the pair's page, or to `path` in the console.
    """
    if path is None and pair is not None:
        path = f"/console/pairs/{pair.id}"
    link = console_link(path) if path is not None else None
    emails: list[Notification] = []
    for user in users:
        item = InboxItem(
            user_id=user.id,
            kind=kind,
            urgent=urgent,
            pair_id=pair.id if pair else None,
            title=title,
            body=body,
            link=link,
            event_id=event_id,
        )
        try:
            with db.session.begin_nested():
                db.session.add(item)
        except IntegrityError:
            continue
        if user.wants_email(kind):
            emails.append(
                notifications.queue_email(**_staff_email(user, pair, title, body, link, urgent))
            )
    return emails


@dataclass(frozen=True)
class Notice:
    """What `notify` is given, for one pair, when many are told at once."""

    users: Sequence[User]
    kind: str
    title: str
    body: str
    pair: Pair


def notify_many(notices: Sequence[Notice]) -> None:
    """`notify` for many notices without an event id, in the caller's transaction: the inbox
    items in one INSERT, the e-mails in another."""
    items: list[dict] = []
    emails: list[dict] = []
    for notice in notices:
        link = console_link(f"/console/pairs/{notice.pair.id}")
        for user in notice.users:
            items.append(
                {
                    "user_id": user.id,
                    "kind": notice.kind,
                    "urgent": False,
                    "pair_id": notice.pair.id,
                    "title": notice.title,
                    "body": notice.body,
                    "link": link,
                    "created_at": now(),
                }
            )
            if user.wants_email(notice.kind):
                emails.append(
                    _staff_email(user, notice.pair, notice.title, notice.body, link, urgent=False)
                )
    if items:
        db.session.execute(sa.insert(table_of(InboxItem)), items)
    notifications.queue_emails(emails)


def unread(*, user_id: int, limit: int = 100) -> list[InboxItem]:
    return list(
        db.session.scalars(
            sa.select(InboxItem)
            .where(InboxItem.user_id == user_id, InboxItem.read_at.is_(None))
            .order_by(InboxItem.urgent.desc(), InboxItem.created_at.desc())
            .limit(limit)
        )
    )


def mark_read(*, user_id: int, item_id: int) -> None:
    db.session.execute(
        sa.update(InboxItem)
        .where(InboxItem.id == item_id, InboxItem.user_id == user_id)
        .values(read_at=now())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
