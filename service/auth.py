"""Who is calling: bearer tokens for the API (staff sessions join in the console)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import g, request

from service.actors import Actor, ActorKind
from service.problems import Problem
from service.tokens import service as tokens

F = TypeVar("F", bound=Callable[..., Any])


def _actor_from_bearer() -> Actor:
    header = request.headers.get("Authorization", "")
    scheme, _, raw = header.partition(" ")
    if not header:
        raise Problem("unauthorized", "Missing 'Authorization: Bearer <token>' header.")
    if scheme.lower() != "bearer" or not raw.strip():
        raise Problem("unauthorized", "The Authorization header must be 'Bearer <token>'.")
    actor = actor_of_token(raw.strip())
    if actor is None:
        raise Problem("unauthorized", "The API token is unknown or revoked.")
    return actor


def actor_of_token(raw_token: str) -> Actor | None:
    """Who a request presenting `raw_token` acts as (recording that the token was used), or
    None when the token is unknown or revoked."""
    token = tokens.authenticate(raw_token)
    if token is None:
        return None
    scopes = tokens.expand(token.scopes)
    return Actor(
        kind=ActorKind.TOKEN,
        id=str(token.id),
        label=token.name,
        scopes=scopes,
        is_admin="admin" in scopes,
    )


def current_actor() -> Actor:
    actor = g.get("actor")
    if actor is None:
        actor = g.actor = _actor_from_bearer()
    return actor


def has_scope(actor: Actor, scope: str) -> bool:
    return actor.is_admin or scope in actor.scopes


def require_scope(scope: str) -> Callable[[F], F]:
    """Authenticate the request and insist on `scope` (the `admin` scope has them all)."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            actor = current_actor()
            if not has_scope(actor, scope):
                raise Problem(
                    "forbidden",
                    f"This token lacks the scope {scope!r}.",
                    required_scope=scope,
                )
            return view(*args, **kwargs)

        wrapper.required_scope = scope  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate
