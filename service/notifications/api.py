from __future__ import annotations

from marshmallow import fields, validate

from service.accounts import service as accounts
from service.auth import require_scope
from service.notifications import service
from service.notifications.models import NotificationStatus
from service.schemas import Blueprint, Schema, documents

blueprint = Blueprint(
    "notifications",
    __name__,
    url_prefix="/api/v1",
    description="E-mails sent or failing, and the staff they go to. Admins only.",
)


class NotificationQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf(list(NotificationStatus)))
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))


class NotificationSchema(Schema):
    id = fields.Integer()
    template = fields.String()
    to_address = fields.String()
    language = fields.String()
    pair_id = fields.Integer(allow_none=True)
    status = fields.String()
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    created_at = fields.DateTime()
    sent_at = fields.DateTime(allow_none=True)


class NotificationListSchema(Schema):
    items = fields.List(fields.Nested(NotificationSchema))


class UserSchema(Schema):
    id = fields.Integer()
    email = fields.String()
    full_name = fields.String()
    role = fields.String()
    active = fields.Boolean()


class UserListSchema(Schema):
    items = fields.List(fields.Nested(UserSchema))


@blueprint.get("/notifications")
@require_scope("admin")
@blueprint.arguments(NotificationQuerySchema, location="query", as_kwargs=True)
@blueprint.response(200, NotificationListSchema)
@documents(blueprint, 401, 403, 422)
def list_notifications(limit: int, status: str | None = None):
    """Newest first; `status=failed` lists the e-mails every retry failed to send."""
    return {"items": service.recent(limit=limit, status=status)}


@blueprint.get("/users")
@require_scope("admin")
@blueprint.response(200, UserListSchema)
@documents(blueprint, 401, 403)
def list_users():
    """Staff who can look after pairs (create them with `pairwise create-user`)."""
    return {"items": accounts.coordinators()}
