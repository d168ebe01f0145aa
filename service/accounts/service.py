"""Staff accounts: created on the command line, assigned to pairs."""

from __future__ import annotations

import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from service.accounts.models import StaffRole, User
from service.database import db, transaction
from service.problems import not_found

MIN_PASSWORD_LENGTH = 12


def get(*, user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise not_found("user", user_id)
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
