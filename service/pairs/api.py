from __future__ import annotations

from service.approvals.schemas import TransitionResultSchema
from service.auth import current_actor, require_scope
from service.closure import service as closure
from service.confidentiality import may_read_safety
from service.errors import NotFound
from service.idempotency.decorators import idempotent
from service.pagination import paginate
from service.pairs import agreement, bounds, lifecycle, service
from service.pairs.facts import TransitionRequest
from service.pairs.schemas import (
    AcceptanceSchema,
    AgreementReadSchema,
    AgreementSchema,
    EndingReasonsListSchema,
    EndingReasonsSchema,
    HistorySchema,
    InterventionListSchema,
    InterventionSchema,
    PairQuerySchema,
    PairSchema,
    PairUpdateSchema,
    PauseListSchema,
    PauseSchema,
    TimelineSchema,
    TransitionRequestSchema,
)
from service.pairs.timeline import timeline
from service.schemas import Blueprint, api_link, documents, link, links, page_of


def _pair_links(pair_id: str) -> dict[str, dict]:
    """Where a pair leads: read it, change it, move it, and what it records."""
    path = "/api/v1/pairs/{pair_id}"
    return {
        "get": link("GET", path, "The pair.", pair_id=pair_id),
        "update": link("PATCH", path, "Assign its coordinator, plan its end.", pair_id=pair_id),
        "transition": link("POST", f"{path}/transitions", "Fire a trigger.", pair_id=pair_id),
        "accept": link("POST", f"{path}/acceptances", "Accept the introduction.", pair_id=pair_id),
        "history": link("GET", f"{path}/history", "Its transitions.", pair_id=pair_id),
        "timeline": link("GET", f"{path}/timeline", "Everything that happened.", pair_id=pair_id),
        "interventions": link(
            "GET", f"{path}/interventions", "What coordinators did.", pair_id=pair_id
        ),
        "intervene": link(
            "POST", f"{path}/interventions", "Record an intervention.", pair_id=pair_id
        ),
        "pauses": link("GET", f"{path}/pauses", "Its pauses.", pair_id=pair_id),
        "pause": link("POST", f"{path}/pauses", "Record a pause.", pair_id=pair_id),
        "meetings": link("GET", f"{path}/meetings", "Its meetings.", pair_id=pair_id),
        "log_meeting": link("POST", f"{path}/meetings", "Log a meeting.", pair_id=pair_id),
        "calendar": link("GET", f"{path}/calendar", "What is due and when.", pair_id=pair_id),
    }


PAIR_LINKS = _pair_links("$response.body#/id")
_proposal = "/api/v1/proposals/{proposal_id}"
_proposal_id = "$response.body#/proposal/id"
PROPOSAL_LINKS = {
    "proposal": link("GET", _proposal, "The proposal filed.", proposal_id=_proposal_id),
    "approve": link("POST", f"{_proposal}/approve", "Approve it.", proposal_id=_proposal_id),
    "reject": link("POST", f"{_proposal}/reject", "Reject it.", proposal_id=_proposal_id),
}

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
@blueprint.arguments(PairSchema, example={"program_id": 1, "mentee_id": 8})
@blueprint.response(201, PairSchema)
@links(blueprint, 201, **PAIR_LINKS)
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
@blueprint.arguments(PairUpdateSchema, example={"planned_end_on": "2027-06-30"})
@blueprint.response(200, PairSchema)
@documents(blueprint, 401, 403, 404, 422)
def update_pair(body: dict, pair_id: int):
    """Assign the coordinator who looks after the pair, or set its planned end."""
    return service.update(pair_id=pair_id, actor=current_actor(), **body)


@blueprint.post("/<id:pair_id>/transitions")
@require_scope("pairs:write")
@idempotent(blueprint)
@blueprint.arguments(
    TransitionRequestSchema,
    example={
        "trigger": "flag_risk",
        "signals": ["missed_meetings"],
        "reason": "Two meetings missed in a row.",
    },
)
@blueprint.response(200, TransitionResultSchema, description="Applied")
@blueprint.alt_response(
    202,
    schema=TransitionResultSchema,
    success=True,
    description="Filed as a proposal for a coordinator to approve",
)
@links(blueprint, 200, **_pair_links("$response.body#/pair/id"))
@links(blueprint, 202, **PROPOSAL_LINKS)
@documents(blueprint, 401, 403, 404, 409, 422)
def request_transition(body: dict, pair_id: int):
    """Fire a trigger: 200 with the new state, 202 with a proposal, 409 when not allowed now."""
    outcome = lifecycle.request_transition(
        pair_id=pair_id, request=TransitionRequest.from_body(body), actor=current_actor()
    )
    result = {
        "outcome": "applied" if outcome.applied else "proposed",
        "pair": outcome.pair,
        "transition": outcome.transition,
        "proposal": outcome.proposal,
    }
    if outcome.applied:
        return result
    assert outcome.proposal is not None  # not applied, so filed as a proposal
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
@blueprint.arguments(AcceptanceSchema, example={"role": "mentee"})
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
@blueprint.arguments(
    InterventionSchema,
    example={
        "description": "Called the mentor to plan the next meeting together.",
        "approach": "individual",
        "signal": "missed_meetings",
        "follow_up_on": "2026-12-15",
    },
)
@blueprint.response(201, InterventionSchema)
@documents(blueprint, 401, 403, 404, 409, 422)
def record_intervention(body: dict, pair_id: int):
    """Record what a coordinator did about the pair's trouble; `resolve` requires one."""
    return service.record_intervention(pair_id=pair_id, actor=current_actor(), **body), 201


@blueprint.get("/<id:pair_id>/pauses")
@require_scope("pairs:read")
@blueprint.response(200, PauseListSchema)
@documents(blueprint, 401, 403, 404)
def list_pauses(pair_id: int):
    return {"items": service.pauses(pair_id=pair_id)}


@blueprint.post("/<id:pair_id>/pauses")
@require_scope("pairs:write")
@idempotent(blueprint)
@blueprint.arguments(
    PauseSchema,
    example={"reason": "school_holidays", "ends_on": "2027-08-30", "note": "Summer break"},
)
@blueprint.response(201, PauseSchema)
@documents(blueprint, 401, 403, 404, 409, 422)
def record_pause(body: dict, pair_id: int):
    """Pause an active or at-risk pair from today until `ends_on`: the participants'
    check-ins and the meeting requirement are suspended, the coordinator's own contact is
    not, and the pair resumes on `ends_on` with a check-in. A new pause replaces a running one."""
    return service.record_pause(pair_id=pair_id, actor=current_actor(), **body), 201


@blueprint.get("/<id:pair_id>/ending-reasons")
@require_scope("pairs:read")
@blueprint.response(200, EndingReasonsListSchema)
@documents(blueprint, 401, 403, 404)
def list_ending_reasons(pair_id: int):
    """Why the match ended, from the mentor's, the mentee's and the coordinator's point of
    view. An ending for safety is read only by those who may read safety records."""
    pair = service.get(pair_id=pair_id)
    rows = closure.reasons_for(pair.id)
    withheld = closure.confidential_ending(pair, rows) and not may_read_safety(
        current_actor(), pair
    )
    return {"pair_id": pair.id, "items": [] if withheld else rows, "withheld": withheld}


@blueprint.post("/<id:pair_id>/ending-reasons")
@require_scope("pairs:write")
@idempotent(blueprint)
@blueprint.arguments(
    EndingReasonsSchema,
    example={
        "viewpoint": "mentee",
        "primary_reason": "move_or_life_change",
        "other_reasons": ["lack_of_time"],
    },
)
@blueprint.response(200, EndingReasonsSchema)
@documents(blueprint, 401, 403, 404, 422)
def record_ending_reasons(body: dict, pair_id: int):
    """Record why the match ended, from one point of view (for every closure and re-match);
    a later account from the same point of view replaces the earlier one."""
    return closure.record_reasons(pair_id=pair_id, actor=current_actor(), **body)


def _agreement_body(pair_id: int, found: agreement.Agreement) -> dict:
    row = found.agreement
    return {
        "pair_id": pair_id,
        "agreed_on": row.agreed_on,
        "meeting_frequency": row.meeting_frequency,
        "meeting_format": row.meeting_format,
        "ground_rules": row.ground_rules,
        "chemistry_plan": row.chemistry_plan,
        "goals": [
            {
                "id": goal.goal.id,
                "title": goal.goal.title,
                "progress": [
                    {
                        "rating": report.rating,
                        "label": bounds.GOAL_PROGRESS[report.rating],
                        "respondent_role": report.respondent_role,
                        "recorded_at": report.recorded_at,
                    }
                    for report in goal.progress
                ],
            }
            for goal in found.goals
        ],
        "recorded_by": row.recorded_by,
        "updated_at": row.updated_at,
    }


@blueprint.get("/<id:pair_id>/agreement")
@require_scope("pairs:read")
@blueprint.response(200, AgreementReadSchema)
@documents(blueprint, 401, 403, 404)
def get_agreement(pair_id: int):
    """The mentoring agreement the pair made at the joint workshop, with the progress on each
    goal over time (from meeting logs and check-ins); 404 until one is recorded."""
    found = agreement.get(pair_id=pair_id)
    if found is None:
        raise NotFound(f"Pair {pair_id} has no mentoring agreement recorded yet.")
    return _agreement_body(pair_id, found)


@blueprint.put("/<id:pair_id>/agreement")
@require_scope("pairs:write")
@blueprint.arguments(
    AgreementSchema,
    example={
        "agreed_on": "2026-12-01",
        "meeting_frequency": "Every week",
        "meeting_format": "In person at the library, online when one of us travels",
        "ground_rules": "We tell each other a day ahead if we cannot come. What we talk about "
        "stays between us, unless someone is at risk.",
        "chemistry_plan": "If it does not feel right, we tell the coordinator; a re-match is "
        "nobody's fault.",
        "goals": ["Choose a course for next year", "Speak up more in class"],
    },
)
@blueprint.response(200, AgreementReadSchema)
@documents(blueprint, 401, 403, 404, 409, 422)
def record_agreement(body: dict, pair_id: int):
    """Record the pair's mentoring agreement, or revisit it: the latest replaces the earlier
    one; a goal kept with the same words keeps its progress."""
    found = agreement.record(pair_id=pair_id, actor=current_actor(), **body)
    return _agreement_body(pair_id, found)
