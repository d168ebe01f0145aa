"""Inbound meeting events: the sources that send them, the three ways in, and the events
waiting for a coordinator to name their pair."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from flask import request
from marshmallow import Schema, ValidationError

from service.auth import current_actor, require_scope
from service.database import db
from service.idempotency.decorators import idempotent
from service.inbound import calendly, events, sources, standard
from service.inbound.models import InboundEvent, InboundSource, InboundStatus, SourceKind
from service.inbound.schemas import (
    CalendlyWebhookSchema,
    InboundEventListSchema,
    InboundEventQuerySchema,
    InboundEventSchema,
    InboundSourceListSchema,
    InboundSourceSchema,
    InboundSourceUpdateSchema,
    InboundSourceWithSecretSchema,
    MeetingEventSchema,
    ResolveSchema,
)
from service.problems import Problem, validation_problem
from service.schemas import Blueprint, documents, link, links

_path, _id = "/api/v1/inbound-sources/{source_id}", "$response.body#/id"
SOURCE_LINKS = {
    "get": link("GET", _path, "The source.", source_id=_id),
    "update": link("PATCH", _path, "Change it.", source_id=_id),
    "delete": link("DELETE", _path, "Stop accepting its events.", source_id=_id),
}

blueprint = Blueprint(
    "inbound",
    __name__,
    url_prefix="/api/v1",
    description="Meeting events sent in by other services (our format signed per Standard "
    "Webhooks, Calendly's webhooks, or with an API token): recorded once per sender and event "
    "id, attached to a pair by its id or its participants' addresses, and judged for the "
    "warning signs of a relationship in trouble. Events whose pair cannot be told wait as "
    "`unmatched`.",
)

MANAGE = "integrations:manage"


def _header(name: str, description: str) -> dict[str, Any]:
    return {"in": "header", "name": name, "required": True, "schema": {"type": "string"}} | {
        "description": description
    }


_SIGNED_STANDARD = {
    "security": [],
    "parameters": [
        _header("webhook-id", "The message id (Standard Webhooks)."),
        _header("webhook-timestamp", "Unix seconds; refused more than 5 minutes away."),
        _header("webhook-signature", "v1,<base64 HMAC-SHA256> with the source's secret."),
    ],
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": MeetingEventSchema}},
    },
}
_SIGNED_CALENDLY = {
    "security": [],
    "parameters": [
        _header(calendly.HEADER, "t=<unix seconds>,v1=<hex HMAC-SHA256 of 't.body'>."),
    ],
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": CalendlyWebhookSchema}},
    },
}


def _answer(event: InboundEvent) -> tuple[InboundEvent, int]:
    """201 when recorded on a pair; 202 when kept for a coordinator, or ignored."""
    return event, 201 if event.status == InboundStatus.APPLIED else 202


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        raise Problem("malformed-request", "The body is not valid JSON.") from None


def _load(schema: Schema, data: Any) -> dict[str, Any]:
    try:
        return schema.load(data)
    except ValidationError as error:
        raise validation_problem({"json": error.messages}) from None


def _receive_ours(body: dict[str, Any], *, sender: str, actor, program_id=None) -> InboundEvent:
    change = events.MeetingChange(
        type=body["type"],
        starts_at=body["starts_at"],
        previous_starts_at=body.get("previous_starts_at"),
        cancelled_by=body.get("cancelled_by"),
        cancelled_at=body.get("cancelled_at"),
        duration_minutes=body.get("duration_minutes"),
        missed_by=body.get("missed_by"),
    )
    return events.receive(
        sender=sender,
        external_id=body["id"],
        change=change,
        emails=body.get("participants") or [],
        pair_id=body.get("pair_id"),
        program_id=program_id,
        actor=actor,
    )


# ---------------------------------------------------------------------------- receiving


@blueprint.post("/inbound/<string:slug>/meetings")
@blueprint.doc(**_SIGNED_STANDARD)
@blueprint.response(201, InboundEventSchema, description="Recorded on its pair")
@blueprint.alt_response(
    202,
    schema=InboundEventSchema,
    success=True,
    description="Kept: no pair could be told (unmatched), or nothing to record (ignored)",
)
@documents(blueprint, 400, 401, 403, 404, 409, 415, 422)
def receive_signed(slug: str):
    """A meeting event in our format, signed per Standard Webhooks with the source's secret.
    `meeting.held`, `meeting.cancelled` and `meeting.no_show` become meetings of the pair;
    `meeting.scheduled` and `meeting.rescheduled` are kept as events."""
    source = sources.receiving_source(slug=slug, kind=SourceKind.STANDARD)
    raw = request.get_data()
    standard.verify(source.secret, raw, request.headers)
    body = _load(MeetingEventSchema(), _json(raw))
    event = _receive_ours(
        body,
        sender=f"source:{source.slug}",
        actor=sources.source_actor(source),
        program_id=source.program_id,
    )
    return _answer(event)


@blueprint.post("/inbound/<string:slug>/calendly")
@blueprint.doc(**_SIGNED_CALENDLY)
@blueprint.response(201, InboundEventSchema, description="Recorded on its pair")
@blueprint.alt_response(
    202,
    schema=InboundEventSchema,
    success=True,
    description="Kept: no pair could be told (unmatched), or nothing to record (ignored)",
)
@documents(blueprint, 400, 401, 403, 404, 409, 415, 422)
def receive_calendly(slug: str):
    """Calendly's `invitee.created` (a booking) and `invitee.canceled` (a cancellation, or a
    reschedule when `payload.rescheduled`), signed with the subscription's signing key."""
    source = sources.receiving_source(slug=slug, kind=SourceKind.CALENDLY)
    raw = request.get_data()
    calendly.verify(source.secret, raw, request.headers.get(calendly.HEADER))
    data = _json(raw)
    sender, actor = f"source:{source.slug}", sources.source_actor(source)
    event_name = data.get("event") if isinstance(data, dict) else None
    if isinstance(event_name, str) and event_name not in calendly.EVENTS:
        # Another subscription event: acknowledged, so Calendly does not retry it.
        return _answer(
            events.record_ignored(
                sender=sender,
                external_id=f"{event_name[:60]}:{hashlib.sha256(raw).hexdigest()}",
                kind=event_name,
                reason="not a Calendly event Pairwise reads",
            )
        )
    data = _load(CalendlyWebhookSchema(), data)
    change, emails = calendly.to_change(data)
    event = events.receive(
        sender=sender,
        external_id=calendly.external_id(data),
        change=change,
        emails=emails,
        program_id=source.program_id,
        actor=actor,
    )
    return _answer(event)


@blueprint.post("/inbound/meetings")
@require_scope("meetings:inbound")
@idempotent(blueprint)
@blueprint.arguments(
    MeetingEventSchema,
    example={
        "id": "calendar-4711",
        "type": "meeting.held",
        "participants": ["tomás.silva@example.org", "leo.martins@example.org"],
        "starts_at": "2026-11-24T16:00:00+00:00",
        "duration_minutes": 60,
    },
)
@blueprint.response(201, InboundEventSchema, description="Recorded on its pair")
@blueprint.alt_response(
    202,
    schema=InboundEventSchema,
    success=True,
    description="Kept: no pair could be told (unmatched), or nothing to record (ignored)",
)
@documents(blueprint, 400, 401, 403, 409, 422)
def receive_with_token(body: dict):
    """A meeting event in our format from a service holding an API token; its event ids are
    unique per token name."""
    actor = current_actor()
    return _answer(_receive_ours(body, sender=f"token:{actor.label}", actor=actor))


# ---------------------------------------------------------------------------- events


@blueprint.get("/inbound/events")
@require_scope(MANAGE)
@blueprint.arguments(InboundEventQuerySchema, location="query", as_kwargs=True)
@blueprint.response(200, InboundEventListSchema)
@documents(blueprint, 401, 403, 422)
def list_events(limit: int, status: str | None = None):
    """Received events, newest first; `?status=unmatched` for those waiting for a pair."""
    return {"items": events.list_events(status=status, limit=limit)}


@blueprint.get("/inbound/events/<id:event_id>")
@require_scope(MANAGE)
@blueprint.response(200, InboundEventSchema)
@documents(blueprint, 401, 403, 404)
def get_event(event_id: int):
    return events.get_event(event_id=event_id)


@blueprint.post("/inbound/events/<id:event_id>/resolve")
@require_scope(MANAGE)
@idempotent(blueprint)
@blueprint.arguments(ResolveSchema, example={"pair_id": 1})
@blueprint.response(200, InboundEventSchema)
@documents(blueprint, 401, 403, 404, 409, 422)
def resolve_event(body: dict, event_id: int):
    """Attach an unmatched event to its pair: it is applied then (meeting, rules, signals)."""
    return events.resolve(event_id=event_id, actor=current_actor(), **body)


@blueprint.post("/inbound/events/<id:event_id>/ignore")
@require_scope(MANAGE)
@idempotent(blueprint)
@blueprint.response(200, InboundEventSchema)
@documents(blueprint, 401, 403, 404, 409)
def ignore_event(event_id: int):
    """An unmatched event that concerns no pair: kept, marked ignored."""
    return events.ignore(event_id=event_id, actor=current_actor())


# ---------------------------------------------------------------------------- sources


def _source_secret(answer: dict) -> str | None:
    """A source's current secret, for a replayed answer (never stored in it)."""
    source = db.session.get(InboundSource, answer["id"])
    return source.secret if source is not None else None


@blueprint.get("/inbound-sources")
@require_scope(MANAGE)
@blueprint.response(200, InboundSourceListSchema)
@documents(blueprint, 401, 403)
def list_sources():
    return {"items": sources.list_sources()}


@blueprint.post("/inbound-sources")
@require_scope(MANAGE)
@idempotent(blueprint, secret_of=_source_secret)
@blueprint.arguments(
    InboundSourceSchema, example={"slug": "school-calendar", "name": "School calendar"}
)
@blueprint.response(201, InboundSourceWithSecretSchema)
@links(blueprint, 201, **SOURCE_LINKS)
@documents(blueprint, 401, 403, 404, 409, 422)
def create_source(body: dict):
    """A sending service. A standard source gets a generated `whsec_` secret; a Calendly
    source takes the signing key of its webhook subscription."""
    return sources.create_source(**body), 201


@blueprint.get("/inbound-sources/<id:source_id>")
@require_scope(MANAGE)
@blueprint.response(200, InboundSourceWithSecretSchema)
@documents(blueprint, 401, 403, 404)
def get_source(source_id: int):
    return sources.get_source(source_id=source_id)


@blueprint.patch("/inbound-sources/<id:source_id>")
@require_scope(MANAGE)
@blueprint.arguments(InboundSourceUpdateSchema, example={"name": "School calendar (autumn term)"})
@blueprint.response(200, InboundSourceSchema)
@documents(blueprint, 401, 403, 404, 422)
def update_source(body: dict, source_id: int):
    return sources.update_source(source_id=source_id, **body)


@blueprint.delete("/inbound-sources/<id:source_id>")
@require_scope(MANAGE)
@blueprint.response(204)
@documents(blueprint, 401, 403, 404)
def delete_source(source_id: int):
    sources.delete_source(source_id=source_id)
