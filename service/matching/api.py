"""Matching through the API: suggestions for one mentee, and a program's cohort proposed and
committed."""

from __future__ import annotations

from service.auth import current_actor, require_scope
from service.idempotency.decorators import idempotent
from service.matching import cohort, suggestions
from service.matching.schemas import (
    CohortCommitSchema,
    CohortProposalSchema,
    CohortReportSchema,
    CohortRequestSchema,
    SuggestionQuerySchema,
    SuggestionsSchema,
)
from service.programs import service as programs
from service.schemas import Blueprint, documents

blueprint = Blueprint(
    "matching",
    __name__,
    url_prefix="/api/v1",
    description="Choosing mentors: suggestions with their reasons, and cohort matching.",
)


@blueprint.get("/participants/<id:participant_id>/suggestions")
@require_scope("participants:read")
@blueprint.arguments(SuggestionQuerySchema, location="query", as_kwargs=True)
@blueprint.response(200, SuggestionsSchema)
@documents(blueprint, 401, 403, 404, 422)
def suggest(participant_id: int, limit: int):
    """The program's mentors for a mentee, best first, each with the reasons for its rank
    (the program's matching criteria); and the mentors a hard constraint rules out, with
    why."""
    ranking = suggestions.rank(mentee_id=participant_id, limit=limit)
    return {
        "mentee_id": participant_id,
        "considered": ranking.considered,
        "candidates": ranking.candidates,
        "excluded": ranking.excluded,
    }


@blueprint.post("/programs/<id:program_id>/matching/proposal")
@require_scope("pairs:read")
@idempotent(blueprint)
@blueprint.arguments(
    CohortRequestSchema, example={"pins": [{"pair_id": 12, "mentor_id": 4}], "exclude": [7]}
)
@blueprint.response(200, CohortProposalSchema)
@documents(blueprint, 401, 403, 404, 422)
def propose(body: dict, program_id: int):
    """The best assignment of the program's waiting mentees (their `recruited` pairs) to its
    mentors' open places: as many as the hard constraints allow, then the highest total
    score. Changes nothing: review it, then commit it."""
    programs.get(program_id=program_id)
    return suggestions.propose(
        program_id=program_id,
        pins={pin["pair_id"]: pin["mentor_id"] for pin in body["pins"]},
        exclude=body["left_out"],
    )


@blueprint.post("/programs/<id:program_id>/matching/commit")
@require_scope("pairs:write")
@idempotent(blueprint)
@blueprint.arguments(CohortCommitSchema, example={"matches": [{"pair_id": 12, "mentor_id": 4}]})
@blueprint.response(200, CohortReportSchema)
@documents(blueprint, 401, 403, 404, 422)
def commit(body: dict, program_id: int):
    """Match each pair with its mentor: a `match` transition each, in its own transaction,
    by this token, with the score and reasons on the transition record (its reason, and
    `details.matching`). The report says for each pair whether it was matched, filed for
    approval, or refused and why; one refused pair leaves the others matched."""
    programs.get(program_id=program_id)
    items = cohort.commit(
        program_id=program_id,
        matches=[(m["pair_id"], m["mentor_id"]) for m in body["matches"]],
        actor=current_actor(),
    )
    return {
        "items": items,
        "matched": sum(1 for i in items if i.outcome == "matched"),
        "refused": sum(1 for i in items if i.outcome == "refused"),
    }
