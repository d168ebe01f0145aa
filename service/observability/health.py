"""`/healthz`: the process answers. `/readyz`: it can do its work: the database and Redis
answer and the schema is at the migrations' head (a new release waits for its migration)."""

from __future__ import annotations

from functools import cache
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, current_app
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from service.database import db, rollback
from service.queue import redis_probe

blueprint = Blueprint("health", __name__)


@cache
def migrations(directory: str) -> tuple[str | None, frozenset[str]]:
    """The head revision this code expects, and every revision it knows."""
    # Alembic is only read here, once per process (cached): no need to load it at start.
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", directory)
    scripts = ScriptDirectory.from_config(config)
    return scripts.get_current_head(), frozenset(s.revision for s in scripts.walk_revisions())


def _why(error: BaseException) -> str:
    """The first line of what the driver said: enough for an operator to act on."""
    cause = getattr(error, "orig", None) or error
    lines = str(cause).strip().splitlines() or [type(cause).__name__]
    return lines[0][:200]


def _database() -> tuple[bool, str]:
    try:
        current = db.session.scalar(sa.text("SELECT version_num FROM alembic_version"))
    except SQLAlchemyError as error:
        rollback()
        return False, f"unreachable or not migrated: {_why(error)}"
    head, known = migrations(current_app.extensions["migrate"].directory)
    if current == head:
        return True, f"schema at {current}"
    if current not in known:
        # A newer release has migrated already (migrations are additive): keep serving
        # until this pod is replaced, rather than emptying the Service mid-rollout.
        return True, f"schema at {current}, newer than this code's {head}"
    return False, f"schema at {current}, code expects {head}: run `pairwise db upgrade`"


def _redis() -> tuple[bool, str]:
    try:
        redis_probe().ping()
    except (RedisError, OSError) as error:
        return False, f"unreachable: {_why(error)}"
    return True, "answers"


@blueprint.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@blueprint.get("/readyz")
def readyz() -> tuple[dict[str, Any], int]:
    checks: dict[str, Any] = {}
    ready = True
    for name, check in (("database", _database), ("redis", _redis)):
        ok, detail = check()
        checks[name] = {"ok": ok, "detail": detail}
        ready = ready and ok
    return {"status": "ready" if ready else "not ready", "checks": checks}, 200 if ready else 503
