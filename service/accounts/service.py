"""Staff accounts: created on the command line or invited by an admin, assigned to pairs."""

from __future__ import annotations

from functools import cache

import sqlalchemy as sa
from werkzeug.security import check_password_hash, generate_password_hash

from service.accounts import sessions
from service.accounts.models import SessionEnd, StaffRole, User
from service.database import db, rowcount, transaction
from service.errors import NotFound
from service.pairs.models import Pair
from workflows.pairing import OPEN_STATES

MIN_PASSWORD_LENGTH = 12


def get(*, user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound.of("user", user_id)
    return user


def by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(sa.func.lower(User.email) == email.lower()))


def create(*, email: str, full_name: str, role: str, password: str | None = None) -> User:
    if role not in set(StaffRole):
        raise ValueError(f"role must be one of {', '.join(StaffRole)}, got {role!r}")
    if "@" not in email:
        raise ValueError(f"{email!r} is not an e-mail address")
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    with transaction():
        if by_email(email) is not None:
            raise ValueError(f"a user with e-mail {email} exists already")
        user = User(
            email=email,
            full_name=full_name,
            role=role,
            password_hash=generate_password_hash(password) if password else None,
        )
        db.session.add(user)
    return user


@cache
def _dummy_hash() -> str:
    """Checked against when the e-mail is unknown, so an unknown address takes as long to
    refuse. Made at the first sign-in, not at import: every process would pay 0.15 s."""
    return generate_password_hash("not a real password")


class SignInRefused(Exception):
    """Wrong e-mail or password: never which. (Too many attempts is the rate limit's 429.)"""

    message = "The e-mail address or the password is not right."


def authenticate(*, email: str, password: str) -> User:
    user = by_email(email.strip())
    valid = check_password_hash(
        user.password_hash if user and user.password_hash else _dummy_hash(), password
    )
    if user is None or not user.active or not user.password_hash or not valid:
        raise SignInRefused()
    return user


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")


def set_password(*, user_id: int, password: str) -> None:
    """A new password ends every session of the user (a fresh one may start after)."""
    _check_password(password)
    with transaction():
        get(user_id=user_id).password_hash = generate_password_hash(password)
        sessions.end_all(user_id=user_id, why=SessionEnd.PASSWORD_CHANGED)


def replace_password(*, user: User, password: str) -> bool:
    """Like set_password, but only if the password is still the one `user` was read with
    (compare-and-set): two uses of one reset link cannot both set a password."""
    _check_password(password)
    current = user.password_hash
    with transaction():
        changed = db.session.execute(
            sa.update(User)
            .where(
                User.id == user.id,
                User.password_hash.is_(None) if current is None else User.password_hash == current,
            )
            .values(password_hash=generate_password_hash(password))
            .execution_options(synchronize_session=False)
        )
        if rowcount(changed) != 1:
            return False
        sessions.end_all(user_id=user.id, why=SessionEnd.PASSWORD_CHANGED)
    return True


def set_active(*, user_id: int, active: bool, by_user_id: int | None = None) -> User:
    """Disable or enable an account; disabling ends its sessions at once."""
    if not active and by_user_id == user_id:
        raise ValueError("you cannot disable your own account")
    with transaction():
        user = get(user_id=user_id)
        user.active = active
        if not active:
            sessions.end_all(user_id=user_id, why=SessionEnd.DISABLED, by_user_id=by_user_id)
    return user


def set_role(*, user_id: int, role: str, by_user_id: int) -> User:
    """Change what a member of staff may do; it holds from their next page on.

    Nobody changes their own role (an admin cannot leave the program without one by
    mistake), and a coordinator who still looks after open pairs does not become support
    staff, who may not coordinate: their pairs are handed to another coordinator first."""
    if role not in set(StaffRole):
        raise ValueError(f"role must be one of {', '.join(StaffRole)}, got {role!r}")
    if by_user_id == user_id:
        raise ValueError("you cannot change your own role: ask another admin")
    with transaction():
        user = get(user_id=user_id)
        if role == StaffRole.SUPPORT and user.role != StaffRole.SUPPORT:
            coordinated = coordinated_pairs(user_id=user_id)
            if coordinated:
                raise ValueError(
                    f"{user.full_name} coordinates {coordinated} open "
                    f"pair{'s' if coordinated != 1 else ''}: give "
                    f"{'them' if coordinated != 1 else 'it'} another coordinator first"
                )
        user.role = role
    return user


def coordinated_pairs(*, user_id: int) -> int:
    """How many open pairs `user_id` is the coordinator of."""
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Pair)
            .where(Pair.coordinator_id == user_id, Pair.state.in_([s.value for s in OPEN_STATES]))
        )
        or 0
    )


def everyone() -> list[User]:
    return list(db.session.scalars(sa.select(User).order_by(User.full_name, User.id)))


def set_email_preferences(*, user_id: int, preferences: dict[str, bool]) -> None:
    with transaction():
        user = get(user_id=user_id)
        user.email_preferences = {**user.email_preferences, **preferences}


def admins() -> list[User]:
    return list(
        db.session.scalars(
            sa.select(User).where(User.role == StaffRole.ADMIN, User.active.is_(True))
        )
    )


def coordinators() -> list[User]:
    return list(
        db.session.scalars(
            sa.select(User).where(
                User.role.in_([StaffRole.COORDINATOR, StaffRole.ADMIN]), User.active.is_(True)
            )
        )
    )
