from __future__ import annotations

from datetime import datetime
from typing import Any

import marshmallow as ma
from marshmallow import ValidationError, fields, validate, validates_schema

from service.clock import now
from service.inbound.models import InboundStatus, SourceKind
from service.meetings.service import HELD_AHEAD_TOLERANCE
from service.schemas import IdnEmail, Schema, api_link, aware_datetime, id_field
from workflows.meeting_rules import CANCELLERS, MeetingEventType


def _plausible(moment: datetime) -> None:
    # Far-off years overflow date arithmetic and name no mentoring session.
    if not 2000 <= moment.year <= 2099:
        raise ValidationError("Give a time between the years 2000 and 2099.")


def moment(**kwargs: Any) -> fields.AwareDateTime:
    return aware_datetime(validate=_plausible, **kwargs)


_SLUG = validate.Regexp(
    r"^[a-z0-9]+(-[a-z0-9]+)*$",
    error="Use lowercase letters, digits and single hyphens, e.g. 'school-calendar'.",
)


class InboundSourceSchema(Schema):
    id = fields.Integer(dump_only=True)
    slug = fields.String(
        required=True,
        validate=[validate.Length(min=1, max=60), _SLUG],
        metadata={"description": "Part of the URL the source posts to; cannot change."},
    )
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    kind = fields.String(
        load_default=SourceKind.STANDARD,
        validate=validate.OneOf(list(SourceKind)),
        metadata={"description": "standard (our format, Standard Webhooks) or calendly"},
    )
    program_id = id_field(
        allow_none=True,
        metadata={"description": "Match addresses only within this program (default: all)."},
    )
    enabled = fields.Boolean()
    secret = fields.String(
        load_only=True,
        validate=validate.Length(min=16, max=200),
        metadata={
            "description": "Calendly only: the signing key of its webhook subscription. A "
            "standard source's secret is generated."
        },
    )
    url = fields.Method("_url", dump_only=True, metadata={"description": "Where it posts."})
    created_at = fields.DateTime(dump_only=True)

    def _url(self, source: Any) -> str:
        tail = "calendly" if source.kind == SourceKind.CALENDLY else "meetings"
        return api_link(f"/inbound/{source.slug}/{tail}")

    @validates_schema
    def _secret_by_kind(self, data: dict[str, Any], **kwargs: Any) -> None:
        if self.partial:
            return
        if data.get("kind") == SourceKind.CALENDLY and not data.get("secret"):
            raise ValidationError("Paste the signing key Calendly signs with.", "secret")
        if data.get("kind") == SourceKind.STANDARD and "secret" in data:
            raise ValidationError("A standard source's secret is generated.", "secret")


class InboundSourceWithSecretSchema(InboundSourceSchema):
    secret = fields.String(
        dump_only=True,
        metadata={"description": "Sign requests with it (whsec_…), or Calendly's signing key."},
    )


class InboundSourceUpdateSchema(Schema):
    name = fields.String(validate=validate.Length(min=1, max=200))
    program_id = id_field(allow_none=True)
    enabled = fields.Boolean()
    secret = fields.String(
        validate=validate.Length(min=16, max=200),
        metadata={"description": "Calendly only: a new signing key."},
    )


class InboundSourceListSchema(Schema):
    items = fields.List(fields.Nested(InboundSourceSchema))


class MeetingEventSchema(Schema):
    """A meeting event in our own format."""

    id = fields.String(
        required=True,
        validate=validate.Length(min=1, max=200),
        metadata={"description": "The sender's id for this event: sent twice, it is refused."},
    )
    type = fields.String(required=True, validate=validate.OneOf(list(MeetingEventType)))
    pair_id = id_field(allow_none=True, metadata={"description": "If the sender knows it."})
    participants = fields.List(
        IdnEmail(validate=validate.Length(max=254)),
        validate=validate.Length(max=20),
        metadata={"description": "E-mail addresses of the people meeting: finds the pair."},
    )
    starts_at = moment(
        required=True,
        metadata={"description": "When the meeting is (was) due; for a reschedule, the new time."},
    )
    previous_starts_at = moment(
        allow_none=True, metadata={"description": "Rescheduled: the time it was moved from."}
    )
    cancelled_by = fields.String(
        allow_none=True,
        validate=validate.OneOf(CANCELLERS),
        metadata={"description": "Cancelled or rescheduled: who did it."},
    )
    cancelled_at = moment(
        allow_none=True,
        metadata={"description": "When it was called off or moved (default: when received)."},
    )
    missed_by = fields.String(
        allow_none=True,
        validate=validate.OneOf(["mentor", "mentee", "both"]),
        metadata={"description": "No-show: who did not turn up."},
    )
    duration_minutes = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=1440))

    @validates_schema
    def _coherent(self, data: dict[str, Any], **kwargs: Any) -> None:
        kind = data.get("type")
        if kind == MeetingEventType.RESCHEDULED and not data.get("previous_starts_at"):
            raise ValidationError(
                "A reschedule needs the time it moved from.", "previous_starts_at"
            )
        if data.get("pair_id") is None and not data.get("participants"):
            raise ValidationError("Give the pair_id or the participants' addresses.", "pair_id")
        moved = (MeetingEventType.CANCELLED, MeetingEventType.RESCHEDULED)
        if kind not in moved and data.get("cancelled_by"):
            raise ValidationError(
                "Only a cancellation or reschedule has a canceller.", "cancelled_by"
            )
        if kind != MeetingEventType.NO_SHOW and data.get("missed_by"):
            raise ValidationError("Only a no-show has someone who missed it.", "missed_by")
        happened = (MeetingEventType.HELD, MeetingEventType.NO_SHOW)
        starts_at = data.get("starts_at")
        if kind in happened and starts_at and starts_at > now() + HELD_AHEAD_TOLERANCE:
            raise ValidationError("A meeting held or missed cannot be in the future.", "starts_at")


class InboundEventSchema(Schema):
    id = fields.Integer()
    sender = fields.String(metadata={"description": "source:<slug> or token:<token name>"})
    external_id = fields.String(metadata={"description": "The sender's event id."})
    kind = fields.String(metadata={"description": "The meeting event type."})
    status = fields.String(metadata={"description": ", ".join(InboundStatus)})
    pair_id = fields.Integer(allow_none=True)
    meeting_id = fields.Integer(allow_none=True)
    emails = fields.List(fields.String())
    details = fields.Dict(
        metadata={"description": "What was understood: times, who cancelled, notice, signals."}
    )
    received_at = fields.DateTime()
    resolved_by = fields.String(attribute="resolved_by_label", allow_none=True)
    resolved_at = fields.DateTime(allow_none=True)


class InboundEventListSchema(Schema):
    items = fields.List(fields.Nested(InboundEventSchema))


class InboundEventQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf(list(InboundStatus)))
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))


class ResolveSchema(Schema):
    pair_id = id_field(required=True)
    cancelled_by = fields.String(
        allow_none=True,
        validate=validate.OneOf(CANCELLERS),
        metadata={"description": "Who cancelled, when the addresses could not tell."},
    )


# Calendly's payloads carry much more than we read; what we do not read is left out.
class _Lenient(Schema):
    class Meta(Schema.Meta):
        unknown = ma.EXCLUDE


class CalendlyMembershipSchema(_Lenient):
    user_email = fields.String(validate=validate.Length(max=254), allow_none=True)


class CalendlyScheduledEventSchema(_Lenient):
    uri = fields.String(validate=validate.Length(max=200))
    start_time = moment(required=True)
    end_time = moment(allow_none=True)
    event_memberships = fields.List(
        fields.Nested(CalendlyMembershipSchema), load_default=list, validate=validate.Length(max=50)
    )


class CalendlyCancellationSchema(_Lenient):
    canceler_type = fields.String(allow_none=True, validate=validate.OneOf(["host", "invitee"]))
    created_at = moment(allow_none=True)


class CalendlyInviteeSchema(_Lenient):
    uri = fields.String(required=True, validate=validate.Length(min=1, max=180))
    email = fields.String(required=True, validate=validate.Length(min=1, max=254))
    rescheduled = fields.Boolean(load_default=False, allow_none=True)
    scheduled_event = fields.Nested(CalendlyScheduledEventSchema, required=True)
    cancellation = fields.Nested(CalendlyCancellationSchema, allow_none=True)


class CalendlyWebhookSchema(_Lenient):
    """The parts of Calendly's invitee.created and invitee.canceled payloads that are read."""

    event = fields.String(
        required=True, validate=validate.OneOf(["invitee.created", "invitee.canceled"])
    )
    created_at = moment(allow_none=True)
    payload = fields.Nested(CalendlyInviteeSchema, required=True)
