from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from marshmallow import ValidationError, fields, validate

from service.programs.models import ProgramKind
from service.schemas import PageArgsSchema, Schema, api_link
from service.training.models import TrainingSession
from workflows.pairing import Trigger


def _valid_timezone(name: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"{name!r} is not an IANA timezone such as Europe/Oslo.") from None


class ProgramSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    slug = fields.String(
        validate=[
            validate.Length(min=1, max=80),
            validate.Regexp(
                r"^[a-z0-9]+(-[a-z0-9]+)*$",
                error="Use lowercase letters, digits and single hyphens, e.g. 'riverside-youth'.",
            ),
        ],
        metadata={"description": "Made from the name when left out."},
    )
    description = fields.String(validate=validate.Length(max=5000))
    kind = fields.String(
        validate=validate.OneOf(list(ProgramKind)),
        metadata={"description": "long_term, or event_based (seed 000 §11.7)"},
    )
    youth = fields.Boolean(metadata={"description": "Parents or guardians take part."})
    timezone = fields.String(validate=_valid_timezone)
    approval_required = fields.List(
        fields.String(validate=validate.OneOf(list(Trigger))),
        metadata={"description": "Triggers a coordinator must approve."},
    )
    required_training = fields.Dict(
        keys=fields.String(validate=validate.OneOf(["mentor", "mentee"])),
        # The re-match briefing belongs to one pair; `activate` asks for it by itself.
        values=fields.List(
            fields.String(
                validate=validate.OneOf(
                    [s for s in TrainingSession if s != TrainingSession.REMATCH_BRIEFING]
                )
            )
        ),
        metadata={"description": "Sessions each role attends before `activate`."},
    )
    rating_drop_threshold = fields.Integer(
        validate=validate.Range(min=1, max=9),
        metadata={
            "description": "Points the 1-10 pulse may fall since the last check-in "
            "before `rating_drop` is raised (default 3)."
        },
    )
    rating_divergence_gap = fields.Integer(
        validate=validate.Range(min=1, max=9),
        metadata={
            "description": "Points mentor and mentee ratings may differ before "
            "`rating_divergence` is raised (default 3)."
        },
    )
    invitation_valid_days = fields.Integer(
        validate=validate.Range(min=1, max=90),
        metadata={"description": "How long survey links work (default 14 days)."},
    )
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)
    links = fields.Method("_links", dump_only=True)

    def _links(self, program) -> dict[str, str]:
        return {
            "self": api_link(f"/programs/{program.id}"),
            "pairs": api_link(f"/pairs?program_id={program.id}"),
            "participants": api_link(f"/participants?program_id={program.id}"),
        }


class ProgramQuerySchema(PageArgsSchema):
    kind = fields.String(validate=validate.OneOf(list(ProgramKind)))
