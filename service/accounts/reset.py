"""Links that set a password: a forgotten password's, and a new member of staff's invitation.

Each is signed, expiring and single-use, sent to the address on file. The link names the user
and a fingerprint of their current password hash. Setting a password changes the hash, so a
link works once, and any password change retires the older links. Nothing is stored but the
e-mail itself. The two kinds are signed apart (a reset link is no invitation), and an
invitation lasts longer: days, not an hour, since it may wait in an inbox over a weekend.
"""

from __future__ import annotations

import hashlib
import logging

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from service.accounts import service as accounts
from service.accounts.models import User
from service.database import db, transaction
from service.notifications.service import queue_email

log = logging.getLogger(__name__)

SALT = "pairwise.password-reset"
INVITATION_SALT = "pairwise.staff-invitation"


class ResetLinkInvalid(Exception):
    """Tampered with, expired, already used, or for an account that is disabled."""


def _serializer(salt: str = SALT) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def _fingerprint(user: User) -> str:
    return hashlib.sha256((user.password_hash or "").encode()).hexdigest()[:16]


def link_for(user: User) -> str:
    token = _serializer().dumps({"user": user.id, "password": _fingerprint(user)})
    return f"{current_app.config['PUBLIC_URL']}/console/reset-password/{token}"


def max_age_minutes() -> int:
    return int(current_app.config["PASSWORD_RESET_MAX_AGE"].total_seconds() // 60)


def request_reset(*, email: str) -> None:
    """E-mail a link if an active account has this address; otherwise do nothing. The caller
    answers the same either way, so the page never tells which addresses have accounts."""
    user = accounts.by_email(email.strip())
    if user is None or not user.active:
        log.info("password reset asked for an address with no active account")
        return
    with transaction():
        queue_email(
            template="password_reset",
            to_address=user.email,
            language=user.language,
            context={"name": user.full_name, "link": link_for(user), "minutes": max_age_minutes()},
        )


def user_for(token: str) -> User:
    """The account a reset link is for, if the link still works."""
    return _account_for(token, salt=SALT, setting="PASSWORD_RESET_MAX_AGE")


def _account_for(token: str, *, salt: str, setting: str) -> User:
    max_age = current_app.config[setting].total_seconds()
    try:
        data = _serializer(salt).loads(token, max_age=max_age)
    except SignatureExpired:
        raise ResetLinkInvalid("the link has expired") from None
    except BadSignature:
        raise ResetLinkInvalid("the link's signature does not match") from None
    user = db.session.get(User, data.get("user")) if isinstance(data, dict) else None
    if user is None or not user.active or data.get("password") != _fingerprint(user):
        raise ResetLinkInvalid("the link was used already, or the account is disabled")
    return user


def reset(*, token: str, password: str) -> User:
    """Set the new password (ending every session of the account); the link is spent."""
    user = user_for(token)
    if not accounts.replace_password(user=user, password=password):
        raise ResetLinkInvalid("the link was used already")
    return user


# ---------------------------------------------------------------------------- invitations


def invitation_link_for(user: User) -> str:
    token = _serializer(INVITATION_SALT).dumps({"user": user.id, "password": _fingerprint(user)})
    return f"{current_app.config['PUBLIC_URL']}/console/welcome/{token}"


def invitation_days() -> int:
    return max(1, int(current_app.config["INVITATION_MAX_AGE"].total_seconds() // 86400))


def invite(*, email: str, full_name: str, role: str, invited_by: User) -> User:
    """A new member of staff, without a password: the e-mailed link lets them set one."""
    user = accounts.create(email=email.strip(), full_name=full_name.strip(), role=role)
    send_invitation(user=user, invited_by=invited_by)
    return user


def send_invitation(*, user: User, invited_by: User) -> None:
    """(Again) e-mail the link, while the account has never had a password."""
    if user.password_hash is not None:
        raise ValueError(f"{user.full_name} has set a password already: nothing to accept")
    if not user.active:
        raise ValueError(f"{user.full_name}'s account is disabled: enable it first")
    with transaction():
        queue_email(
            template="staff_invitation",
            to_address=user.email,
            language=user.language,
            context={
                "name": user.full_name,
                "invited_by": invited_by.full_name,
                "role": user.role,
                "link": invitation_link_for(user),
                "days": invitation_days(),
            },
        )


def invited_user_for(token: str) -> User:
    """The account an invitation is for, if the link still works."""
    return _account_for(token, salt=INVITATION_SALT, setting="INVITATION_MAX_AGE")


def accept(*, token: str, password: str) -> User:
    """Set the first password; the invitation is spent."""
    user = invited_user_for(token)
    if not accounts.replace_password(user=user, password=password):
        raise ResetLinkInvalid("the link was used already")
    return user
