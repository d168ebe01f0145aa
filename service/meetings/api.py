from __future__ import annotations

from service.auth import current_actor, require_scope
from service.idempotency.decorators import idempotent
from service.meetings import service
from service.meetings.schemas import MeetingListSchema, MeetingSchema
from service.schemas import Blueprint, documents

blueprint = Blueprint(
    "meetings",
    __name__,
    url_prefix="/api/v1/pairs",
    description="Meetings of a pair: held, cancelled or missed.",
)


@blueprint.get("/<id:pair_id>/meetings")
@require_scope("pairs:read")
@blueprint.response(200, MeetingListSchema)
@documents(blueprint, 401, 403, 404)
def list_meetings(pair_id: int):
    return {"items": service.list_for(pair_id=pair_id)}


@blueprint.post("/<id:pair_id>/meetings")
@require_scope("pairs:write")
@idempotent(blueprint)
@blueprint.arguments(
    MeetingSchema,
    example={
        "occurred_at": "2026-11-24T16:00:00+00:00",
        "status": "held",
        "duration_minutes": 60,
        "attendees": ["mentor", "mentee"],
        "location": "The library",
        "activities": "Homework, then planned a museum visit.",
    },
)
@blueprint.response(201, MeetingSchema)
@documents(blueprint, 401, 403, 404, 409, 422)
def log_meeting(body: dict, pair_id: int):
    return service.log(pair_id=pair_id, actor=current_actor(), **body), 201
