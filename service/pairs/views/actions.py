"""What a coordinator does from the pair page: transitions, acceptances, interventions,
check-ins and meetings."""

from __future__ import annotations

from flask import flash, g, redirect, url_for

from service.meetings import service as meetings
from service.pairs import agreement, lifecycle
from service.pairs import service as pairs
from service.pairs.facts import TransitionRequest
from service.pairs.forms import (
    AcceptanceForm,
    InterventionForm,
    MeetingForm,
    PauseForm,
    TransitionForm,
)
from service.pairs.views.common import blueprint, flash_outcome, refused
from service.problems import Problem
from service.surveys import responses, versions
from service.web.forms import validated
from service.web.staff import pair_or_404, staff_required
from surveys.forms import answers_from, form_class
from workflows.pairing import ClosureReason, Trigger


@blueprint.post("/<id:pair_id>/transition")
@staff_required()
@refused
def transition(pair_id: int):
    pair_or_404(pair_id)
    form = validated(TransitionForm())
    transition_request = TransitionRequest(
        Trigger(form.trigger.data),
        reason=form.reason.data,
        signals=tuple(form.signals.data or ()),
        mentor_id=form.mentor_id.data,
        final_session_on=form.final_session_on.data,
        closure_reason=ClosureReason(form.closure_reason.data)
        if form.closure_reason.data
        else None,
        buffer_override_reason=form.buffer_override_reason.data,
    )
    flash_outcome(
        lifecycle.request_transition(pair_id=pair_id, request=transition_request, actor=g.actor)
    )
    return redirect(url_for(".show", pair_id=pair_id))


@blueprint.post("/<id:pair_id>/acceptances")
@staff_required()
@refused
def accept(pair_id: int):
    pair_or_404(pair_id)
    role = validated(AcceptanceForm()).role.data
    pairs.accept_introduction(pair_id=pair_id, role=role, actor=g.actor)
    flash(f"Recorded: the {role} accepted the introduction.")
    return redirect(url_for(".show", pair_id=pair_id))


@blueprint.post("/<id:pair_id>/interventions")
@staff_required()
@refused
def record_intervention(pair_id: int):
    pair_or_404(pair_id)
    form = validated(InterventionForm())
    pairs.record_intervention(
        pair_id=pair_id,
        description=form.description.data,
        actor=g.actor,
        approach=form.approach.data,
        signal=form.signal.data,
        follow_up_on=form.follow_up_on.data,
    )
    flash("The intervention is recorded.")
    return redirect(url_for(".show", pair_id=pair_id))


@blueprint.post("/<id:pair_id>/pauses")
@staff_required()
@refused
def record_pause(pair_id: int):
    pair_or_404(pair_id)
    form = validated(PauseForm())
    pause = pairs.record_pause(
        pair_id=pair_id,
        reason=form.reason.data,
        ends_on=form.ends_on.data,
        note=form.note.data or "",
        actor=g.actor,
    )
    flash(f"The pair is paused until {pause.ends_on:%d %B %Y}; it resumes then with a check-in.")
    return redirect(url_for(".show", pair_id=pair_id))


@blueprint.post("/<id:pair_id>/checkins")
@staff_required()
@refused
def record_checkin(pair_id: int):
    """The coordinator_checkin survey, answered by staff; it counts toward the cadence."""
    pair = pair_or_404(pair_id)
    version = versions.current_version(survey_key="coordinator_checkin", program_id=pair.program_id)
    definition = agreement.with_goal_questions(versions.definition_of(version), pair, "coordinator")
    # CSRFProtect has checked this POST already; the survey form itself has no token.
    form = form_class(definition)(prefix="checkin", meta={"csrf": False})
    if not form.validate():
        first = next(iter(form.errors.items()))
        label = definition.question(first[0]).label if definition.has_question(first[0]) else ""
        raise Problem("validation-error", f"Check-in not saved. {label}: {first[1][0]}")
    responses.record_staff_checkin(
        pair_id=pair_id, answers=answers_from(form, definition), actor=g.actor
    )
    flash("The check-in is recorded.")
    return redirect(url_for(".show", pair_id=pair_id))


@blueprint.post("/<id:pair_id>/meetings")
@staff_required()
@refused
def log_meeting(pair_id: int):
    pair_or_404(pair_id)
    form = validated(MeetingForm())
    meetings.log(
        pair_id=pair_id,
        occurred_at=meetings.noon_utc(form.occurred_on.data),
        status=form.status.data or "held",
        duration_minutes=form.duration_minutes.data,
        attendees=form.attendees.data or [],
        location=form.location.data or "",
        activities=form.activities.data or "",
        is_final_session=form.is_final_session.data,
        actor=g.actor,
    )
    flash("The meeting is logged.")
    return redirect(form.back_to() or url_for(".show", pair_id=pair_id))
