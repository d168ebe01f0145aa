from __future__ import annotations

from marshmallow import fields, validate

from service.participants.models import Role
from service.schemas import IdnEmail, PageArgsSchema, Schema, api_link, id_field

_tags = fields.List(
    fields.String(validate=validate.Length(min=1, max=100)), validate=validate.Length(max=50)
)


class ParticipantSchema(Schema):
    id = fields.Integer(dump_only=True)
    program_id = id_field(required=True)
    role = fields.String(required=True, validate=validate.OneOf(list(Role)))
    full_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    email = IdnEmail(required=True, validate=validate.Length(max=254))
    phone = fields.String(allow_none=True, validate=validate.Length(max=40))
    language = fields.String(
        validate=[
            validate.Length(max=16),
            validate.Regexp(
                r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$",
                error="Use a language tag such as en, nb or pt-BR.",
            ),
        ],
        metadata={"description": "Language of messages to this person; English by default."},
    )
    capacity = fields.Integer(
        validate=validate.Range(min=1, max=20),
        metadata={"description": "For mentors: how many mentees at once."},
    )
    guardian_of_id = id_field(
        allow_none=True, metadata={"description": "For guardians: the mentee's id."}
    )
    goals = _tags
    skills = _tags
    availability = fields.String(validate=validate.Length(max=2000))
    active = fields.Boolean()
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)
    links = fields.Method("_links", dump_only=True)

    def _links(self, participant) -> dict[str, str]:
        return {"self": api_link(f"/participants/{participant.id}")}


class ParticipantQuerySchema(PageArgsSchema):
    program_id = id_field()
    role = fields.String(validate=validate.OneOf(list(Role)))
    active = fields.Boolean()
