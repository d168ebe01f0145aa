from __future__ import annotations

from service.auth import current_actor, require_scope
from service.confidentiality import answer_visible_to
from service.idempotency.decorators import idempotent
from service.pairs import service as pairs
from service.schemas import Blueprint, api_link, documents, link, links
from service.surveys import answers, invitations, responses, versions
from service.surveys.models import SurveyResponse
from service.surveys.schemas import (
    CheckinSchema,
    GroupCheckinSchema,
    InvitationRequestSchema,
    InvitationSchema,
    PublishVersionSchema,
    ResponseListSchema,
    ResponseSchema,
    SurveyListSchema,
    SurveyVersionListSchema,
    SurveyVersionSchema,
    VersionQuerySchema,
    survey_summary,
)
from surveys import loader

blueprint = Blueprint(
    "surveys_api",
    __name__,
    url_prefix="/api/v1",
    description="Survey definitions and versions, invitations, and responses.",
)


@blueprint.get("/surveys")
@require_scope("surveys:read")
@blueprint.response(200, SurveyListSchema)
@documents(blueprint, 401, 403)
def list_surveys():
    """The standard set of surveys."""
    return {"items": [survey_summary(d) for d, _ in loader.standard().values()]}


@blueprint.get("/surveys/<key>/versions")
@require_scope("surveys:read")
@blueprint.arguments(VersionQuerySchema, location="query", as_kwargs=True)
@blueprint.response(200, SurveyVersionListSchema)
@documents(blueprint, 401, 403, 404, 422)
def list_versions(key: str, program_id: int | None = None):
    return {"items": versions.versions(survey_key=key, program_id=program_id)}


@blueprint.get("/survey-versions/<id:version_id>")
@require_scope("surveys:read")
@blueprint.response(200, SurveyVersionSchema)
@documents(blueprint, 401, 403, 404)
def get_version(version_id: int):
    return versions.get_version(version_id=version_id)


@blueprint.post("/programs/<id:program_id>/surveys/<key>/versions")
@require_scope("surveys:write")
@idempotent(blueprint)
@blueprint.arguments(
    PublishVersionSchema,
    example={
        "title": "After the mentoring event",
        "questions": [
            {"key": "useful", "type": "likert", "label": "The event was useful to me."},
            {
                "key": "improve",
                "type": "long_text",
                "label": "How could we make the event better?",
                "required": False,
                "max_length": 2000,
            },
        ],
    },
)
@blueprint.response(201, SurveyVersionSchema)
@links(
    blueprint,
    201,
    get=link(
        "GET",
        "/api/v1/survey-versions/{version_id}",
        "The version.",
        version_id="$response.body#/id",
    ),
)
@documents(blueprint, 401, 403, 404, 422)
def publish_version(body: dict, program_id: int, key: str):
    """Publish the program's own version; new invitations use it, old answers keep theirs."""
    version = versions.publish_version(
        program_id=program_id, survey_key=key, data=body, actor=current_actor()
    )
    return version, 201, {"Location": api_link(f"/survey-versions/{version.id}")}


@blueprint.post("/invitations")
@require_scope("surveys:invite")
@idempotent(blueprint)
@blueprint.arguments(
    InvitationRequestSchema,
    example={"survey_key": "checkin_mentee", "participant_id": 8, "pair_id": 1},
)
@blueprint.response(201, InvitationSchema)
@links(
    blueprint,
    201,
    get=link(
        "GET",
        "/api/v1/invitations/{invitation_id}",
        "The invitation.",
        invitation_id="$response.body#/id",
    ),
)
@documents(blueprint, 401, 403, 404, 422)
def create_invitation(body: dict):
    """A signed, expiring, single-use link for one participant (and pair) to one survey."""
    invitation = invitations.invite(actor=current_actor(), **body)
    return {**_invitation_fields(invitation), "url": invitations.link_for(invitation)}, 201


@blueprint.get("/invitations/<id:invitation_id>")
@require_scope("surveys:read")
@blueprint.response(200, InvitationSchema)
@documents(blueprint, 401, 403, 404)
def get_invitation(invitation_id: int):
    return _invitation_fields(invitations.get_invitation(invitation_id=invitation_id))


def _invitation_fields(invitation) -> dict:
    return {
        name: getattr(invitation, name)
        for name in (
            "id",
            "survey_version_id",
            "participant_id",
            "pair_id",
            "expires_at",
            "used_at",
            "occasion",
            "created_at",
        )
    }


def _visible(response: SurveyResponse) -> dict:
    actor = current_actor()
    every = answers.readable_answers(response)
    shown = [a for a in every if answer_visible_to(actor, visibility=a.visibility, safety=a.safety)]
    return {
        "id": response.id,
        "survey_key": response.survey_key,
        "survey_version_id": response.survey_version_id,
        "purpose": response.purpose,
        "pair_id": response.pair_id,
        "participant_id": response.participant_id,
        "respondent_role": response.respondent_role,
        "submitted_at": response.submitted_at,
        "answers": shown,
        "withheld": len(every) - len(shown),
        "links": {"self": api_link(f"/responses/{response.id}")},
    }


@blueprint.post("/pairs/<id:pair_id>/checkins")
@require_scope("pairs:write")
@idempotent(blueprint)
@blueprint.arguments(
    CheckinSchema, example={"answers": {"approach": "pair", "with_whom": ["mentee"]}}
)
@blueprint.response(201, ResponseSchema)
@documents(blueprint, 401, 403, 404, 422)
def record_checkin(body: dict, pair_id: int):
    """Record a coordinator's check-in (approach: individual, pair or group); it counts toward
    the program's cadence."""
    response = responses.record_staff_checkin(
        pair_id=pair_id, answers=body["answers"], actor=current_actor()
    )
    return _visible(response), 201


def _group_body(record) -> dict:
    return {
        "id": record.id,
        "pair_ids": responses.group_checkin_pair_ids(group_checkin_id=record.id),
        "held_on": record.held_on,
        "notes": record.notes,
        "recorded_by": record.recorded_by,
        "created_at": record.created_at,
    }


@blueprint.post("/group-checkins")
@require_scope("pairs:write")
@idempotent(blueprint)
@blueprint.arguments(
    GroupCheckinSchema,
    example={
        "pair_ids": [12, 15, 21],
        "held_on": "2026-12-03",
        "notes": "Monthly group session: planning the holidays, and what helps when a meeting "
        "has to move.",
    },
)
@blueprint.response(201, GroupCheckinSchema)
@documents(blueprint, 401, 403, 404, 422)
def record_group_checkin(body: dict):
    """Record a coordinator's check-in with several pairs at once (the group approach): one
    record covers them all and counts as the coordinator's contact with each pair."""
    record = responses.record_group_checkin(actor=current_actor(), **body)
    return _group_body(record), 201, {"Location": api_link(f"/group-checkins/{record.id}")}


@blueprint.get("/group-checkins/<id:group_checkin_id>")
@require_scope("pairs:read")
@blueprint.response(200, GroupCheckinSchema)
@documents(blueprint, 401, 403, 404)
def get_group_checkin(group_checkin_id: int):
    """One group check-in and the pairs it covered."""
    return _group_body(responses.get_group_checkin(group_checkin_id=group_checkin_id))


@blueprint.get("/responses/<id:response_id>")
@require_scope("responses:read")
@blueprint.response(200, ResponseSchema)
@documents(blueprint, 401, 403, 404)
def get_response(response_id: int):
    """Answers with the questions they were given under, as far as the token may read."""
    return _visible(responses.get_response(response_id=response_id))


@blueprint.get("/pairs/<id:pair_id>/responses")
@require_scope("responses:read")
@blueprint.response(200, ResponseListSchema)
@documents(blueprint, 401, 403, 404)
def list_pair_responses(pair_id: int):
    pairs.get(pair_id=pair_id)
    return {"items": [_visible(r) for r in responses.responses_for_pair(pair_id=pair_id)]}
