from __future__ import annotations

from flask import jsonify, request
from marshmallow import ValidationError

from service.auth import current_actor, require_scope
from service.errors import Invalid, NotFound
from service.idempotency.decorators import idempotent
from service.intake import service as intake
from service.pagination import paginate
from service.participants import importing, service
from service.participants.jobs import enqueue_import, import_status
from service.participants.schemas import (
    ApplicationSchema,
    ImportFileSchema,
    ImportFormSchema,
    ImportJobSchema,
    ImportReportSchema,
    IntakeSchema,
    IntakeTransitionSchema,
    ParticipantQuerySchema,
    ParticipantSchema,
    ScreeningSchema,
)
from service.problems import validation_problem
from service.programs import service as programs
from service.schemas import Blueprint, api_link, documents, link, links, page_of
from service.training import service as training
from service.training.schemas import TrainingListSchema, TrainingRecordSchema

_path, _id = "/api/v1/participants/{participant_id}", "$response.body#/id"
PARTICIPANT_LINKS = {
    "get": link("GET", _path, "The participant.", participant_id=_id),
    "update": link("PATCH", _path, "Change their details.", participant_id=_id),
    "training": link("GET", f"{_path}/training", "Their training.", participant_id=_id),
    "train": link("POST", f"{_path}/training", "Record a session.", participant_id=_id),
    "pairs": link("GET", "/api/v1/pairs", "Pairs they are the mentee of.", mentee_id=_id),
}

blueprint = Blueprint(
    "participants",
    __name__,
    url_prefix="/api/v1/participants",
    description="Mentors, mentees and parents or guardians, and their training.",
)


@blueprint.get("")
@require_scope("participants:read")
@blueprint.arguments(ParticipantQuerySchema, location="query", as_kwargs=True)
@blueprint.response(200, page_of(ParticipantSchema))
@documents(blueprint, 401, 403, 422)
def list_participants(page: int, per_page: int, after: int | None = None, **filters):
    """List participants, in id order: search names and e-mail addresses (`q`), filter by
    program, role, status, and the mentees waiting for a match and for how long.

    Each mentee waiting for a match carries `waiting_since` and `waiting_days`. For example,
    the mentees of program 1 who have waited a month or more, a page at a time:
    `GET /api/v1/participants?program_id=1&waited_days=30&after=0`, then follow
    `links.next`."""
    listed = paginate(service.list_query(**filters), page=page, per_page=per_page, after=after)
    service.annotate_waiting(listed["items"])
    return listed


@blueprint.post("")
@require_scope("participants:write")
@idempotent(blueprint)
@blueprint.arguments(
    ParticipantSchema,
    example={
        "program_id": 1,
        "role": "mentor",
        "full_name": "Sigrún Jónsdóttir",
        "email": "sigrún.jónsdóttir@example.org",
        "language": "is",
        "capacity": 2,
        "skills": ["mathematics", "chess"],
        "availability": "Tuesday evenings",
    },
)
@blueprint.response(201, ParticipantSchema)
@links(blueprint, 201, **PARTICIPANT_LINKS)
@documents(blueprint, 401, 403, 404, 409, 422)
def create_participant(body: dict):
    participant = service.create(**body)
    return participant, 201, {"Location": api_link(f"/participants/{participant.id}")}


@blueprint.get("/<id:participant_id>")
@require_scope("participants:read")
@blueprint.response(200, ParticipantSchema)
@documents(blueprint, 401, 403, 404)
def get_participant(participant_id: int):
    return service.get(participant_id=participant_id)


@blueprint.patch("/<id:participant_id>")
@require_scope("participants:write")
@blueprint.arguments(
    ParticipantSchema(partial=True, exclude=("program_id", "role")),
    example={"phone": "+44 20 7946 0958", "availability": "Weekends"},
)
@blueprint.response(200, ParticipantSchema)
@documents(blueprint, 401, 403, 404, 409, 422)
def update_participant(body: dict, participant_id: int):
    return service.update(participant_id=participant_id, **body)


@blueprint.get("/<id:participant_id>/training")
@require_scope("participants:read")
@blueprint.response(200, TrainingListSchema)
@documents(blueprint, 401, 403, 404)
def list_training(participant_id: int):
    return {"items": training.list_for(participant_id=participant_id)}


@blueprint.post("/<id:participant_id>/training")
@require_scope("participants:write")
@idempotent(blueprint)
@blueprint.arguments(
    TrainingRecordSchema,
    example={
        "session": "mentor_orientation",
        "completed_on": "2026-09-01",
        "topics": ["safety", "boundaries", "goal setting"],
    },
)
@blueprint.response(201, TrainingRecordSchema)
@documents(blueprint, 401, 403, 404, 422)
def record_training(body: dict, participant_id: int):
    """Record a training session the participant attended (idempotent)."""
    return training.record(participant_id=participant_id, **body), 201


def _intake(participant_id: int) -> dict:
    participant = service.get(participant_id=participant_id)
    return {
        "participant_id": participant.id,
        "intake_state": participant.intake_state,
        "allowed_triggers": [str(t) for t in intake.allowed(participant)],
        "unmet_requirements": intake.unmet(participant),
        "screening": intake.screening_of(participant.id),
        "history": intake.history(participant_id=participant.id),
    }


@blueprint.post("/applications")
@require_scope("participants:write")
@idempotent(blueprint)
@blueprint.arguments(
    ApplicationSchema,
    example={
        "program_id": 1,
        "role": "mentor",
        "full_name": "Ana Souza",
        "email": "ana.souza@example.org",
        "application": "I coached youth football for five years.",
    },
)
@blueprint.response(201, ParticipantSchema)
@links(blueprint, 201, **PARTICIPANT_LINKS)
@documents(blueprint, 401, 403, 404, 409, 422)
def apply(body: dict):
    """An application from a mentor or mentee: they join the program `applied`, in the
    coordinator's queue, and are screened before they can be matched. Emits
    `participant.applied`."""
    participant = intake.apply(actor=current_actor(), **body)
    return participant, 201, {"Location": api_link(f"/participants/{participant.id}")}


@blueprint.get("/<id:participant_id>/screening")
@require_scope("participants:read")
@blueprint.response(200, IntakeSchema)
@documents(blueprint, 401, 403, 404)
def get_screening(participant_id: int):
    """The participant's intake: state, what screening recorded, what approval still needs,
    and the history of every step (who, when, why)."""
    return _intake(participant_id)


@blueprint.patch("/<id:participant_id>/screening")
@require_scope("participants:write")
@blueprint.arguments(
    ScreeningSchema(partial=True),
    example={
        "interview_on": "2026-11-20",
        "references_on": "2026-11-22",
        "background_check": "passed",
        "background_check_expires_on": "2029-11-01",
    },
)
@blueprint.response(200, IntakeSchema)
@documents(blueprint, 401, 403, 404, 422)
def record_screening(body: dict, participant_id: int):
    """Record what screening found: the interview, references, a background check's result
    and expiry (the check itself is done elsewhere) and, for a minor, a guardian's consent."""
    intake.record(participant_id=participant_id, **body)
    return _intake(participant_id)


@blueprint.post("/<id:participant_id>/intake")
@require_scope("participants:write")
@idempotent(blueprint)
@blueprint.arguments(IntakeTransitionSchema, example={"trigger": "approve"})
@blueprint.response(200, IntakeSchema)
@documents(blueprint, 401, 403, 404, 409, 422)
def move_intake(body: dict, participant_id: int):
    """Move an applicant on: `start_screening`, `approve`, `decline` or `withdraw` (the last
    two with a `reason`). Approving a mentor needs a passed background check that has not
    expired and, where the program asks, an interview and references; approving a minor
    needs a guardian's consent. A refusal (409, `guard-failed`) lists what is missing. An
    approved mentee gets a `recruited` pair. Emits `participant.transitioned`."""
    intake.transition(participant_id=participant_id, actor=current_actor(), **body)
    return _intake(participant_id)


_IMPORT_FORM = ImportFormSchema()
_IMPORT_FILE = ImportFileSchema()


@blueprint.post("/imports")
@require_scope("participants:write")
@idempotent(blueprint)
@blueprint.doc(
    requestBody={
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {"$ref": "#/components/schemas/ImportRequest"},
                "example": {
                    "program_id": 1,
                    "role": "mentor",
                    "dry_run": True,
                    "file": "(the file: mentors.csv)",
                },
            }
        },
    }
)
@blueprint.response(200, ImportReportSchema)
@blueprint.alt_response(202, schema=ImportJobSchema, description="A large file: a job.")
@documents(blueprint, 401, 403, 404, 413, 422)
def import_participants():
    try:
        form = _IMPORT_FORM.load(request.form.to_dict())
        upload = _IMPORT_FILE.load(request.files.to_dict())["file"]
    except ValidationError as error:
        raise validation_problem({"form": error.messages}) from None
    data, filename = upload.read(), upload.filename or ""
    table = importing.read_table(data, filename)
    if not form["dry_run"] and len(table.rows) > importing.BACKGROUND_ROWS:
        programs.get(program_id=form["program_id"])
        job_id = enqueue_import(
            data,
            filename,
            program_id=form["program_id"],
            actor=current_actor(),
            mapping=form.get("mapping"),
            role=form.get("role"),
            as_applications=form["as_applications"],
            rows=len(table.rows),
        )
        # Answered as it is: the 200 schema above is the report's, not the job's.
        answer = jsonify(ImportJobSchema().dump(import_status(job_id)))
        answer.status_code = 202
        answer.headers["Location"] = api_link(f"/participants/imports/{job_id}")
        return answer
    report = importing.run(
        data,
        filename,
        program_id=form["program_id"],
        actor=current_actor(),
        mapping=form.get("mapping"),
        role=form.get("role"),
        dry_run=form["dry_run"],
        as_applications=form["as_applications"],
    )
    if report.errors and not form["dry_run"]:
        raise Invalid.many(
            [
                {"location": "file", "field": f"line {e.line}", "message": "; ".join(e.messages)}
                for e in report.errors
            ]
        )
    return report.as_dict()


@blueprint.get("/imports/<string:job_id>")
@require_scope("participants:read")
@blueprint.response(200, ImportJobSchema)
@documents(blueprint, 401, 403, 404)
def get_import(job_id: str):
    """A background import: its progress (rows checked of the total) and, once finished, its
    report."""
    status = import_status(job_id)
    if status is None:
        raise NotFound.of("import", job_id)
    return status
