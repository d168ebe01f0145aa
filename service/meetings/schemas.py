from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from service.meetings import bounds
from service.meetings.models import MeetingStatus
from service.schemas import ActorSchema, BoundedList, Schema, aware_datetime


class MeetingSchema(Schema):
    id = fields.Integer(dump_only=True)
    pair_id = fields.Integer(dump_only=True)
    occurred_at = aware_datetime(
        required=True,
        metadata={"description": "When it took place (or was planned), with its UTC offset."},
    )
    status = fields.String(required=True, validate=validate.OneOf(list(MeetingStatus)))
    duration_minutes = fields.Integer(
        allow_none=True, validate=validate.Range(*bounds.DURATION_MINUTES)
    )
    attendees = BoundedList(
        fields.String(validate=validate.OneOf(bounds.ATTENDEES)),
        max_items=len(bounds.ATTENDEES),
        metadata={"description": "Who was present."},
    )
    location = fields.String(validate=validate.Length(max=bounds.LOCATION_MAX))
    activities = fields.String(
        validate=validate.Length(max=bounds.ACTIVITIES_MAX),
        metadata={"description": "What they did together."},
    )
    missed_by = fields.String(
        allow_none=True,
        validate=validate.OneOf(["mentor", "mentee", "both"]),
        metadata={"description": "Who cancelled or did not show up."},
    )
    notice_hours = fields.Integer(
        dump_only=True,
        allow_none=True,
        metadata={"description": "For a cancellation sent in as a meeting event: hours of notice."},
    )
    is_final_session = fields.Boolean(
        metadata={"description": "The celebratory final session; `close` requires it."}
    )
    recorded_by = fields.Nested(ActorSchema, dump_only=True)
    created_at = fields.DateTime(dump_only=True)

    @validates_schema
    def _held_meetings_have_a_length(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("status") == MeetingStatus.HELD and not data.get("duration_minutes"):
            raise ValidationError("A held meeting needs its length.", "duration_minutes")


class MeetingListSchema(Schema):
    items = fields.List(fields.Nested(MeetingSchema))
