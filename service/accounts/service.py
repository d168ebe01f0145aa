"""Staff accounts: created on the command line, assigned to pairs."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from werkzeug.security import check_password_hash, generate_password_hash

from service.accounts.models import LoginFailure, StaffRole, User
from service.clock import now
from service.database import db, transaction
from service.errors import NotFound

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


# Sign-ins refused for an address after this many failures in the window.
MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)
# Checked against when the e-mail is unknown, so an unknown address takes as long to refuse.
_DUMMY_HASH = generate_password_hash("not a real password")


class SignInRefused(Exception):
    """Wrong e-mail or password (never which), or too many attempts."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def authenticate(*, email: str, password: str, address: str | None) -> User:
    email = email.strip().lower()
    since = now() - FAILURE_WINDOW
    failures = db.session.scalar(
        sa.select(sa.func.count(LoginFailure.id)).where(
            LoginFailure.email == email, LoginFailure.at > since
        )
    )
    if failures >= MAX_FAILURES:
        raise SignInRefused("Too many attempts. Wait a few minutes, then try again.")
    user = by_email(email)
    valid = check_password_hash(
        user.password_hash if user and user.password_hash else _DUMMY_HASH, password
    )
    if user is None or not user.active or not user.password_hash or not valid:
        db.session.add(LoginFailure(email=email, address=address))
        db.session.commit()
        raise SignInRefused("The e-mail address or the password is not right.")
    db.session.execute(sa.delete(LoginFailure).where(LoginFailure.email == email))
    db.session.commit()
    return user


def set_password(*, user_id: int, password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    with transaction():
        get(user_id=user_id).password_hash = generate_password_hash(password)


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
