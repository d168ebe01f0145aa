"""Programs: the settings every pair of a program follows."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa

from service import bus
from service.actors import Actor
from service.database import db, transaction
from service.errors import Conflict, Forbidden, NotFound
from service.programs.domain_events import ProgramChanged
from service.programs.models import OPTIONAL_DEFAULTS, Program


def slugify(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:80] or "program"


def get(*, program_id: int) -> Program:
    program = db.session.get(Program, program_id)
    if program is None:
        raise NotFound.of("program", program_id)
    return program


def list_query(*, kind: str | None = None) -> sa.Select:
    query = sa.select(Program).order_by(Program.id)
    if kind:
        query = query.where(Program.kind == kind)
    return query


def _ensure_unique_slug(slug: str, *, except_id: int | None = None) -> None:
    clash = db.session.scalar(sa.select(Program.id).where(Program.slug == slug))
    if clash is not None and clash != except_id:
        raise Conflict(f"A program with slug {slug!r} exists already (id {clash}).")


def ensure_may_loosen_approvals(
    actor: Actor, program: Program | None, changes: dict[str, Any]
) -> None:
    """Only those who decide approvals loosen them: admins (an admin user, a token with the
    `admin` scope) and coordinators. Otherwise a token with `programs:write` could take a
    trigger out of `approval_required`, or turn on self-approval, and then decide its own
    approval-required transition after all."""
    if actor.is_admin or actor.decides_directly:
        return
    if changes.get("allow_self_approval") and not (program and program.allow_self_approval):
        raise Forbidden("Turning on self-approval needs the admin scope.")
    if program is not None and "approval_required" in changes:
        dropped = sorted(set(program.approval_required) - set(changes["approval_required"]))
        if dropped:
            raise Forbidden(
                f"Taking {', '.join(dropped)} out of approval_required needs the admin scope.",
                dropped=dropped,
            )


def create(*, name: str, slug: str | None = None, **settings: Any) -> Program:
    with transaction():
        slug = slug or slugify(name)
        _ensure_unique_slug(slug)
        program = Program(name=name, slug=slug, **{**OPTIONAL_DEFAULTS, **settings})
        db.session.add(program)
    return program


def update(*, program_id: int, **changes: Any) -> Program:
    with transaction():
        program = get(program_id=program_id)
        if "slug" in changes:
            _ensure_unique_slug(changes["slug"], except_id=program.id)
        for field, value in changes.items():
            setattr(program, field, value)
        # The calendar redraws every pair's calendar when one of its settings changed.
        bus.announce(ProgramChanged(program, frozenset(changes)))
    return program
