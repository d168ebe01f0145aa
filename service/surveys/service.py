"""Survey versions, invitations and responses.

A submission is one transaction: the response is stored, the invitation used up, its
signals recorded and handed to the lifecycle, and its effects (a logged meeting, a
training record) written; or none of it happens.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from flask import current_app, g
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.exc import IntegrityError

from service.actors import Actor, ActorKind
from service.calendar import service as calendar
from service.clock import now
from service.database import db, transaction
from service.errors import Invalid, NotFound
from service.events import payloads
from service.events import service as events
from service.meetings import service as meetings
from service.meetings.models import Meeting, MeetingStatus
from service.notifications import service as notifications
from service.pairs import lifecycle
from service.pairs.facts import TransitionRequest
from service.pairs.models import Pair
from service.participants.models import Participant, Role
from service.programs.models import Program
from service.signals import service as signals
from service.surveys.models import Invitation, SurveyResponse, SurveyVersion
from service.training import service as training
from surveys import loader
from surveys.definition import DefinitionError, SurveyDefinition, parse
from workflows import rules
from workflows.pairing import State, Trigger

TOKEN_SALT = "pairwise-survey-invitation"
# Purposes about a relationship need a pair; applications and training do not.
PAIR_PURPOSES = frozenset(
    {
        "meeting_log",
        "first_meeting",
        "periodic_checkin",
        "closure_reflection",
        "event_followup",
        "six_month_update",
    }
)
REISSUE_QUIET_PERIOD = timedelta(minutes=10)


# -- versions ------------------------------------------------------------------------------


def content_key(version: SurveyVersion) -> str:
    """What a version says, as one string: the key for anything derived from it."""
    return json.dumps(version.definition, sort_keys=True)


@lru_cache(maxsize=512)
def _parsed(content: str, source: str) -> SurveyDefinition:
    return parse(json.loads(content), source=source)


def definition_of(version: SurveyVersion) -> SurveyDefinition:
    """The definition a stored version holds, parsed once per process."""
    return _parsed(content_key(version), _source(version))


def _source(version: SurveyVersion) -> str:
    owner = f"program {version.program_id}'s" if version.program_id else "the standard"
    return f"{owner} {version.survey_key} version {version.version}"


def standard_keys() -> list[str]:
    return sorted(loader.standard())


def _standard(survey_key: str) -> tuple[SurveyDefinition, dict[str, Any]]:
    found = loader.standard().get(survey_key)
    if found is None:
        raise NotFound.of("survey", survey_key)
    return found


def ensure_standard_version(survey_key: str) -> SurveyVersion:
    """The stored row of the shipped definition, created the first time it is used."""
    definition, data = _standard(survey_key)
    query = sa.select(SurveyVersion).where(
        SurveyVersion.survey_key == survey_key,
        SurveyVersion.program_id.is_(None),
        SurveyVersion.version == definition.version,
    )
    version = db.session.scalar(query)
    if version is None:
        version = SurveyVersion(
            survey_key=survey_key,
            program_id=None,
            version=definition.version,
            definition=data,
            created_by=Actor(ActorKind.SYSTEM, None, "standard surveys").ref,
        )
        try:
            with db.session.begin_nested():
                db.session.add(version)
        except IntegrityError:
            version = db.session.scalar(query)
    elif version.definition != data:
        raise RuntimeError(
            f"surveys/definitions: {survey_key} changed but is still version "
            f"{definition.version}; give changed definitions a new version number"
        )
    return version


def current_version(*, survey_key: str, program_id: int) -> SurveyVersion:
    """The version new invitations use: the program's own latest, else the standard one.

    Remembered for the rest of the app context: a sweep inviting a thousand participants
    looks it up once per survey and program.
    """
    remembered = g.setdefault("survey_versions", {})
    if (survey_key, program_id) in remembered:
        return db.session.get(SurveyVersion, remembered[(survey_key, program_id)])
    version = _current_version(survey_key, program_id)
    remembered[(survey_key, program_id)] = version.id
    return version


def _current_version(survey_key: str, program_id: int) -> SurveyVersion:
    own = db.session.scalar(
        sa.select(SurveyVersion)
        .where(SurveyVersion.survey_key == survey_key, SurveyVersion.program_id == program_id)
        .order_by(SurveyVersion.version.desc())
        .limit(1)
    )
    return own if own is not None else ensure_standard_version(survey_key)


def versions(*, survey_key: str, program_id: int | None = None) -> list[SurveyVersion]:
    standard = ensure_standard_version(survey_key)
    query = sa.select(SurveyVersion).where(SurveyVersion.survey_key == survey_key)
    if program_id is not None:
        query = query.where(
            sa.or_(SurveyVersion.program_id == program_id, SurveyVersion.id == standard.id)
        )
    ordered = query.order_by(SurveyVersion.program_id.nulls_first(), SurveyVersion.version)
    return list(db.session.scalars(ordered))


def get_version(*, version_id: int) -> SurveyVersion:
    version = db.session.get(SurveyVersion, version_id)
    if version is None:
        raise NotFound.of("survey version", version_id)
    return version


def publish_version(
    *, program_id: int, survey_key: str, data: dict[str, Any], actor: Actor
) -> SurveyVersion:
    """A program's own version of a survey: questions added, reworded or dropped."""
    with transaction():
        program = db.session.get(Program, program_id)
        if program is None:
            raise NotFound.of("program", program_id)
        standard, _ = _standard(survey_key)
        data = {**data, "key": survey_key}
        data.setdefault("purpose", standard.purpose)
        data.setdefault("audience", list(standard.audience))
        latest = max([v.version for v in versions(survey_key=survey_key, program_id=program_id)])
        data["version"] = latest + 1
        try:
            definition = parse(data, source=f"program {program_id}'s version of {survey_key}")
        except DefinitionError as error:
            field = f"questions.{error.question}" if error.question else "definition"
            raise Invalid(field, error.problem) from None
        if definition.purpose != standard.purpose:
            raise Invalid("purpose", f"a version of {survey_key} keeps purpose {standard.purpose}")
        version = SurveyVersion(
            survey_key=survey_key,
            program_id=program.id,
            version=definition.version,
            definition=data,
            created_by=actor.ref,
        )
        db.session.add(version)
        g.pop("survey_versions", None)
    return version


# -- invitations ---------------------------------------------------------------------------


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=TOKEN_SALT)


def token_for(invitation: Invitation) -> str:
    return _serializer().dumps([invitation.id, invitation.nonce])


def link_for(invitation: Invitation) -> str:
    # Built by hand, not url_for: jobs make links outside any request.
    return f"{current_app.config['PUBLIC_URL']}/s/{token_for(invitation)}"


class InvalidLink(Exception):
    """A link that was tampered with, or names no invitation."""


def resolve(token: str) -> Invitation:
    try:
        invitation_id, nonce = _serializer().loads(token)
    except (BadSignature, ValueError, TypeError):
        raise InvalidLink("the link's signature does not match") from None
    invitation = (
        db.session.get(Invitation, invitation_id) if isinstance(invitation_id, int) else None
    )
    if invitation is None or invitation.nonce != nonce:
        raise InvalidLink("no such invitation")
    return invitation


def is_expired(invitation: Invitation) -> bool:
    return invitation.expires_at <= now()


def respondent_role(invitation: Invitation, participant: Participant) -> str:
    """The role the participant answers in: their place in the pair, else their own role."""
    pair = db.session.get(Pair, invitation.pair_id) if invitation.pair_id else None
    return (_pair_member_role(pair, participant) if pair else None) or participant.role


def _pair_member_role(pair: Pair, participant: Participant) -> str | None:
    if participant.id == pair.mentee_id:
        return Role.MENTEE
    if participant.id == pair.mentor_id:
        return Role.MENTOR
    if participant.role == Role.GUARDIAN and participant.guardian_of_id == pair.mentee_id:
        return Role.GUARDIAN
    return None


def create_invitation(
    *,
    survey_key: str,
    participant_id: int,
    actor: Actor,
    pair_id: int | None = None,
    valid_days: int | None = None,
    send_email: bool = False,
) -> Invitation:
    with transaction():
        return invite(
            survey_key=survey_key,
            participant_id=participant_id,
            actor=actor,
            pair_id=pair_id,
            valid_days=valid_days,
            send_email=send_email,
        )


def invite(
    *,
    survey_key: str,
    participant_id: int,
    actor: Actor,
    pair_id: int | None = None,
    valid_days: int | None = None,
    send_email: bool = False,
) -> Invitation:
    """`create_invitation` inside the caller's transaction."""
    participant = db.session.get(Participant, participant_id)
    if participant is None:
        raise Invalid("participant_id", f"no participant with id {participant_id}")
    program = db.session.get(Program, participant.program_id)
    version = current_version(survey_key=survey_key, program_id=program.id)
    definition = definition_of(version)
    if participant.role not in definition.audience:
        raise Invalid(
            "participant_id",
            f"{survey_key} is answered by {' or '.join(definition.audience)}, "
            f"not by a {participant.role}",
        )
    if pair_id is None and definition.purpose in PAIR_PURPOSES:
        raise Invalid("pair_id", f"{survey_key} is about a pair; give the pair's id")
    if pair_id is not None:
        pair = db.session.get(Pair, pair_id)
        if pair is None or _pair_member_role(pair, participant) is None:
            raise Invalid("pair_id", f"participant {participant.id} is not part of pair {pair_id}")
    days = valid_days or program.invitation_valid_days
    invitation = Invitation(
        nonce=secrets.token_urlsafe(16),
        survey_version_id=version.id,
        participant_id=participant.id,
        pair_id=pair_id,
        expires_at=now() + timedelta(days=days),
        created_by=actor.ref,
    )
    db.session.add(invitation)
    db.session.flush()
    if send_email:
        template = (
            "event_followup_invitation"
            if definition.purpose == "event_followup"
            else "survey_invitation"
        )
        email_link(invitation, participant, definition, program, template)
    return invitation


def email_link(
    invitation: Invitation,
    participant: Participant,
    definition: SurveyDefinition,
    program: Program,
    template: str = "survey_invitation",
) -> None:
    notifications.email_participant(
        participant,
        program,
        template=template,
        pair_id=invitation.pair_id,
        survey_title=definition.title,
        link=link_for(invitation),
        expires_on=invitation.expires_at.date().isoformat(),
    )


def reissue(*, invitation_id: int) -> tuple[Invitation, bool]:
    """A fresh link for an expired one, e-mailed to the address on file.

    Returns the new invitation, and whether an e-mail went out now (not when a fresh link
    was sent moments ago, so the button cannot flood an inbox).
    """
    with transaction():
        old = db.session.get(Invitation, invitation_id)
        recent = db.session.scalar(
            sa.select(Invitation)
            .where(
                Invitation.reissued_from_id == old.id,
                Invitation.created_at > now() - REISSUE_QUIET_PERIOD,
            )
            .order_by(Invitation.id.desc())
            .limit(1)
        )
        if recent is not None:
            return recent, False
        participant = db.session.get(Participant, old.participant_id)
        program = db.session.get(Program, participant.program_id)
        version = db.session.get(SurveyVersion, old.survey_version_id)
        fresh = Invitation(
            nonce=secrets.token_urlsafe(16),
            survey_version_id=version.id,
            participant_id=participant.id,
            pair_id=old.pair_id,
            expires_at=now() + timedelta(days=program.invitation_valid_days),
            reissued_from_id=old.id,
            created_by=Actor(ActorKind.SYSTEM, None, "expired link").ref,
        )
        db.session.add(fresh)
        db.session.flush()
        email_link(fresh, participant, definition_of(version), program, "survey_link_reissued")
    return fresh, True


def get_invitation(*, invitation_id: int) -> Invitation:
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None:
        raise NotFound.of("invitation", invitation_id)
    return invitation


# -- responses -----------------------------------------------------------------------------


class AlreadyAnswered(Exception):
    """The invitation was used: this is a second submission of the same link."""


def submit(*, invitation_id: int, answers: dict[str, Any]) -> SurveyResponse:
    """Store a response and let it act on the pair, all in one transaction."""
    with transaction():
        invitation = db.session.get(Invitation, invitation_id)
        moment = now()
        used = db.session.execute(
            sa.update(Invitation)
            .where(Invitation.id == invitation.id, Invitation.used_at.is_(None))
            .values(used_at=moment)
            .execution_options(synchronize_session=False)
        )
        if used.rowcount != 1:
            raise AlreadyAnswered()
        version = db.session.get(SurveyVersion, invitation.survey_version_id)
        definition = definition_of(version)
        participant = db.session.get(Participant, invitation.participant_id)
        pair = db.session.get(Pair, invitation.pair_id) if invitation.pair_id else None
        role = respondent_role(invitation, participant)
        pulse = _pulse(definition, answers)
        response = SurveyResponse(
            invitation_id=invitation.id,
            survey_version_id=version.id,
            survey_key=definition.key,
            purpose=definition.purpose,
            participant_id=participant.id,
            respondent_role=role,
            pair_id=pair.id if pair else None,
            answers=answers,
            pulse_rating=pulse,
            submitted_at=moment,
        )
        db.session.add(response)
        db.session.flush()
        calendar.contact_answered(invitation.id)
        if pair is not None:
            events.emit("survey.submitted", {"response": payloads.response(response)}, pair=pair)
            _act_on_pair(pair, response, definition, participant)
        _apply_purpose(definition, response, participant, pair)
    return response


def _pulse(definition: SurveyDefinition, answers: dict[str, Any]) -> int | None:
    for trend in definition.trends:
        if answers.get(trend.question) is not None:
            return int(answers[trend.question])
    return None


def _respondent(definition: SurveyDefinition, role: str) -> Actor:
    return Actor(ActorKind.SYSTEM, None, f"{definition.title} ({role})")


def _act_on_pair(
    pair: Pair, response: SurveyResponse, definition: SurveyDefinition, participant: Participant
) -> None:
    program = db.session.get(Program, pair.program_id)
    raised = rules.signals_from_answers(definition, response.answers)
    if response.pulse_rating is not None:
        raised += rules.trend_signals(
            definition,
            response.answers,
            _rating_history(pair, response),
            drop_threshold=program.rating_drop_threshold,
            divergence_gap=program.rating_divergence_gap,
        )
    signals.raise_signals(
        pair=pair,
        raised=raised,
        source="survey",
        source_id=str(response.id),
        actor=_respondent(definition, response.respondent_role),
        reason=f"Raised by a survey answer: {definition.title} ({response.respondent_role}), "
        f"response {response.id}.",
    )


def _rating_history(pair: Pair, response: SurveyResponse) -> rules.RatingHistory:
    def latest(*conditions: Any) -> int | None:
        return db.session.scalar(
            sa.select(SurveyResponse.pulse_rating)
            .where(
                SurveyResponse.pair_id == pair.id,
                SurveyResponse.pulse_rating.is_not(None),
                SurveyResponse.id != response.id,
                *conditions,
            )
            .order_by(SurveyResponse.submitted_at.desc(), SurveyResponse.id.desc())
            .limit(1)
        )

    other = Role.MENTOR if response.respondent_role == Role.MENTEE else Role.MENTEE
    return rules.RatingHistory(
        previous_own=latest(SurveyResponse.participant_id == response.participant_id),
        latest_other=latest(SurveyResponse.respondent_role == other)
        if response.respondent_role in (Role.MENTOR, Role.MENTEE)
        else None,
    )


def _apply_purpose(
    definition: SurveyDefinition,
    response: SurveyResponse,
    participant: Participant,
    pair: Pair | None,
) -> None:
    """What some surveys also record: a meeting, a training session, an application."""
    answers = response.answers
    if definition.purpose == "meeting_log" and pair is not None:
        _log_meeting(pair, response, definition)
    elif definition.purpose == "training_feedback" and answers.get("attended") == "yes":
        session = answers["session"]
        if session in training.SESSIONS_FOR_ROLE[participant.role]:
            with db.session.begin_nested():
                training.add_record(
                    participant=participant,
                    session=session,
                    completed_on=response.submitted_at.date(),
                )
    elif definition.purpose == "application":
        # What matching compares: shared topics, skills, availability.
        if answers.get("topics"):
            participant.goals = list(answers["topics"])
        if answers.get("skills"):
            participant.skills = [answers["skills"]]
        if answers.get("availability"):
            participant.availability = answers["availability"]


def _log_meeting(pair: Pair, response: SurveyResponse, definition: SurveyDefinition) -> None:
    answers = response.answers
    held = answers["held"]
    final = answers.get("final_session") == "yes" and held == MeetingStatus.HELD
    if final and pair.state != State.CLOSING:
        final = False  # A final session counts once closure has begun; the answer is kept.
    occurred = date.fromisoformat(answers["occurred_on"])
    meeting = Meeting(
        pair_id=pair.id,
        occurred_at=meetings.noon_utc(occurred),
        status=held,
        duration_minutes=answers.get("duration_minutes"),
        attendees=answers.get("attendees", []),
        location=answers.get("location", ""),
        activities=answers.get("activities", ""),
        missed_by=answers.get("missed_by"),
        is_final_session=final,
        recorded_by=_respondent(definition, response.respondent_role).ref,
    )
    meetings.add(meeting, pair=pair)
    if final:
        request = TransitionRequest(
            Trigger.CLOSE, reason=f"The final session was logged (response {response.id})."
        )
        with db.session.begin_nested():
            lifecycle.apply_or_propose(
                pair=pair, request=request, actor=_respondent(definition, response.respondent_role)
            )


def validate_answers(definition: SurveyDefinition, answers: dict[str, Any]) -> dict[str, Any]:
    """Answers given as JSON, checked by the same form the page uses; a 422 names each one."""
    from werkzeug.datastructures import MultiDict

    from surveys.forms import answers_from, form_class

    unknown = sorted(set(answers) - {q.key for q in definition.questions})
    errors = [
        {"location": "json", "field": f"answers.{key}", "message": "Unknown question."}
        for key in unknown
    ]
    data = MultiDict()
    for key, value in answers.items():
        for item in value if isinstance(value, list) else [value]:
            data.add(key, "y" if item is True else str(item))
    form = form_class(definition)(formdata=data, meta={"csrf": False})
    if not form.validate():
        errors += [
            {"location": "json", "field": f"answers.{key}", "message": messages[0]}
            for key, messages in form.errors.items()
        ]
    if errors:
        raise Invalid.many(errors)
    return answers_from(form, definition)


def record_staff_checkin(*, pair_id: int, answers: dict[str, Any], actor: Actor) -> SurveyResponse:
    """A coordinator's record of a check-in (seed 000 Table 7). It counts toward the
    program's cadence, and a safety answer in it raises a safety signal like any other."""
    from service.pairs import service as pairs

    with transaction():
        pair = pairs.lock(pair_id)
        version = current_version(survey_key="coordinator_checkin", program_id=pair.program_id)
        definition = definition_of(version)
        cleaned = validate_answers(definition, answers)
        response = SurveyResponse(
            invitation_id=None,
            survey_version_id=version.id,
            survey_key=definition.key,
            purpose=definition.purpose,
            participant_id=None,
            respondent_role="coordinator",
            pair_id=pair.id,
            answers=cleaned,
            recorded_by=actor.ref,
            submitted_at=now(),
        )
        db.session.add(response)
        db.session.flush()
        events.emit("survey.submitted", {"response": payloads.response(response)}, pair=pair)
        signals.raise_signals(
            pair=pair,
            raised=rules.signals_from_answers(definition, cleaned),
            source="coordinator",
            source_id=str(response.id),
            actor=actor,
            reason=f"Raised in a coordinator's check-in (response {response.id}).",
        )
        calendar.staff_contact_recorded(pair)
    return response


def get_response(*, response_id: int) -> SurveyResponse:
    response = db.session.get(SurveyResponse, response_id)
    if response is None:
        raise NotFound.of("survey response", response_id)
    return response


def responses_for_pair(*, pair_id: int) -> list[SurveyResponse]:
    return list(
        db.session.scalars(
            sa.select(SurveyResponse)
            .where(SurveyResponse.pair_id == pair_id)
            .order_by(SurveyResponse.submitted_at, SurveyResponse.id)
        )
    )


@dataclass(frozen=True)
class ShownAnswer:
    key: str
    label: str
    type: str
    value: Any
    display: str
    visibility: str
    safety: bool


def readable_answers(response: SurveyResponse) -> list[ShownAnswer]:
    """The answers with the questions of the version they were given under."""
    definition = definition_of(db.session.get(SurveyVersion, response.survey_version_id))
    shown: list[ShownAnswer] = []
    for question in definition.questions:
        if question.key not in response.answers:
            continue
        value = response.answers[question.key]
        if question.type == "multiple_choice":
            display = ", ".join(question.choice_label(v) for v in value)
        elif question.options:
            display = question.choice_label(value)
        elif question.type == "consent":
            display = "Agreed"
        else:
            display = str(value)
        shown.append(
            ShownAnswer(
                question.key,
                question.label,
                question.type,
                value,
                display,
                question.visibility,
                question.safety,
            )
        )
    return shown
