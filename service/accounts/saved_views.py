"""A member of staff's saved views of a list: its search, filters and order under a name,
kept per person (nobody sees another's), saved again under the same name to change it."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

import sqlalchemy as sa

from service.accounts.models import SavedView
from service.database import db, transaction
from service.errors import Invalid, NotFound

NAME_MAX = 80
QUERY_MAX = 1000
# Enough for every way a coordinator looks at their pairs; a list of links, not a database.
MOST_PER_LIST = 30
# What a view keeps: the list's own arguments, never its place in it.
NOT_KEPT = frozenset({"after", "csrf_token"})


def kept_query(arguments: dict[str, str]) -> str:
    """The list's address after `?`, as a view keeps it: empty values and the page left out."""
    pairs = [(k, v) for k, v in arguments.items() if k not in NOT_KEPT and v not in ("", None)]
    return urlencode(sorted(pairs))


def views_of(*, user_id: int, list_name: str) -> list[SavedView]:
    return list(
        db.session.scalars(
            sa.select(SavedView)
            .where(SavedView.user_id == user_id, SavedView.list == list_name)
            .order_by(SavedView.name)
        )
    )


def save(*, user_id: int, list_name: str, name: str, query: str) -> SavedView:
    """Keep `query` under `name` (replacing what that name held)."""
    name = " ".join(name.split())
    if not name:
        raise Invalid("name", "give the view a name")
    if len(name) > NAME_MAX:
        raise Invalid("name", f"a view's name has at most {NAME_MAX} characters")
    if len(query) > QUERY_MAX:
        raise Invalid("query", "this view's search and filters are too long to keep")
    with transaction():
        view = db.session.scalar(
            sa.select(SavedView).where(
                SavedView.user_id == user_id, SavedView.list == list_name, SavedView.name == name
            )
        )
        if view is None:
            if len(views_of(user_id=user_id, list_name=list_name)) >= MOST_PER_LIST:
                raise Invalid("name", f"you have {MOST_PER_LIST} saved views; delete one first")
            view = SavedView(user_id=user_id, list=list_name, name=name, query=query)
            db.session.add(view)
        else:
            view.query = query
    return view


def delete(*, user_id: int, view_id: int) -> None:
    with transaction():
        view = db.session.get(SavedView, view_id)
        if view is None or view.user_id != user_id:
            raise NotFound.of("saved view", view_id)
        db.session.delete(view)


def arguments_of(view: SavedView) -> dict[str, str]:
    return dict(parse_qsl(view.query))
