from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask_smorest.fields import Upload
from marshmallow import ValidationError, fields, validate

from service.participants import bounds
from service.participants import service as participants
from service.participants.models import Role
from service.schemas import IdnEmail, PageArgsSchema, Schema, api_link, id_field
from workflows.intake import CheckResult, IntakeState, IntakeTrigger

_tags = fields.List(
    fields.String(validate=validate.Length(min=bounds.TAG[0], max=bounds.TAG[1])),
    validate=validate.Length(max=bounds.TAGS_MAX),
)


def _valid_timezone(name: str | None) -> None:
    if name is None:
        return
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"{name!r} is not an IANA time zone such as Europe/Oslo.") from None


def _language_tag() -> fields.String:
    return fields.String(
        validate=[
            validate.Length(max=bounds.LANGUAGE_MAX),
            validate.Regexp(bounds.LANGUAGE_PATTERN, error=bounds.LANGUAGE_MESSAGE),
        ]
    )


class ParticipantSchema(Schema):
    id = fields.Integer(dump_only=True)
    program_id = id_field(required=True)
    role = fields.String(required=True, validate=validate.OneOf(list(Role)))
    full_name = fields.String(
        required=True, validate=validate.Length(min=bounds.FULL_NAME[0], max=bounds.FULL_NAME[1])
    )
    email = IdnEmail(required=True, validate=validate.Length(max=bounds.EMAIL_MAX))
    phone = fields.String(allow_none=True, validate=validate.Length(max=bounds.PHONE_MAX))
    language = fields.String(
        validate=[
            validate.Length(max=bounds.LANGUAGE_MAX),
            validate.Regexp(bounds.LANGUAGE_PATTERN, error=bounds.LANGUAGE_MESSAGE),
        ],
        metadata={"description": "Language of messages to this person; English by default."},
    )
    capacity = fields.Integer(
        validate=validate.Range(min=bounds.CAPACITY[0], max=bounds.CAPACITY[1]),
        metadata={"description": "For mentors: how many mentees at once."},
    )
    guardian_of_id = id_field(
        allow_none=True, metadata={"description": "For guardians: the mentee's id."}
    )
    goals = _tags
    skills = _tags
    availability = fields.String(validate=validate.Length(max=bounds.AVAILABILITY_MAX))
    languages = fields.List(
        _language_tag(),
        validate=validate.Length(max=bounds.LANGUAGES_MAX),
        metadata={
            "description": "Languages they speak besides `language` (tags such as es, pl); "
            "matching looks for one in common."
        },
    )
    location = fields.String(
        validate=validate.Length(max=bounds.LOCATION_MAX),
        metadata={
            "description": "Where they live or meet (a town, a district); matching "
            "prefers the same place."
        },
    )
    timezone = fields.String(
        allow_none=True,
        validate=[validate.Length(max=bounds.TIMEZONE_MAX), _valid_timezone],
        metadata={"description": "Their IANA time zone, e.g. Europe/Oslo, for online pairs."},
    )
    gender = fields.String(
        allow_none=True,
        validate=validate.Length(max=bounds.GENDER_MAX),
        metadata={"description": "Their gender, in their words; optional."},
    )
    gender_preference = fields.String(
        allow_none=True,
        validate=validate.Length(max=bounds.GENDER_MAX),
        metadata={
            "description": "For mentees: the gender of mentor they ask for, when the program "
            "takes such a preference into account; null: no preference."
        },
    )
    household = fields.String(
        allow_none=True,
        validate=validate.Length(max=bounds.HOUSEHOLD_MAX),
        metadata={
            "description": "A family or household name: two participants with the same one "
            "are never matched."
        },
    )
    conflicts = fields.List(
        id_field(),
        validate=validate.Length(max=bounds.CONFLICTS_MAX),
        metadata={
            "description": "Ids of participants this person must never be paired with "
            "(a declared conflict of interest)."
        },
    )
    active = fields.Boolean()
    intake_state = fields.String(
        dump_only=True,
        metadata={
            "description": "Intake and screening: applied, screening, approved, declined or "
            "withdrawn. Only approved mentors are offered for matching; anyone added "
            "directly (not through an application) is approved.",
            "example": "approved",
        },
    )
    waiting_since = fields.Method(
        "_waiting_since",
        dump_only=True,
        allow_none=True,
        metadata={
            "type": "string",
            "format": "date-time",
            "description": "For a mentee waiting for a match (active, and in no open pair "
            "with a mentor): when the wait began, the day they were added or the day their "
            "last pair ended, whichever is later. Null for everyone else.",
            "example": "2026-10-01T09:30:00+00:00",
        },
    )
    waiting_days = fields.Method(
        "_waiting_days",
        dump_only=True,
        allow_none=True,
        metadata={
            "type": "integer",
            "description": "Whole days since `waiting_since`; null when not waiting.",
            "example": 12,
        },
    )
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)
    links = fields.Method("_links", dump_only=True)

    def _links(self, participant) -> dict[str, str]:
        return {"self": api_link(f"/participants/{participant.id}")}

    def _waiting_since(self, participant) -> str | None:
        since = participants.waiting_since(participant)
        return since.isoformat() if since else None

    def _waiting_days(self, participant) -> int | None:
        return participants.waiting_days(participant)


class ParticipantQuerySchema(PageArgsSchema):
    program_id = id_field(metadata={"example": 1})
    role = fields.String(validate=validate.OneOf(list(Role)), metadata={"example": "mentee"})
    active = fields.Boolean(
        metadata={"description": "Active participants (true) or inactive ones (false)."}
    )
    q = fields.String(
        validate=validate.Length(min=bounds.SEARCH[0], max=bounds.SEARCH[1]),
        metadata={
            "description": "Search: participants whose name or e-mail address contains this "
            "text, whatever the case.",
            "example": "jónsdóttir",
        },
    )
    waiting = fields.Boolean(
        metadata={
            "description": "Mentees waiting for a match: active, and in no open pair with a "
            "mentor (true); or everyone else (false).",
            "example": True,
        }
    )
    intake_state = fields.String(
        validate=validate.OneOf(list(IntakeState)),
        metadata={"description": "Participants at this step of intake.", "example": "applied"},
    )
    waited_days = fields.Integer(
        validate=validate.Range(min=bounds.WAITED_DAYS[0], max=bounds.WAITED_DAYS[1]),
        metadata={
            "description": "Mentees who have waited for a match at least this many days.",
            "example": 30,
        },
    )


class ApplicationSchema(ParticipantSchema):
    """An application: the participant's details, and what they wrote when applying."""

    class Meta(ParticipantSchema.Meta):
        exclude = ("active",)

    application = fields.String(
        load_only=True,
        validate=validate.Length(max=bounds.SCREENING_TEXT_MAX),
        metadata={"description": "What the applicant wrote: why they apply, their experience."},
    )


_screening_text = validate.Length(max=bounds.SCREENING_TEXT_MAX)


class IntakeRecordSchema(Schema):
    trigger = fields.String()
    from_ = fields.String(attribute="from_state", data_key="from", allow_none=True)
    to = fields.String(attribute="to_state")
    actor = fields.String(attribute="actor.label")
    actor_kind = fields.String(attribute="actor.kind")
    reason = fields.String(allow_none=True)
    occurred_at = fields.DateTime(attribute="created_at")


class ScreeningSchema(Schema):
    """What screening recorded; the check itself is done elsewhere, its result recorded here."""

    applied_on = fields.Date(allow_none=True)
    application = fields.String(validate=_screening_text)
    interview_on = fields.Date(
        allow_none=True, metadata={"description": "When they were interviewed."}
    )
    interview_notes = fields.String(validate=_screening_text)
    references_on = fields.Date(
        allow_none=True, metadata={"description": "When their references were checked."}
    )
    references_notes = fields.String(validate=_screening_text)
    background_check = fields.String(
        allow_none=True,
        validate=validate.OneOf(list(CheckResult)),
        metadata={"description": "The background check's result: passed or failed."},
    )
    background_check_expires_on = fields.Date(
        allow_none=True, metadata={"description": "When the check's result expires."}
    )
    guardian_consent_on = fields.Date(
        allow_none=True,
        metadata={
            "description": "For a minor (a youth program): when a parent or guardian consented."
        },
    )
    guardian_consent_by = fields.String(
        validate=validate.Length(max=bounds.FULL_NAME[1]),
        metadata={"description": "Who consented."},
    )


class IntakeSchema(Schema):
    """An applicant's intake: where they are, what approval still needs, what was recorded,
    and every transition so far."""

    participant_id = fields.Integer()
    intake_state = fields.String()
    allowed_triggers = fields.List(fields.String())
    unmet_requirements = fields.List(
        fields.String(), metadata={"description": "What approving still needs, in words."}
    )
    screening = fields.Nested(ScreeningSchema, allow_none=True)
    history = fields.List(fields.Nested(IntakeRecordSchema))


class IntakeTransitionSchema(Schema):
    trigger = fields.String(required=True, validate=validate.OneOf(list(IntakeTrigger)))
    reason = fields.String(
        validate=validate.Length(max=bounds.SCREENING_TEXT_MAX),
        metadata={"description": "Why: required to decline or withdraw."},
    )


# A column mapping names each column once: this is far more than any spreadsheet needs.
MAPPING_MAX = 20_000
DEFAULT_IMPORT_MAX_BYTES = 20 * 1024 * 1024


class ImportFormSchema(Schema):
    """The form fields of an import (multipart/form-data, beside the file)."""

    program_id = id_field(required=True, metadata={"description": "The program to import into."})
    role = fields.String(
        validate=validate.OneOf(list(Role)),
        metadata={"description": "The role of every row, when the file has no role column."},
    )
    mapping = fields.Method(
        deserialize="_mapping",
        metadata={
            "type": "string",
            "description": "A JSON object, column header to field (or null to leave a column "
            "out); without it, columns are mapped by their headers.",
            "example": '{"Name": "full_name", "Mail": "email", "Notes": null}',
            "maxLength": MAPPING_MAX,
        },
    )
    dry_run = fields.Boolean(
        load_default=False,
        metadata={"description": "Check every row and report, writing nothing."},
    )
    as_applications = fields.Boolean(
        load_default=False,
        metadata={"description": "New people join as applications to screen, not approved."},
    )

    def _mapping(self, value: str) -> dict[str, str | None]:
        import json

        if len(value) > MAPPING_MAX:
            raise ValidationError(f"At most {MAPPING_MAX} characters.")
        try:
            mapping = json.loads(value)
        except ValueError:
            raise ValidationError("Not a JSON object.") from None
        if not isinstance(mapping, dict) or not all(
            isinstance(v, str) or v is None for v in mapping.values()
        ):
            raise ValidationError("A JSON object of column headers to field names or null.")
        return {str(k): v for k, v in mapping.items()}


class ImportFileSchema(Schema):
    file = Upload(
        required=True,
        metadata={
            "description": "A CSV file (UTF-8) or an .xlsx workbook, of at most "
            "PAIRWISE_IMPORT_MAX_BYTES (20 MB unless configured otherwise).",
            "maxLength": DEFAULT_IMPORT_MAX_BYTES,
        },
    )


class ImportRequestSchema(ImportFormSchema, ImportFileSchema):
    """An import's multipart body, as documented: the form fields and the file."""


class ImportErrorSchema(Schema):
    line = fields.Integer(metadata={"description": "As the spreadsheet numbers it (header: 1)."})
    messages = fields.List(fields.String())


class ImportReportSchema(Schema):
    dry_run = fields.Boolean()
    imported = fields.Boolean(metadata={"description": "Written: every row was valid."})
    total = fields.Integer(metadata={"description": "Rows in the file, the header aside."})
    created = fields.Integer()
    updated = fields.Integer(
        metadata={"description": "Already in the program (same role and e-mail address), changed."}
    )
    skipped = fields.Integer(metadata={"description": "Already in the program, unchanged."})
    errors = fields.List(fields.Nested(ImportErrorSchema))
    mapping = fields.Dict(keys=fields.String(), values=fields.String(allow_none=True))


class ImportJobSchema(Schema):
    job_id = fields.String()
    status = fields.String(metadata={"description": "queued, started, finished or failed"})
    done = fields.Integer(metadata={"description": "Rows checked so far."})
    total = fields.Integer()
    report = fields.Nested(ImportReportSchema, allow_none=True)
    links = fields.Method("_links", dump_only=True)

    def _links(self, job) -> dict[str, str]:
        return {"self": api_link(f"/participants/imports/{job['job_id']}")}
