from __future__ import annotations

import sqlalchemy as sa
from marshmallow import fields, validate

from service.auth import require_scope
from service.database import db
from service.events import catalog
from service.events.models import OutboxEvent
from service.events.service import envelope
from service.schemas import Blueprint, Schema, documents, id_field

blueprint = Blueprint(
    "events",
    __name__,
    url_prefix="/api/v1/events",
    description="The event feed: every lifecycle event, in order, for services that poll.",
)


class EventQuerySchema(Schema):
    after = fields.Integer(
        load_default=0,
        validate=validate.Range(min=0, max=2**63 - 1),
        metadata={"description": "Return events after this `position`."},
    )
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))
    type = fields.String(validate=validate.OneOf(catalog.public_event_types()))
    pair_id = id_field()


class EventSchema(Schema):
    position = fields.Integer()
    id = fields.String()
    type = fields.String()
    occurred_at = fields.String()
    pair_id = fields.Integer(allow_none=True)
    pair_sequence = fields.Integer(allow_none=True)
    data = fields.Dict()


class EventFeedSchema(Schema):
    items = fields.List(fields.Nested(EventSchema))
    next_after = fields.Integer(metadata={"description": "Pass as `after` for the next page."})


@blueprint.get("")
@require_scope("events:read")
@blueprint.arguments(EventQuerySchema, location="query", as_kwargs=True)
@blueprint.response(200, EventFeedSchema)
@documents(blueprint, 401, 403, 422)
def feed(after: int, limit: int, type: str | None = None, pair_id: int | None = None):
    """Events in `position` order: the order the relay found them committed, so paging with
    `after` never skips one. Events appear once the relay (run by every worker) numbers them."""
    query = (
        sa.select(OutboxEvent)
        .where(OutboxEvent.position > after)
        .where(OutboxEvent.type.not_in(catalog.INTERNAL_EVENT_TYPES))
        .order_by(OutboxEvent.position)
    )
    if type:
        query = query.where(OutboxEvent.type == type)
    if pair_id is not None:
        query = query.where(OutboxEvent.pair_id == pair_id)
    events = db.session.scalars(query.limit(limit)).all()
    items = [{"position": event.position, **envelope(event)} for event in events]
    return {"items": items, "next_after": events[-1].position if events else after}
