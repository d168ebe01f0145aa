"""The matching API's shapes: suggestions for a mentee, a cohort proposal, a commit's report."""

from __future__ import annotations

from marshmallow import fields, validate

from service.matching.bounds import COHORT_MAX, SUGGESTIONS_MAX
from service.schemas import Schema, id_field


class SuggestionQuerySchema(Schema):
    limit = fields.Integer(
        load_default=10,
        validate=validate.Range(1, SUGGESTIONS_MAX),
        metadata={"description": "How many mentors to return, best first (and as many ruled out)."},
    )


class SuggestionSchema(Schema):
    mentor_id = fields.Integer(attribute="mentor.id")
    full_name = fields.String(attribute="mentor.full_name")
    open_places = fields.Integer()
    score = fields.Float(
        metadata={"description": "The program's weights x each criterion's value."}
    )
    reasons = fields.List(
        fields.String(),
        metadata={
            "description": "Why the mentor ranks here, in plain words.",
            "example": ["Shares 2 goals: careers, reading", "Speaks Spanish", "Has 1 place left"],
        },
    )
    failures = fields.List(
        fields.String(),
        metadata={
            "description": "The hard constraints the mentor fails (only for those ruled out).",
            "example": ["Was this mentee's mentor before"],
        },
    )


class SuggestionsSchema(Schema):
    mentee_id = fields.Integer()
    considered = fields.Integer(metadata={"description": "Active mentors of the program."})
    items = fields.List(fields.Nested(SuggestionSchema), attribute="candidates")
    excluded = fields.List(
        fields.Nested(SuggestionSchema),
        metadata={"description": "Mentors a hard constraint rules out, with why."},
    )


class CohortPinSchema(Schema):
    pair_id = id_field(required=True)
    mentor_id = id_field(required=True)


class CohortRequestSchema(Schema):
    pins = fields.List(
        fields.Nested(CohortPinSchema),
        load_default=list,
        validate=validate.Length(max=COHORT_MAX),
        metadata={"description": "Pairs to keep with the mentor given, when they fit."},
    )
    left_out = fields.List(
        id_field(),
        data_key="exclude",
        load_default=list,
        validate=validate.Length(max=COHORT_MAX),
        metadata={"description": "Participants (mentees or mentors) to leave out."},
    )


class CohortMatchSchema(Schema):
    pair_id = fields.Integer()
    mentee_id = fields.Integer()
    mentee_name = fields.String()
    mentor_id = fields.Integer()
    mentor_name = fields.String()
    score = fields.Float()
    reasons = fields.List(fields.String())
    pinned = fields.Boolean()


class CohortUnmatchedSchema(Schema):
    pair_id = fields.Integer()
    mentee_id = fields.Integer()
    mentee_name = fields.String()
    why = fields.String(
        metadata={"example": "Every mentor who fits is taken: no open place is left among them."}
    )


class CohortExcludedSchema(Schema):
    participant_id = fields.Integer()
    full_name = fields.String()


class CohortProposalSchema(Schema):
    program_id = fields.Integer()
    total_score = fields.Float()
    mentors_considered = fields.Integer()
    matches = fields.List(fields.Nested(CohortMatchSchema))
    unmatched = fields.List(
        fields.Nested(CohortUnmatchedSchema),
        metadata={"description": "Waiting mentees left without a mentor, and why."},
    )
    excluded = fields.List(fields.Nested(CohortExcludedSchema))
    refused_pins = fields.List(fields.String())


class CohortCommitSchema(Schema):
    matches = fields.List(
        fields.Nested(CohortPinSchema),
        required=True,
        validate=validate.Length(min=1, max=COHORT_MAX),
        metadata={"description": "The pairs to match, each with its mentor (as proposed)."},
    )


class CohortCommittedSchema(Schema):
    pair_id = fields.Integer()
    mentor_id = fields.Integer()
    outcome = fields.String(
        metadata={"description": "matched, proposed (waits for an approval) or refused"}
    )
    detail = fields.String()
    score = fields.Float(allow_none=True)
    reasons = fields.List(fields.String())
    transition_id = fields.Integer(allow_none=True)
    proposal_id = fields.Integer(allow_none=True)


class CohortReportSchema(Schema):
    items = fields.List(fields.Nested(CohortCommittedSchema))
    matched = fields.Integer()
    refused = fields.Integer()
