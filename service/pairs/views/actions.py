"""What a coordinator does from the pair page: transitions, acceptances, interventions,
check-ins and meetings."""

from __future__ import annotations

from flask import flash, g, redirect, request, url_for

from service.meetings import service as meetings
from service.pairs import lifecycle
from service.pairs import service as pairs
from service.pairs.facts import TransitionRequest
from service.pairs.views.common import blueprint, flash_outcome, form_date, form_text, refused
from service.problems import Problem
from service.surveys import responses, versions
from service.web.staff import pair_or_404, staff_required
from surveys.forms import answers_from, form_class
from workflows.pairing import ClosureReason, Trigger
from workflows.signals import SIGNALS


@blueprint.post("/<id:pair_id>/transition")
@staff_required()
@refused
def transition(pair_id: int):
    pair_or_404(pair_id)
    trigger = request.form.get("trigger", "")
    if trigger not in set(Trigger):
        raise Problem("validation-error", "Choose what to do with the pair.")
    mentor = request.form.get("mentor_id", "")
    closure_reason = request.form.get("closure_reason") or None
    transition_request = TransitionRequest(
        Trigger(trigger),
        reason=form_text("reason"),
        signals=tuple(code for code in request.form.getlist("signals") if code in SIGNALS),
        mentor_id=int(mentor) if mentor.isdigit() else None,
        final_session_on=form_date("final_session_on"),
        closure_reason=ClosureReason(closure_reason)
        if closure_reason in set(ClosureReason)
        else None,
        buffer_override_reason=form_text("buffer_override_reason"),
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
    role = request.form.get("role")
    if role not in ("mentor", "mentee"):
        raise Problem("validation-error", "Say whether the mentor or the mentee accepted.")
    pairs.accept_introduction(pair_id=pair_id, role=role, actor=g.actor)
    flash(f"Recorded: the {role} accepted the introduction.")
    return redirect(url_for(".show", pair_id=pair_id))


@blueprint.post("/<id:pair_id>/interventions")
@staff_required()
@refused
def record_intervention(pair_id: int):
    pair_or_404(pair_id)
    description = form_text("description")
    if not description:
        raise Problem("validation-error", "Describe the intervention.")
    signal = request.form.get("signal") or None
    approach = request.form.get("approach") or None
    pairs.record_intervention(
        pair_id=pair_id,
        description=description,
        actor=g.actor,
        approach=approach if approach in ("individual", "pair", "group", "other") else None,
        signal=signal if signal in SIGNALS else None,
        follow_up_on=form_date("follow_up_on"),
    )
    flash("The intervention is recorded.")
    return redirect(url_for(".show", pair_id=pair_id))


@blueprint.post("/<id:pair_id>/checkins")
@staff_required()
@refused
def record_checkin(pair_id: int):
    """The coordinator_checkin survey, answered by staff; it counts toward the cadence."""
    pair = pair_or_404(pair_id)
    version = versions.current_version(survey_key="coordinator_checkin", program_id=pair.program_id)
    definition = versions.definition_of(version)
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
    day = form_date("occurred_on")
    if day is None:
        raise Problem("validation-error", "Give the date of the meeting.")
    minutes = request.form.get("duration_minutes", "")
    status = request.form.get("status", "held")
    meetings.log(
        pair_id=pair_id,
        occurred_at=meetings.noon_utc(day),
        status=status,
        duration_minutes=int(minutes) if minutes.isdigit() else None,
        attendees=request.form.getlist("attendees"),
        location=request.form.get("location", ""),
        activities=request.form.get("activities", ""),
        is_final_session=request.form.get("is_final_session") == "yes",
        actor=g.actor,
    )
    flash("The meeting is logged.")
    return redirect(request.form.get("back") or url_for(".show", pair_id=pair_id))
