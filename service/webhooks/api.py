"""Webhook endpoints, their deliveries and attempts, and redelivery."""

from __future__ import annotations

from marshmallow import fields, validate

from service.auth import current_actor, require_scope
from service.database import db
from service.events.catalog import public_event_types
from service.idempotency.decorators import idempotent
from service.problems import not_found
from service.schemas import Blueprint, BoundedList, Schema, documents, link, links
from service.webhooks import bounds, service
from service.webhooks.models import Attempt, Delivery, DeliveryStatus, Endpoint

_path, _id = "/api/v1/webhooks/{endpoint_id}", "$response.body#/id"
ENDPOINT_LINKS = {
    "get": link("GET", _path, "The endpoint.", endpoint_id=_id),
    "update": link("PATCH", _path, "Change it.", endpoint_id=_id),
    "delete": link("DELETE", _path, "Stop delivering to it.", endpoint_id=_id),
    "rotate": link("POST", f"{_path}/rotate-secret", "A new signing secret.", endpoint_id=_id),
    "deliveries": link("GET", f"{_path}/deliveries", "Its delivery log.", endpoint_id=_id),
}

blueprint = Blueprint(
    "webhooks",
    __name__,
    url_prefix="/api/v1",
    description="Outbound webhooks (Standard Webhooks): endpoints, secrets, the delivery log "
    "and redelivery. The event catalogue, with a schema per event, is under `webhooks` in this "
    "document.",
)


class EndpointSchema(Schema):
    id = fields.Integer(dump_only=True)
    url = fields.Url(
        required=True,
        schemes={"http", "https"},
        require_tld=False,
        validate=validate.Length(max=bounds.URL_MAX),
    )
    event_types = BoundedList(
        fields.String(validate=validate.OneOf(["*", *public_event_types()])),
        max_items=len(public_event_types()) + 1,
        metadata={"description": 'The event types wanted; ["*"] (the default) for all.'},
    )
    description = fields.String(validate=validate.Length(max=bounds.DESCRIPTION_MAX))
    enabled = fields.Boolean()
    disabled_reason = fields.String(dump_only=True, allow_none=True)
    failing_since = fields.DateTime(dump_only=True, allow_none=True)
    created_at = fields.DateTime(dump_only=True)


class EndpointWithSecretSchema(EndpointSchema):
    secret = fields.String(
        dump_only=True,
        metadata={"description": "Standard Webhooks secret (whsec_…): verify signatures with it."},
    )
    previous_secret_expires_at = fields.DateTime(dump_only=True, allow_none=True)


class EndpointListSchema(Schema):
    items = fields.List(fields.Nested(EndpointSchema))


class AttemptSchema(Schema):
    at = fields.DateTime()
    status_code = fields.Integer(allow_none=True)
    latency_ms = fields.Integer()
    response_excerpt = fields.String(metadata={"description": "The first KiB of the answer."})
    error = fields.String(allow_none=True)
    manual = fields.Boolean()


class DeliverySchema(Schema):
    id = fields.Integer()
    endpoint_id = fields.Integer()
    event_id = fields.String(metadata={"description": "The `webhook-id` header."})
    event_type = fields.String()
    pair_id = fields.Integer(allow_none=True)
    pair_sequence = fields.Integer(allow_none=True)
    status = fields.String()
    attempts = fields.Integer()
    next_attempt_at = fields.DateTime(allow_none=True)
    last_status_code = fields.Integer(allow_none=True)
    last_error = fields.String(allow_none=True)
    delivered_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()


class DeliveryDetailSchema(DeliverySchema):
    attempts_log = fields.Method("_attempts", data_key="attempt_log")

    def _attempts(self, delivery: Delivery) -> list[dict]:
        rows = db.session.scalars(
            db.select(Attempt).where(Attempt.delivery_id == delivery.id).order_by(Attempt.id)
        )
        return AttemptSchema(many=True).dump(rows)


class DeliveryListSchema(Schema):
    items = fields.List(fields.Nested(DeliverySchema))


class DeliveryQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf(list(DeliveryStatus)))
    since = fields.AwareDateTime()
    until = fields.AwareDateTime()
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))


class RedeliverRangeSchema(Schema):
    since = fields.AwareDateTime(required=True)
    until = fields.AwareDateTime(required=True)


class RedeliveredSchema(Schema):
    redelivered = fields.Integer()


def _endpoint_secret(answer: dict) -> str | None:
    """An endpoint's current secret, for a replayed answer (never stored in it)."""
    endpoint = db.session.get(Endpoint, answer["id"])
    return endpoint.secret if endpoint is not None else None


@blueprint.get("/webhooks")
@require_scope("webhooks:manage")
@blueprint.response(200, EndpointListSchema)
@documents(blueprint, 401, 403)
def list_endpoints():
    return {"items": db.session.scalars(db.select(Endpoint).order_by(Endpoint.id)).all()}


@blueprint.post("/webhooks")
@require_scope("webhooks:manage")
@idempotent(blueprint, secret_of=_endpoint_secret)
@blueprint.arguments(
    EndpointSchema,
    example={
        "url": "https://hooks.example.org/pairwise",
        "event_types": ["*"],
        "description": "Sync with the CRM",
    },
)
@blueprint.response(201, EndpointWithSecretSchema)
@links(blueprint, 201, **ENDPOINT_LINKS)
@documents(blueprint, 401, 403, 422)
def register_endpoint(body: dict):
    return service.register(actor=current_actor(), **body), 201


@blueprint.get("/webhooks/<id:endpoint_id>")
@require_scope("webhooks:manage")
@blueprint.response(200, EndpointWithSecretSchema)
@documents(blueprint, 401, 403, 404)
def get_endpoint(endpoint_id: int):
    return service.get(endpoint_id=endpoint_id)


@blueprint.patch("/webhooks/<id:endpoint_id>")
@require_scope("webhooks:manage")
@blueprint.arguments(EndpointSchema(partial=True), example={"description": "Sync with the new CRM"})
@blueprint.response(200, EndpointSchema)
@documents(blueprint, 401, 403, 404, 422)
def update_endpoint(body: dict, endpoint_id: int):
    return service.update(endpoint_id=endpoint_id, **body)


@blueprint.delete("/webhooks/<id:endpoint_id>")
@require_scope("webhooks:manage")
@blueprint.response(204)
@documents(blueprint, 401, 403, 404)
def delete_endpoint(endpoint_id: int):
    service.delete(endpoint_id=endpoint_id)


@blueprint.post("/webhooks/<id:endpoint_id>/rotate-secret")
@require_scope("webhooks:manage")
@idempotent(blueprint, secret_of=_endpoint_secret)
@blueprint.response(200, EndpointWithSecretSchema)
@documents(blueprint, 401, 403, 404)
def rotate_secret(endpoint_id: int):
    """A new secret; the previous one keeps signing for 24 hours (both signatures sent)."""
    return service.rotate_secret(endpoint_id=endpoint_id)


@blueprint.get("/webhooks/<id:endpoint_id>/deliveries")
@require_scope("webhooks:manage")
@blueprint.arguments(DeliveryQuerySchema, location="query", as_kwargs=True)
@blueprint.response(200, DeliveryListSchema)
@documents(blueprint, 401, 403, 404, 422)
def list_deliveries(endpoint_id: int, limit: int, status=None, since=None, until=None):
    return {
        "items": service.deliveries(
            endpoint_id=endpoint_id, status=status, since=since, until=until, limit=limit
        )
    }


@blueprint.post("/webhooks/<id:endpoint_id>/redeliver-failed")
@require_scope("webhooks:manage")
@idempotent(blueprint)
@blueprint.arguments(
    RedeliverRangeSchema,
    example={"since": "2026-11-24T00:00:00+00:00", "until": "2026-11-25T00:00:00+00:00"},
)
@blueprint.response(200, RedeliveredSchema)
@documents(blueprint, 401, 403, 404, 422)
def redeliver_failed(body: dict, endpoint_id: int):
    """Every failed delivery created in [since, until), sent again with its own webhook-id."""
    return {"redelivered": service.redeliver_failed(endpoint_id=endpoint_id, **body)}


@blueprint.get("/webhook-deliveries/<id:delivery_id>")
@require_scope("webhooks:manage")
@blueprint.response(200, DeliveryDetailSchema)
@documents(blueprint, 401, 403, 404)
def get_delivery(delivery_id: int):
    delivery = db.session.get(Delivery, delivery_id)
    if delivery is None:
        raise not_found("webhook delivery", delivery_id)
    return delivery


@blueprint.post("/webhook-deliveries/<id:delivery_id>/redeliver")
@require_scope("webhooks:manage")
@idempotent(blueprint)
@blueprint.response(202, DeliverySchema)
@documents(blueprint, 401, 403, 404, 409)
def redeliver(delivery_id: int):
    return service.redeliver(delivery_id=delivery_id), 202
