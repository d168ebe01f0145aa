"""What each event's payload says: declared once, dumped by `payloads.py`, and published in
the OpenAPI document's `webhooks` section.

A field states where its value comes from (`attribute=`) and, where the service holds more
than it may send, what leaves: signal codes through `PublicSignals`, links as full URLs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from marshmallow import fields

from service.events.catalog import EVENT_TYPES, public_event_types
from service.events.service import link
from service.schemas import Schema
from workflows.signals import is_safety


def public_signals(codes: list[str]) -> list[str]:
    """Signal codes fit to leave the service: the kind of a safety report never does."""
    public: list[str] = []
    for code in codes:
        code = "safety_concern" if is_safety(code) else code
        if code not in public:
            public.append(code)
    return public


class PublicSignals(fields.List):
    """Signal codes as they may leave the service (see `public_signals`)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(fields.String(), **kwargs)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return super()._serialize(
            None if value is None else public_signals(value), attr, obj, **kwargs
        )


class PublicSignal(fields.String):
    """One signal code as it may leave the service: safety kinds read `safety_concern`."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return super()._serialize(
            None if value is None else public_signals([value])[0], attr, obj, **kwargs
        )


class EventLinksSchema(Schema):
    self = fields.String()
    history = fields.String()
    meetings = fields.String()


class Links(fields.Nested):
    """Full URLs to the resource, each path built from the object being dumped."""

    def __init__(self, /, **paths: Callable[[Any], str]) -> None:
        super().__init__(EventLinksSchema)
        self.paths = paths

    def serialize(self, attr: str, obj: Any, accessor: Any = None, **kwargs: Any) -> Any:
        return {name: link(path(obj)) for name, path in self.paths.items()}


class PairRefSchema(Schema):
    id = fields.Integer(required=True)
    program_id = fields.Integer(required=True)
    state = fields.String(required=True)
    mentee_id = fields.Integer(required=True)
    mentor_id = fields.Integer(allow_none=True)
    predecessor_id = fields.Integer(allow_none=True)
    successor_id = fields.Integer(allow_none=True)
    links = Links(self=lambda pair: f"/api/v1/pairs/{pair.id}")


class TransitionPayloadSchema(Schema):
    sequence = fields.Integer(required=True)
    trigger = fields.String(required=True)
    from_ = fields.String(attribute="from_state", data_key="from", required=True)
    to = fields.String(attribute="to_state", required=True)
    actor_kind = fields.String(
        attribute="actor.kind", required=True, metadata={"description": "user, token or system"}
    )
    signals = PublicSignals()
    proposal_id = fields.Integer(allow_none=True)
    occurred_at = fields.DateTime(attribute="created_at", required=True)
    links = Links(history=lambda record: f"/api/v1/pairs/{record.pair_id}/history")


class ParticipantRefSchema(Schema):
    id = fields.Integer(required=True)
    program_id = fields.Integer(required=True)
    role = fields.String(required=True)
    intake_state = fields.String(
        required=True, metadata={"description": "applied, screening, approved, declined, withdrawn"}
    )
    links = Links(self=lambda participant: f"/api/v1/participants/{participant.id}")


class IntakeTransitionPayloadSchema(Schema):
    trigger = fields.String(required=True)
    from_ = fields.String(attribute="from_state", data_key="from", allow_none=True)
    to = fields.String(attribute="to_state", required=True)
    actor_kind = fields.String(
        attribute="actor.kind", required=True, metadata={"description": "user, token or system"}
    )
    occurred_at = fields.DateTime(attribute="created_at", required=True)
    links = Links(history=lambda record: f"/api/v1/participants/{record.participant_id}/screening")


class ProposalPayloadSchema(Schema):
    id = fields.Integer(required=True)
    pair_id = fields.Integer(required=True)
    trigger = fields.String(required=True)
    status = fields.String(required=True)
    signals = PublicSignals()
    links = Links(self=lambda proposal: f"/api/v1/proposals/{proposal.id}")


class SignalPayloadSchema(Schema):
    id = fields.Integer(required=True)
    code = PublicSignal(required=True, metadata={"description": "safety kinds read safety_concern"})
    category = fields.String(required=True)
    source = fields.String(required=True)
    raised_at = fields.DateTime(required=True)


class ResponsePayloadSchema(Schema):
    """That a survey was answered, by whom (role) and for which pair; never the answers."""

    id = fields.Integer(required=True)
    survey = fields.String(attribute="survey_key", required=True)
    purpose = fields.String(allow_none=True)
    respondent_role = fields.String(required=True)
    pair_id = fields.Integer(allow_none=True)
    participant_id = fields.Integer(required=True)
    submitted_at = fields.DateTime(required=True)
    links = Links(self=lambda response: f"/api/v1/responses/{response.id}")


class MeetingPayloadSchema(Schema):
    id = fields.Integer(required=True)
    pair_id = fields.Integer(required=True)
    status = fields.String(required=True)
    occurred_at = fields.DateTime(required=True)
    duration_minutes = fields.Integer(allow_none=True)
    is_final_session = fields.Boolean(required=True)
    links = Links(meetings=lambda meeting: f"/api/v1/pairs/{meeting.pair_id}/meetings")


class ChoiceOfferPayloadSchema(Schema):
    id = fields.Integer(required=True)
    mentor_ids = fields.List(
        fields.Integer(),
        required=True,
        metadata={"description": "The mentors offered, best first"},
    )
    expires_at = fields.DateTime(required=True)


class ContactPayloadSchema(Schema):
    id = fields.Integer(required=True)
    kind = fields.String(required=True)
    recipient_role = fields.String(required=True)
    due_on = fields.String(required=True)
    status = fields.String(required=True)


class _Common(Schema):
    event_id = fields.String(required=True, metadata={"description": "= the webhook-id header"})
    pair_id = fields.Integer(allow_none=True)
    pair_sequence = fields.Integer(
        allow_none=True, metadata={"description": "1, 2, 3… per pair: order events by it"}
    )


class PairEventSchema(_Common):
    pair = fields.Nested(PairRefSchema, required=True)


class PairTransitionedSchema(PairEventSchema):
    transition = fields.Nested(TransitionPayloadSchema, required=True)


class EndingReasonsPayloadSchema(Schema):
    primary = fields.String(required=True)
    others = fields.List(fields.String(), required=True)


class PairClosedSchema(PairEventSchema):
    closure_reason = fields.String(allow_none=True)
    ending_reasons = fields.Dict(
        keys=fields.String(),
        values=fields.Nested(EndingReasonsPayloadSchema),
        metadata={
            "description": "Why the match ended, by point of view (mentor, mentee, "
            "coordinator); left out when none is recorded or the ending is confidential"
        },
    )


class ParticipantEventSchema(_Common):
    participant = fields.Nested(ParticipantRefSchema, required=True)


class ParticipantTransitionedSchema(ParticipantEventSchema):
    transition = fields.Nested(IntakeTransitionPayloadSchema, required=True)


class ProposalEventSchema(_Common):
    proposal = fields.Nested(ProposalPayloadSchema, required=True)


class MeetingEventSchema(_Common):
    meeting = fields.Nested(MeetingPayloadSchema, required=True)


class SurveySubmittedSchema(_Common):
    response = fields.Nested(ResponsePayloadSchema, required=True)


class SignalRaisedSchema(PairEventSchema):
    signal = fields.Nested(SignalPayloadSchema, required=True)


class SafetyAlertSchema(PairEventSchema):
    urgency = fields.String(required=True)
    category = fields.String(required=True)
    signal_ids = fields.List(fields.Integer(), required=True)
    source = fields.String(required=True)


class ChoiceOfferedSchema(PairEventSchema):
    offer = fields.Nested(ChoiceOfferPayloadSchema, required=True)


class CheckinSchema(PairEventSchema):
    contact = fields.Nested(ContactPayloadSchema, required=True)


class ProposalDecidedSchema(ProposalEventSchema):
    pass


class CheckinOverdueSchema(CheckinSchema):
    pass


DATA_SCHEMAS: dict[str, type[Schema]] = {
    "pair.created": PairEventSchema,
    "pair.transitioned": PairTransitionedSchema,
    "pair.closed": PairClosedSchema,
    "choice.offered": ChoiceOfferedSchema,
    "proposal.created": ProposalEventSchema,
    "proposal.decided": ProposalDecidedSchema,
    "meeting.logged": MeetingEventSchema,
    "survey.submitted": SurveySubmittedSchema,
    "signal.raised": SignalRaisedSchema,
    "alert.safety": SafetyAlertSchema,
    "checkin.due": CheckinSchema,
    "checkin.overdue": CheckinOverdueSchema,
    "participant.applied": ParticipantEventSchema,
    "participant.transitioned": ParticipantTransitionedSchema,
}


def _component(event_type: str) -> str:
    return "".join(part.title() for part in event_type.replace("_", ".").split(".")) + "Event"


def add_to_spec(spec: Any) -> None:
    """Register each event's schema and describe it under the document's `webhooks`."""
    webhooks: dict[str, Any] = {}
    for event_type in public_event_types():
        name = _component(event_type)
        data = f"{name}Data"
        spec.components.schema(data, schema=DATA_SCHEMAS[event_type])
        spec.components.schema(
            name,
            {
                "type": "object",
                "required": ["type", "timestamp", "data"],
                "properties": {
                    "type": {"type": "string", "const": event_type},
                    "timestamp": {"type": "string", "format": "date-time"},
                    "data": {"$ref": f"#/components/schemas/{data}"},
                },
            },
        )
        webhooks[event_type] = {
            "post": {
                "summary": event_type,
                "description": EVENT_TYPES[event_type]
                + " Signed per Standard Webhooks (webhook-id, webhook-timestamp, "
                "webhook-signature).",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}
                    },
                },
                "responses": {"2XX": {"description": "Received; any 2xx counts."}},
            }
        }
    spec.options["webhooks"] = webhooks
