from __future__ import annotations

from service.approvals import decisions, proposals
from service.approvals.schemas import (
    ApproveSchema,
    ProposalQuerySchema,
    ProposalSchema,
    RejectSchema,
    TransitionResultSchema,
)
from service.auth import current_actor, require_scope
from service.idempotency.decorators import idempotent
from service.pagination import paginate
from service.schemas import Blueprint, documents, link, links, page_of

_PAIR = "/api/v1/pairs/{pair_id}"
_MOVED, _UNMOVED = "$response.body#/pair/id", "$response.body#/pair_id"

blueprint = Blueprint(
    "proposals",
    __name__,
    url_prefix="/api/v1/proposals",
    description="Transitions waiting for a coordinator's approval.",
)


@blueprint.get("")
@require_scope("pairs:read")
@blueprint.arguments(ProposalQuerySchema, location="query", as_kwargs=True)
@blueprint.response(200, page_of(ProposalSchema))
@documents(blueprint, 401, 403, 422)
def list_proposals(page: int, per_page: int, after: int | None = None, **filters):
    return paginate(proposals.list_query(**filters), page=page, per_page=per_page, after=after)


@blueprint.get("/<id:proposal_id>")
@require_scope("pairs:read")
@blueprint.response(200, ProposalSchema)
@documents(blueprint, 401, 403, 404)
def get_proposal(proposal_id: int):
    return proposals.get(proposal_id=proposal_id)


@blueprint.post("/<id:proposal_id>/approve")
@require_scope("proposals:decide")
@idempotent(blueprint)
@blueprint.arguments(ApproveSchema, example={"reason": "Agreed at the team meeting."})
@blueprint.response(200, TransitionResultSchema)
@links(blueprint, 200, pair=link("GET", _PAIR, "The pair, moved.", pair_id=_MOVED))
@documents(blueprint, 401, 403, 404, 409, 422)
def approve(body: dict, proposal_id: int):
    """Re-check the guards and apply; 409 if someone decided first or it no longer applies,
    403 `self-approval` when the caller filed it (unless its program allows that)."""
    outcome = decisions.approve(proposal_id=proposal_id, actor=current_actor(), **body)
    return {
        "outcome": "applied",
        "pair": outcome.pair,
        "transition": outcome.transition,
        "proposal": outcome.proposal,
    }


@blueprint.post("/<id:proposal_id>/reject")
@require_scope("proposals:decide")
@idempotent(blueprint)
@blueprint.arguments(RejectSchema, example={"reason": "Not before the exams."})
@blueprint.response(200, ProposalSchema)
@links(blueprint, 200, pair=link("GET", _PAIR, "The pair, unmoved.", pair_id=_UNMOVED))
@documents(blueprint, 401, 403, 404, 409, 422)
def reject(body: dict, proposal_id: int):
    """Reject with a reason; whoever filed a proposal may reject it (withdraw it)."""
    return decisions.reject(proposal_id=proposal_id, actor=current_actor(), reason=body["reason"])
