"""The API's shape of a mentee's choice offer."""

from __future__ import annotations

from marshmallow import fields

from service.schemas import Schema


class ChoiceOptionSchema(Schema):
    mentor_id = fields.Integer()
    score = fields.Float(metadata={"description": "The score when the offer was sent."})
    reasons = fields.List(
        fields.String(),
        metadata={
            "description": "Why the mentor ranked here when the offer was sent.",
            "example": ["Shares 1 goal: reading", "Speaks English", "Has 1 place left"],
        },
    )


class ChoiceOfferSchema(Schema):
    id = fields.Integer()
    pair_id = fields.Integer()
    mentee_id = fields.Integer()
    status = fields.String(
        metadata={
            "description": "open (the mentee may choose), chosen (the pair is matched), "
            "proposed (the match waits for a coordinator's approval), replaced (a newer "
            "offer went to the mentee) or expired"
        }
    )
    options = fields.List(
        fields.Nested(ChoiceOptionSchema),
        metadata={"description": "The mentors offered, best first, as they stood when sent."},
    )
    chosen_mentor_id = fields.Integer(allow_none=True)
    expires_at = fields.DateTime()
    used_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    url = fields.String(
        metadata={
            "description": "The mentee's link (also e-mailed to them); only in the answer that "
            "creates it. Whoever holds it can choose for the mentee: keep it safe."
        }
    )


class ChoiceOfferListSchema(Schema):
    items = fields.List(fields.Nested(ChoiceOfferSchema))
