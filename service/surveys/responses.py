"""Survey responses: a submission, and what it does to the pair.

A submission is one transaction: the response is stored, the invitation used up, its
signals recorded and handed to the lifecycle, and its effects (a logged meeting, a
training record) written; or none of it happens.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from service import bus
from service.actors import Actor, ActorKind
from service.clock import now
from service.closure import service as closure
from service.database import add_inserted, db, rowcount, table_of, transaction, write
from service.errors import Invalid, NotFound
from service.events import payloads
from service.events import service as events
from service.meetings import service as meetings
from service.meetings.models import Meeting, MeetingStatus
from service.pairs import agreement, lifecycle
from service.pairs import bounds as pair_bounds
from service.pairs import service as pairs
from service.pairs.facts import TransitionRequest
from service.pairs.models import Pair
from service.participants.models import Participant, Role
from service.signals import service as signals
from service.surveys.domain_events import ResponseSubmitted, StaffCheckinRecorded
from service.surveys.invitations import respondent_role
from service.surveys.models import GroupCheckin, GroupCheckinPair, Invitation, SurveyResponse
from service.surveys.versions import current_version, definition_of
from service.training import service as training
from surveys.definition import SurveyDefinition
from surveys.forms import answers_from, form_class
from workflows import rules
from workflows.endings import EndingReason, Viewpoint
from workflows.pairing import State, Trigger


class AlreadyAnswered(Exception):
    """The invitation was used: this is a second submission of the same link."""


def submit(
    *,
    invitation_id: int,
    answers: dict[str, Any],
    ratings: rules.RatingHistory | None = None,
    definition: SurveyDefinition | None = None,
) -> SurveyResponse:
    """Store a response and let it act on the pair, all in one transaction. `ratings`: the
    pair's earlier pulse ratings, when the caller read them with the invitation
    (`invitations.resolve(..., ratings=True)`); read here otherwise. `definition`: the
    invitation's survey version's, when the caller holds it (`resolve` gives it)."""
    with transaction():
        invitation = db.session.get(Invitation, invitation_id)
        if invitation is None:
            raise NotFound.of("invitation", invitation_id)
        moment = now()
        used = write(_USE_UP, {"invitation_id": invitation.id, "moment": moment})
        if rowcount(used) != 1:
            raise AlreadyAnswered()
        if definition is None:
            definition = definition_of(invitation.survey_version)
        participant = invitation.participant
        pair = invitation.pair
        role = respondent_role(invitation, participant)
        pulse = _pulse(definition, answers)
        response = SurveyResponse(
            invitation_id=invitation.id,
            survey_version_id=invitation.survey_version_id,
            survey_key=definition.key,
            purpose=definition.purpose,
            participant_id=participant.id,
            respondent_role=role,
            pair_id=pair.id if pair else None,
            answers=answers,
            pulse_rating=pulse,
            submitted_at=moment,
        )
        add_inserted(response)
        bus.announce(ResponseSubmitted(response, invitation.id))
        if pair is not None:
            events.emit("survey.submitted", {"response": payloads.response(response)}, pair=pair)
            _act_on_pair(pair, response, definition, participant, ratings)
            agreement.record_progress_within(
                pair=pair, response_id=response.id, respondent_role=role, answers=answers
            )
        _apply_purpose(definition, response, participant, pair)
    return response


# The invitation used up by compare-and-set: a second submission of the link matches no
# row. Built once, as every answer runs it.
_INVITATIONS = table_of(Invitation)
_USE_UP = (
    sa.update(_INVITATIONS)
    .where(_INVITATIONS.c.id == sa.bindparam("invitation_id"), _INVITATIONS.c.used_at.is_(None))
    .values(used_at=sa.bindparam("moment"))
)


def _pulse(definition: SurveyDefinition, answers: dict[str, Any]) -> int | None:
    for trend in definition.trends:
        if answers.get(trend.question) is not None:
            return int(answers[trend.question])
    return None


def _respondent(definition: SurveyDefinition, role: str) -> Actor:
    return Actor(ActorKind.SYSTEM, None, f"{definition.title} ({role})")


def _act_on_pair(
    pair: Pair,
    response: SurveyResponse,
    definition: SurveyDefinition,
    participant: Participant,
    ratings: rules.RatingHistory | None = None,
) -> None:
    program = pair.program
    raised = rules.signals_from_answers(definition, response.answers)
    if response.pulse_rating is not None:
        raised += rules.trend_signals(
            definition,
            response.answers,
            ratings if ratings is not None else _rating_history(pair, response),
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
    """The respondent's previous rating and the other side's latest, in one query (two
    scalar subqueries, each on the pair's index)."""

    def latest(*conditions: Any) -> sa.ScalarSelect:
        return (
            sa.select(SurveyResponse.pulse_rating)
            .where(
                SurveyResponse.pair_id == pair.id,
                SurveyResponse.pulse_rating.is_not(None),
                SurveyResponse.id != response.id,
                *conditions,
            )
            .order_by(SurveyResponse.submitted_at.desc(), SurveyResponse.id.desc())
            .limit(1)
            .scalar_subquery()
        )

    sides = response.respondent_role in (Role.MENTOR, Role.MENTEE)
    other = Role.MENTOR if response.respondent_role == Role.MENTEE else Role.MENTEE
    own, latest_other = db.session.execute(
        sa.select(
            latest(SurveyResponse.participant_id == response.participant_id),
            latest(SurveyResponse.respondent_role == other) if sides else sa.null(),
        )
    ).one()
    return rules.RatingHistory(previous_own=own, latest_other=latest_other)


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
                training.record_within(
                    participant=participant,
                    session=session,
                    completed_on=response.submitted_at.date(),
                )
    elif definition.purpose == "closure_reflection" and pair is not None:
        _record_ending_reasons(pair, response, definition)
    elif definition.purpose == "application":
        # What matching compares: shared topics, skills, availability.
        if answers.get("topics"):
            participant.goals = list(answers["topics"])
        if answers.get("skills"):
            participant.skills = [answers["skills"]]
        if answers.get("availability"):
            participant.availability = answers["availability"]


def _record_ending_reasons(
    pair: Pair, response: SurveyResponse, definition: SurveyDefinition
) -> None:
    """A mentor's or mentee's own account of why the match ended (a guardian's is kept as
    an answer only: the accounts are the pair's and the coordinator's)."""
    known = set(EndingReason)
    primary = response.answers.get("ending_reason")
    if primary not in known or response.respondent_role not in (
        Viewpoint.MENTOR,
        Viewpoint.MENTEE,
    ):
        return  # A program's own version may offer choices of its own: kept as answers.
    closure.record_reasons_within(
        pair=pair,
        viewpoint=response.respondent_role,
        primary_reason=primary,
        other_reasons=[r for r in response.answers.get("other_ending_reasons", []) if r in known],
        actor=_respondent(definition, response.respondent_role),
    )


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
    meetings.log_within(meeting, pair=pair)
    if final:
        request = TransitionRequest(
            Trigger.CLOSE, reason=f"The final session was logged (response {response.id})."
        )
        with db.session.begin_nested():
            lifecycle.request_transition_within(
                pair=pair, request=request, actor=_respondent(definition, response.respondent_role)
            )


def validate_answers(definition: SurveyDefinition, answers: dict[str, Any]) -> dict[str, Any]:
    """Answers given as JSON, checked by the same form the page uses; `Invalid` names each."""
    unknown = sorted(set(answers) - {q.key for q in definition.questions})
    errors = [
        {"location": "json", "field": f"answers.{key}", "message": "Unknown question."}
        for key in unknown
    ]
    data: MultiDict[str, str] = MultiDict()
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
    """A coordinator's record of a check-in. It counts toward the
    program's cadence, and a safety answer in it raises a safety signal like any other."""
    with transaction():
        pair = pairs.lock(pair_id)
        version = current_version(survey_key="coordinator_checkin", program_id=pair.program_id)
        definition = agreement.with_goal_questions(definition_of(version), pair, "coordinator")
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
        agreement.record_progress_within(
            pair=pair, response_id=response.id, respondent_role="coordinator", answers=cleaned
        )
        signals.raise_signals(
            pair=pair,
            raised=rules.signals_from_answers(definition, cleaned),
            source="coordinator",
            source_id=str(response.id),
            actor=actor,
            reason=f"Raised in a coordinator's check-in (response {response.id}).",
        )
        bus.announce(StaffCheckinRecorded(pair, response))
    return response


def record_group_checkin(
    *, pair_ids: Sequence[int], held_on: date, notes: str = "", actor: Actor
) -> GroupCheckin:
    """A coordinator's check-in with several pairs at once (the group approach): one record
    covers all of them, and counts as the coordinator's contact with each pair, as a
    check-in with the pair alone would."""
    ids = sorted(set(pair_ids))
    low, high = pair_bounds.GROUP_CHECKIN_PAIRS
    if not low <= len(ids) <= high:
        raise Invalid("pair_ids", f"a group check-in covers from {low} to {high} pairs")
    with transaction():
        # Locked in id order, so two group check-ins sharing pairs queue up, never deadlock.
        locked = [pairs.lock(pair_id) for pair_id in ids]
        ended = [p.id for p in locked if not p.is_open]
        if ended:
            raise Invalid(
                "pair_ids", f"pair(s) {', '.join(map(str, ended))} have ended; leave them out"
            )
        record = GroupCheckin(held_on=held_on, notes=notes, recorded_by=actor.ref)
        db.session.add(record)
        db.session.flush()
        db.session.add_all(GroupCheckinPair(group_checkin_id=record.id, pair_id=i) for i in ids)
        for pair in locked:
            bus.announce(StaffCheckinRecorded(pair, None))
    return record


def group_checkin_pair_ids(*, group_checkin_id: int) -> list[int]:
    return list(
        db.session.scalars(
            sa.select(GroupCheckinPair.pair_id)
            .where(GroupCheckinPair.group_checkin_id == group_checkin_id)
            .order_by(GroupCheckinPair.pair_id)
        )
    )


def get_group_checkin(*, group_checkin_id: int) -> GroupCheckin:
    record = db.session.get(GroupCheckin, group_checkin_id)
    if record is None:
        raise NotFound.of("group check-in", group_checkin_id)
    return record


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
