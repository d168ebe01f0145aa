from __future__ import annotations

from marshmallow import fields, validate

from service.schemas import BoundedList, Schema, id_field
from service.training import bounds
from service.training.models import TrainingSession


class TrainingRecordSchema(Schema):
    id = fields.Integer(dump_only=True)
    participant_id = fields.Integer(dump_only=True)
    session = fields.String(required=True, validate=validate.OneOf(list(TrainingSession)))
    completed_on = fields.Date(required=True)
    pair_id = id_field(
        allow_none=True,
        metadata={"description": "Required for rematch_briefing: the successor pair."},
    )
    topics = BoundedList(
        fields.String(validate=validate.Length(*bounds.TOPIC)),
        max_items=bounds.TOPICS_MAX,
        load_default=list,
        metadata={
            "description": "What the session covered, for example safety, boundaries, goal setting."
        },
    )
    created_at = fields.DateTime(dump_only=True)


class TrainingListSchema(Schema):
    items = fields.List(fields.Nested(TrainingRecordSchema), required=True)
