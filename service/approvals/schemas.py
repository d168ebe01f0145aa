from __future__ import annotations

from marshmallow import fields, validate

from service.approvals import bounds
from service.approvals.models import ProposalStatus
from service.confidentiality import visible_reason, visible_signals
from service.pairs.schemas import PairSchema, TransitionRecordSchema
from service.schemas import (
    ActorSchema,
    OptionalActor,
    PageArgsSchema,
    Schema,
    api_link,
    id_field,
)


class ProposalSchema(Schema):
    id = fields.Integer()
    pair_id = fields.Integer()
    trigger = fields.String()
    params = fields.Dict(metadata={"description": "The trigger's details, e.g. mentor_id."})
    reason = fields.Method("_reason", allow_none=True)
    signals = fields.Method("_signals")
    status = fields.String()
    proposed_by = fields.Nested(ActorSchema)
    created_at = fields.DateTime()
    decided_by = OptionalActor()
    decided_at = fields.DateTime(allow_none=True)
    decision_reason = fields.Method("_decision_reason", allow_none=True)
    transition_id = fields.Integer(allow_none=True)
    links = fields.Method("_links")

    def _reason(self, proposal) -> str | None:
        closure = proposal.params.get("closure_reason")
        return visible_reason(proposal.reason, proposal.signals, closure)

    def _signals(self, proposal) -> list[str]:
        return visible_signals(proposal.signals)

    def _decision_reason(self, proposal) -> str | None:
        closure = proposal.params.get("closure_reason")
        return visible_reason(proposal.decision_reason, proposal.signals, closure)

    def _links(self, proposal) -> dict[str, str]:
        base = f"/proposals/{proposal.id}"
        return {
            "self": api_link(base),
            "approve": api_link(f"{base}/approve"),
            "reject": api_link(f"{base}/reject"),
            "pair": api_link(f"/pairs/{proposal.pair_id}"),
        }


class ProposalQuerySchema(PageArgsSchema):
    status = fields.String(validate=validate.OneOf(list(ProposalStatus)))
    pair_id = id_field()
    program_id = id_field()


class ApproveSchema(Schema):
    reason = fields.String(validate=validate.Length(max=bounds.REASON_MAX))


class RejectSchema(Schema):
    reason = fields.String(
        required=True,
        validate=validate.Length(min=1, max=bounds.REASON_MAX),
        metadata={"description": "Why it is rejected; recorded on the proposal."},
    )


class TransitionResultSchema(Schema):
    outcome = fields.String(
        metadata={"description": "applied (200) or proposed (202, waiting for approval)"}
    )
    pair = fields.Nested(PairSchema)
    transition = fields.Nested(TransitionRecordSchema, allow_none=True)
    proposal = fields.Nested(ProposalSchema, allow_none=True)
