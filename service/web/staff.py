"""Staff sessions for the console (Flask-Login), and who may see what.

Admins and coordinators open every pair; support staff only the pairs assigned to them.
Who may read safety notes and answers is decided in `service.confidentiality`, for the
console and the API alike; here every read of one is logged.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import abort, g, request, session
from flask_login import LoginManager, current_user, login_required, login_user, logout_user

from service.accounts import sessions
from service.accounts.models import StaffRole, User, pair_support
from service.actors import Actor, ActorKind
from service.database import db
from service.notes.models import AccessRecord
from service.pairs.models import Pair
from service.pairs.staffing import support_of

F = TypeVar("F", bound=Callable[..., Any])

login_manager = LoginManager()
login_manager.login_view = "accounts.login"
login_manager.login_message = "Please sign in to continue."
login_manager.session_protection = "strong"


# The key in the signed cookie under which a session's secret travels.
SESSION_SECRET = "staff_session"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """Every console request: the cookie's session must still be live on the server, so a
    cookie captured before a sign-out, a password change or a disabling stops working."""
    if not (user_id.isascii() and user_id.isdigit()):
        return None
    found = sessions.resume(session.get(SESSION_SECRET), user_id=int(user_id))
    if found is None:
        return None
    user, record = found
    g.staff_session_id = record.id
    return user


def begin_session(user: User) -> None:
    """Sign `user` in on this browser, with a new server-side session."""
    login_user(user)
    session[SESSION_SECRET] = sessions.start(
        user_id=user.id,
        address=request.remote_addr,
        user_agent=request.headers.get("User-Agent"),
    )


def end_session() -> None:
    sessions.end_current(session.pop(SESSION_SECRET, None))
    logout_user()


def current_session_id() -> int | None:
    return g.get("staff_session_id")


def actor_for(user: User) -> Actor:
    """A member of staff acting in the console. Admins and coordinators decide directly:
    their own action is the approval a proposal would wait for."""
    return Actor(
        ActorKind.USER,
        str(user.id),
        user.full_name,
        is_admin=user.role == StaffRole.ADMIN,
        decides_directly=user.role in (StaffRole.ADMIN, StaffRole.COORDINATOR),
        role=user.role,
    )


def staff_required(*roles: str) -> Callable[[F], F]:
    """Signed-in staff, in one of `roles` if given; the acting user becomes `g.actor`."""

    def decorate(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if roles and current_user.role not in roles:
                abort(403)
            g.actor = actor_for(current_user)
            g.user = current_user
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def assigned_support(pair: Pair) -> set[int]:
    return support_of(pair.id)


def can_open(user: User, pair: Pair) -> bool:
    if user.role in (StaffRole.ADMIN, StaffRole.COORDINATOR):
        return True
    return user.id in assigned_support(pair)


def sees_every_pair(user: User) -> bool:
    return user.role in (StaffRole.ADMIN, StaffRole.COORDINATOR)


def visible_pairs(user: User) -> sa.Select:
    """The ids of the pairs `user` may open, as a subquery."""
    if sees_every_pair(user):
        return sa.select(Pair.id)
    return sa.select(pair_support.c.pair_id).where(pair_support.c.user_id == user.id)


def pair_or_404(pair_id: int) -> Pair:
    pair = db.session.get(Pair, pair_id)
    if pair is None:
        abort(404)
    if not can_open(current_user, pair):
        abort(403)
    return pair


def log_safety_read(user: User, pair: Pair, subject: str) -> None:
    """Every read of a safety note or answer is recorded; committed with the page."""
    db.session.add(
        AccessRecord(user_id=user.id, pair_id=pair.id, subject=subject, address=request.remote_addr)
    )
