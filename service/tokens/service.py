"""API tokens: created on the CLI or by an admin in the console, shown once, stored as a
SHA-256 digest."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

import sqlalchemy as sa

from service.clock import now
from service.database import db, read, transaction
from service.errors import NotFound
from service.tokens.models import ApiToken

TOKEN_PREFIX = "pw_"

SCOPES: dict[str, str] = {
    "programs:read": "Read programs",
    "programs:write": "Create and change programs",
    "participants:read": "Read participants (names and contact details)",
    "participants:write": "Create and change participants and their training records",
    "pairs:read": "Read pairs, their history, meetings and proposals",
    "pairs:write": "Create pairs, request transitions, log meetings and interventions",
    "proposals:decide": "Approve or reject proposed transitions",
    "events:read": "Read the event feed",
    "webhooks:manage": "Register webhook endpoints, read their secrets and delivery log, redeliver",
    "meetings:inbound": "Send meeting events (held, cancelled, no-show, moved) for pairs",
    "integrations:manage": "Manage inbound sources and their secrets; resolve unmatched events",
    "surveys:read": "Read survey definitions, their versions and invitations",
    "surveys:write": "Publish a program's own version of a survey",
    "surveys:invite": "Create survey invitations (the links are credentials: keep them safe)",
    "responses:read": "Read survey answers shared with the pair or published with consent",
    "responses:read_private": "Also read answers meant for program staff only",
    "admin": "Everything, including reopening closed pairs",
}

# What to weigh before granting a scope, shown beside it in the console.
SCOPE_CARE: dict[str, str] = {
    "participants:read": "Names, e-mail addresses and phone numbers of young people and families.",
    "surveys:invite": "Whoever holds a survey link can answer as that participant.",
    "webhooks:manage": "Decides where the events about pairs are sent.",
    "integrations:manage": "Decides which outside services may report meetings.",
    "responses:read_private": "What participants told the program's staff in confidence.",
    "admin": "Every other scope and more: give it to no service that does not need it.",
}

# The longest name a token may have (the column's width).
NAME_MAX = 100

# A scope that includes another: reading private answers includes reading shared ones.
IMPLIED_SCOPES: dict[str, frozenset[str]] = {
    "responses:read_private": frozenset({"responses:read"}),
}


def expand(scopes: Iterable[str]) -> frozenset[str]:
    granted = set(scopes)
    for scope in list(granted):
        granted |= IMPLIED_SCOPES.get(scope, frozenset())
    return frozenset(granted)


# Writing `last_used_at` on every request would turn every read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def digest(raw_token: str) -> str:
    return hashlib.sha256(raw_token.encode()).hexdigest()


def validate_scopes(scopes: Iterable[str]) -> list[str]:
    scopes = sorted(set(scopes))
    unknown = [scope for scope in scopes if scope not in SCOPES]
    if unknown:
        raise ValueError(
            f"unknown scope(s) {', '.join(unknown)}; known scopes: {', '.join(SCOPES)}"
        )
    if not scopes:
        raise ValueError("a token needs at least one scope")
    return scopes


def create(*, name: str, scopes: Iterable[str]) -> tuple[ApiToken, str]:
    """Create a token; the raw value is returned once and never stored."""
    name = name.strip()
    if not name:
        raise ValueError("a token needs a name, e.g. the service that will use it")
    if len(name) > NAME_MAX:
        raise ValueError(f"a token's name has at most {NAME_MAX} characters")
    scopes = validate_scopes(scopes)
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction():
        if db.session.scalar(sa.select(ApiToken.id).where(ApiToken.name == name)) is not None:
            raise ValueError(f"a token named {name!r} exists already")
        token = ApiToken(name=name, prefix=raw[:10], token_hash=digest(raw), scopes=scopes)
        db.session.add(token)
    return token, raw


# Built once: every API request asks it, and a statement built anew costs its construction
# and its cache key on each request before the compiled form is found. Only the columns a
# request needs, as a plain row: no ORM object is made for it.
_BY_DIGEST = sa.select(
    ApiToken.id, ApiToken.name, ApiToken.scopes, ApiToken.revoked_at, ApiToken.last_used_at
).where(ApiToken.token_hash == sa.bindparam("digest"))
# A token as a request presents it: id, name, scopes, revoked_at, last_used_at.
Presented = sa.Row[int, str, list[str], datetime | None, datetime | None]


def authenticate(raw_token: str) -> Presented | None:
    """The token's id, name, scopes (and when it was revoked and last used), if it is known
    and not revoked."""
    token = read(_BY_DIGEST, {"digest": digest(raw_token)}).first()
    if token is None or token.revoked_at is not None:
        return None
    moment = now()
    if token.last_used_at is None or moment - token.last_used_at > LAST_USED_RESOLUTION:
        db.session.execute(
            sa.update(ApiToken)
            .where(ApiToken.id == token.id)
            .values(last_used_at=moment)
            .execution_options(synchronize_session=False, bookkeeping=True)
        )
        db.session.commit()
    return token


def get(*, token_id: int) -> ApiToken:
    token = db.session.get(ApiToken, token_id)
    if token is None:
        raise NotFound.of("token", token_id)
    return token


def revoke(*, name: str) -> ApiToken:
    """Requests with the token get 401 from now on; revoking a revoked token changes nothing."""
    with transaction():
        token = db.session.scalar(sa.select(ApiToken).where(ApiToken.name == name))
        if token is None:
            raise NotFound(f"No token named {name!r}.")
        if token.revoked_at is None:
            token.revoked_at = now()
    return token


def list_all() -> list[ApiToken]:
    return list(db.session.scalars(sa.select(ApiToken).order_by(ApiToken.name)))


def newest_first() -> list[ApiToken]:
    """The console's list: tokens still working first, each group newest first."""
    return list(
        db.session.scalars(
            sa.select(ApiToken).order_by(
                ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc(), ApiToken.id.desc()
            )
        )
    )
