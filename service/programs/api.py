from __future__ import annotations

from service.auth import current_actor, require_scope
from service.idempotency.decorators import idempotent
from service.pagination import paginate
from service.programs import service
from service.programs.schemas import ProgramQuerySchema, ProgramSchema
from service.schemas import Blueprint, api_link, documents, link, links, page_of

_id = "$response.body#/id"
PROGRAM_LINKS = {
    "get": link("GET", "/api/v1/programs/{program_id}", "The program.", program_id=_id),
    "update": link(
        "PATCH", "/api/v1/programs/{program_id}", "Change its settings.", program_id=_id
    ),
    "participants": link("GET", "/api/v1/participants", "Its people.", program_id=_id),
    "pairs": link("GET", "/api/v1/pairs", "Its pairs.", program_id=_id),
    "proposals": link("GET", "/api/v1/proposals", "Its proposals.", program_id=_id),
}

blueprint = Blueprint(
    "programs",
    __name__,
    url_prefix="/api/v1/programs",
    description="A mentoring program and the settings its pairs follow.",
)


@blueprint.get("")
@require_scope("programs:read")
@blueprint.arguments(ProgramQuerySchema, location="query", as_kwargs=True)
@blueprint.response(200, page_of(ProgramSchema))
@documents(blueprint, 401, 403, 422)
def list_programs(page: int, per_page: int, kind: str | None = None, after: int | None = None):
    return paginate(service.list_query(kind=kind), page=page, per_page=per_page, after=after)


@blueprint.post("")
@require_scope("programs:write")
@idempotent(blueprint)
@blueprint.arguments(
    ProgramSchema,
    example={
        "name": "Northside Mentoring",
        "slug": "northside",
        "kind": "long_term",
        "youth": True,
        "timezone": "Europe/Oslo",
        "approval_required": ["rematch", "begin_closure", "withdraw"],
    },
)
@blueprint.response(201, ProgramSchema)
@links(blueprint, 201, **PROGRAM_LINKS)
@documents(blueprint, 401, 403, 409, 422)
def create_program(body: dict):
    """Create a program; turning on `allow_self_approval` needs the admin scope."""
    service.ensure_may_loosen_approvals(current_actor(), None, body)
    program = service.create(**body)
    return program, 201, {"Location": api_link(f"/programs/{program.id}")}


@blueprint.get("/<id:program_id>")
@require_scope("programs:read")
@blueprint.response(200, ProgramSchema)
@documents(blueprint, 401, 403, 404)
def get_program(program_id: int):
    return service.get(program_id=program_id)


@blueprint.patch("/<id:program_id>")
@require_scope("programs:write")
@blueprint.arguments(
    ProgramSchema(partial=True),
    example={"description": "Weekly mentoring for first-year students."},
)
@blueprint.response(200, ProgramSchema)
@documents(blueprint, 401, 403, 404, 409, 422)
def update_program(body: dict, program_id: int):
    """Change settings; taking a trigger out of `approval_required` or turning on
    `allow_self_approval` needs the admin scope."""
    service.ensure_may_loosen_approvals(current_actor(), service.get(program_id=program_id), body)
    return service.update(program_id=program_id, **body)
