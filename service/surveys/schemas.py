from __future__ import annotations

from typing import Any

from marshmallow import fields, validate

from service.pairs import bounds as pair_bounds
from service.schemas import ActorSchema, BoundedDict, BoundedList, Schema, api_link, id_field
from surveys.definition import TRENDS

# baseline, month_1 … month_60, closure: the outcome survey's occasions.
OCCASION_PATTERN = r"^(baseline|closure|month_([1-9]|[1-5][0-9]|60))$"


class SurveySchema(Schema):
    key = fields.String()
    title = fields.String()
    purpose = fields.String()
    audience = fields.List(fields.String())
    version = fields.Integer(metadata={"description": "The standard version's number."})
    links = fields.Dict()


class SurveyListSchema(Schema):
    items = fields.List(fields.Nested(SurveySchema))


class SurveyVersionSchema(Schema):
    id = fields.Integer()
    survey_key = fields.String()
    program_id = fields.Integer(allow_none=True, metadata={"description": "None: standard."})
    version = fields.Integer()
    definition = fields.Dict(metadata={"description": "The definition as authored."})
    created_by = fields.Nested(ActorSchema)
    created_at = fields.DateTime()


class SurveyVersionListSchema(Schema):
    items = fields.List(fields.Nested(SurveyVersionSchema))


class VersionQuerySchema(Schema):
    program_id = id_field(metadata={"description": "Also list this program's own versions."})


class PublishVersionSchema(Schema):
    """A program's version: the whole list of questions, as in surveys/definitions/*.yaml."""

    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    intro = fields.String(validate=validate.Length(max=2000))
    thanks = fields.String(validate=validate.Length(max=1000))
    # Each question and rule is checked as a survey definition is (surveys/definition.py).
    questions = BoundedList(BoundedDict(max_entries=20), required=True, min_items=1, max_items=100)
    rules = BoundedList(BoundedDict(max_entries=20), max_items=200)
    trends = BoundedDict(max_entries=len(TRENDS))
    # Outcome surveys: each scale's key, title, items, reverse-scored items and subscales.
    scales = BoundedList(BoundedDict(max_entries=10), max_items=50)


class InvitationRequestSchema(Schema):
    survey_key = fields.String(required=True, validate=validate.Length(min=1, max=60))
    participant_id = id_field(required=True)
    pair_id = id_field(allow_none=True)
    valid_days = fields.Integer(
        validate=validate.Range(min=1, max=90),
        metadata={"description": "How long the link works; the program's setting by default."},
    )
    send_email = fields.Boolean(
        load_default=False, metadata={"description": "Also e-mail the link to the participant."}
    )
    occasion = fields.String(
        allow_none=True,
        validate=[
            validate.Length(max=20),
            validate.Regexp(OCCASION_PATTERN, error="baseline, month_<n> or closure."),
        ],
        metadata={
            "description": "An outcome survey only: what it is sent for (baseline, month_6, "
            "closure), which the outcomes report pairs answers by; e.g. the baseline of a "
            "match that was already active when the program turned outcome measures on."
        },
    )


class InvitationSchema(Schema):
    id = fields.Integer()
    survey_version_id = fields.Integer()
    participant_id = fields.Integer()
    pair_id = fields.Integer(allow_none=True)
    expires_at = fields.DateTime()
    used_at = fields.DateTime(allow_none=True)
    occasion = fields.String(
        allow_none=True, metadata={"description": "An outcome survey's occasion, else null."}
    )
    created_at = fields.DateTime()
    url = fields.String(
        metadata={"description": "The participant's link; only in the answer that creates it."}
    )


class AnswerSchema(Schema):
    key = fields.String()
    label = fields.String(metadata={"description": "The question as it was asked."})
    type = fields.String()
    value = fields.Raw()
    display = fields.String()
    visibility = fields.String()


class CheckinSchema(Schema):
    answers = BoundedDict(
        max_entries=100,
        required=True,
        metadata={
            "description": "Answers to the program's coordinator_checkin survey, by "
            'question key, e.g. {"approach": "pair", "with_whom": ["mentee"]}'
        },
    )


class GroupCheckinSchema(Schema):
    """A coordinator's check-in with several pairs at once: one record for all of them, which
    counts as the coordinator's contact with each pair."""

    id = fields.Integer(dump_only=True)
    pair_ids = BoundedList(
        id_field(),
        min_items=pair_bounds.GROUP_CHECKIN_PAIRS[0],
        max_items=pair_bounds.GROUP_CHECKIN_PAIRS[1],
        required=True,
        metadata={"description": "The pairs met together; each must still be open."},
    )
    held_on = fields.Date(required=True)
    notes = fields.String(
        load_default="",
        validate=validate.Length(max=pair_bounds.GROUP_CHECKIN_NOTES),
        metadata={"description": "What was discussed (shown on each pair's timeline)."},
    )
    recorded_by = fields.Nested(ActorSchema, dump_only=True)
    created_at = fields.DateTime(dump_only=True)


class ResponseSchema(Schema):
    id = fields.Integer()
    survey_key = fields.String()
    survey_version_id = fields.Integer()
    purpose = fields.String()
    pair_id = fields.Integer(allow_none=True)
    participant_id = fields.Integer(allow_none=True)
    respondent_role = fields.String()
    submitted_at = fields.DateTime()
    answers = fields.List(fields.Nested(AnswerSchema))
    withheld = fields.Integer(
        metadata={"description": "Answers left out because this token may not read them."}
    )
    links = fields.Dict()


class ResponseListSchema(Schema):
    items = fields.List(fields.Nested(ResponseSchema))


def survey_summary(definition: Any) -> dict[str, Any]:
    return {
        "key": definition.key,
        "title": definition.title,
        "purpose": definition.purpose,
        "audience": list(definition.audience),
        "version": definition.version,
        "links": {"versions": api_link(f"/surveys/{definition.key}/versions")},
    }
