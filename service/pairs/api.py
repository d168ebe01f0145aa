from __future__ import annotations

from flask_smorest import Blueprint

from service.approvals.schemas import TransitionResultSchema
from service.auth import current_actor, require_scope
from service.confidentiality import may_read_safety
from service.idempotency.decorators import idempotent
from service.pagination import paginate
from service.pairs import lifecycle, service
from service.pairs.facts import TransitionRequest
from service.pairs.schemas import (
    AcceptanceSchema,
    HistorySchema,
    InterventionListSchema,
    InterventionSchema,
    PairQuerySchema,
    PairSchema,
    PairUpdateSchema,
    TimelineSchema,
    TransitionRequestSchema,
)
from service.pairs.timeline import timeline
from service.schemas import api_link, documents, page_of

blueprint = Blueprint(
    "pairs",
    __name__,
    url_prefix="/api/v1/pairs",
    description="Mentor/mentee pairs and their lifecycle.",
)


@blueprint.get("")
@require_scope("pairs:read")
@blueprint.arguments(PairQuerySchema, location="query", as_kwargs=True)
@blueprint.response(200, page_of(PairSchema))
@documents(blueprint, 401, 403, 422)
def list_pairs(
    page: int, per_page: int, state: list[str] | None = None, after: int | None = None, **filters
):
    """Pairs by id: follow `links.next`; `after=0` starts a keyset listing (no count)."""
    query = service.list_query(states=state, **filters)
    return paginate(query, page=page, per_page=per_page, after=after)


@blueprint.post("")
@require_scope("pairs:write")
@idempotent(blueprint)
@blueprint.arguments(PairSchema)
@blueprint.response(201, PairSchema)
@documents(blueprint, 401, 403, 404, 409, 422)
def create_pair(body: dict):
    """Create a pair for a mentee; it starts `recruited` until `match` chooses a mentor."""
    pair = service.create(actor=current_actor(), **body)
    return pair, 201, {"Location": api_link(f"/pairs/{pair.id}")}


@blueprint.get("/<id:pair_id>")
@require_scope("pairs:read")
@blueprint.response(200, PairSchema)
@documents(blueprint, 401, 403, 404)
def get_pair(pair_id: int):
    return service.get(pair_id=pair_id)


@blueprint.patch("/<id:pair_id>")
@require_scope("pairs:write")
@blueprint.arguments(PairUpdateSchema)
@blueprint.response(200, PairSchema)
@documents(blueprint, 401, 403, 404, 422)
def update_pair(body: dict, pair_id: int):
    """Assign the coordinator who looks after the pair, or set its planned end."""
    return service.update(pair_id=pair_id, actor=current_actor(), **body)


@blueprint.post("/<id:pair_id>/transitions")
@require_scope("pairs:write")
@idempotent(blueprint)
@blueprint.arguments(TransitionRequestSchema)
@blueprint.response(200, TransitionResultSchema, description="Applied")
@blueprint.alt_response(
    202,
    schema=TransitionResultSchema,
    success=True,
    description="Filed as a proposal for a coordinator to approve",
)
@documents(blueprint, 401, 403, 404, 409, 422)
def request_transition(body: dict, pair_id: int):
    """Fire a trigger: 200 with the new state, 202 with a proposal, 409 when not allowed now."""
    transition_request = TransitionRequest.from_params(
        body["trigger"], body, reason=body.get("reason"), signals=body.get("signals", ())
    )
    outcome = lifecycle.request_transition(
        pair_id=pair_id, request=transition_request, actor=current_actor()
    )
    result = {
        "outcome": "applied" if outcome.applied else "proposed",
        "pair": outcome.pair,
        "transition": outcome.transition,
        "proposal": outcome.proposal,
    }
    if outcome.applied:
        return result
    return result, 202, {"Location": api_link(f"/proposals/{outcome.proposal.id}")}


@blueprint.get("/<id:pair_id>/history")
@require_scope("pairs:read")
@blueprint.response(200, HistorySchema)
@documents(blueprint, 401, 403, 404)
def get_history(pair_id: int):
    """Every transition of the pair, numbered 1, 2, 3… without gaps."""
    return {"pair_id": pair_id, "items": service.history(pair_id=pair_id)}


@blueprint.get("/<id:pair_id>/timeline")
@require_scope("pairs:read")
@blueprint.response(200, TimelineSchema)
@documents(blueprint, 401, 403, 404)
def get_timeline(pair_id: int):
    """Everything that happened to the pair, in time order; never answer text."""
    pair = service.get(pair_id=pair_id)
    entries = timeline(pair, show_safety_kinds=may_read_safety(current_actor(), pair))
    return {"pair_id": pair_id, "items": entries}


@blueprint.post("/<id:pair_id>/acceptances")
@require_scope("pairs:write")
@idempotent(blueprint)
@blueprint.arguments(AcceptanceSchema)
@blueprint.response(200, PairSchema)
@documents(blueprint, 401, 403, 404, 409, 422)
def accept_introduction(body: dict, pair_id: int):
    """Record that the mentor or the mentee accepted the introduction."""
    return service.accept_introduction(pair_id=pair_id, role=body["role"], actor=current_actor())


@blueprint.get("/<id:pair_id>/interventions")
@require_scope("pairs:read")
@blueprint.response(200, InterventionListSchema)
@documents(blueprint, 401, 403, 404)
def list_interventions(pair_id: int):
    return {"items": service.interventions(pair_id=pair_id)}


@blueprint.post("/<id:pair_id>/interventions")
@require_scope("pairs:write")
@idempotent(blueprint)
@blueprint.arguments(InterventionSchema)
@blueprint.response(201, InterventionSchema)
@documents(blueprint, 401, 403, 404, 409, 422)
def record_intervention(body: dict, pair_id: int):
    """Record what a coordinator did about the pair's trouble; `resolve` requires one."""
    return service.record_intervention(pair_id=pair_id, actor=current_actor(), **body), 201
