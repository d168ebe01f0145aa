"""Forgotten passwords: a signed, expiring, single-use link sent to the address on file.

The link names the user and a fingerprint of their current password hash. Setting a password
changes the hash, so a link works once, and a newer link (or any password change) retires
the older ones. Nothing is stored but the e-mail itself.
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


class ResetLinkInvalid(Exception):
    """Tampered with, expired, already used, or for an account that is disabled."""


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


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
    max_age = current_app.config["PASSWORD_RESET_MAX_AGE"].total_seconds()
    try:
        data = _serializer().loads(token, max_age=max_age)
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
