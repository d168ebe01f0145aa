"""Inbound sources: who may send meeting events in, with which secret, for which program."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from service.actors import Actor, ActorKind
from service.database import db, transaction
from service.errors import Conflict, Forbidden, Invalid, NotFound
from service.inbound.models import InboundSource, SourceKind
from service.programs import service as programs
from service.webhooks.service import new_secret


def source_actor(source: InboundSource) -> Actor:
    return Actor(ActorKind.SYSTEM, str(source.id), f"inbound source {source.slug}")


def list_sources() -> list[InboundSource]:
    return list(db.session.scalars(sa.select(InboundSource).order_by(InboundSource.id)))


def get_source(*, source_id: int) -> InboundSource:
    source = db.session.get(InboundSource, source_id)
    if source is None:
        raise NotFound.of("inbound source", source_id)
    return source


def create_source(
    *,
    slug: str,
    name: str,
    kind: str = SourceKind.STANDARD,
    program_id: int | None = None,
    secret: str | None = None,
    enabled: bool = True,
) -> InboundSource:
    with transaction():
        if program_id is not None:
            programs.get(program_id=program_id)
        if db.session.scalar(sa.select(InboundSource.id).where(InboundSource.slug == slug)):
            raise Conflict(f"An inbound source with the slug {slug!r} exists already.")
        source = InboundSource(
            slug=slug,
            name=name,
            kind=kind,
            # Calendly signs with the key given when its webhook subscription was made.
            secret=secret if kind == SourceKind.CALENDLY else new_secret(),
            program_id=program_id,
            enabled=enabled,
        )
        db.session.add(source)
    return source


def update_source(*, source_id: int, **changes: Any) -> InboundSource:
    with transaction():
        source = get_source(source_id=source_id)
        if changes.get("program_id") is not None:
            programs.get(program_id=changes["program_id"])
        if "secret" in changes and source.kind != SourceKind.CALENDLY:
            raise Invalid("secret", "only a Calendly source's signing key is set by hand")
        for name, value in changes.items():
            setattr(source, name, value)
    return source


def delete_source(*, source_id: int) -> None:
    """The events it sent stay: they name their sender, not the source row."""
    with transaction():
        db.session.delete(get_source(source_id=source_id))


def receiving_source(*, slug: str, kind: str) -> InboundSource:
    source = db.session.scalar(sa.select(InboundSource).where(InboundSource.slug == slug))
    if source is None or source.kind != kind:
        raise NotFound(f"No {kind} inbound source named {slug!r}.")
    if not source.enabled:
        raise Forbidden(f"The inbound source {slug!r} is disabled.")
    return source
