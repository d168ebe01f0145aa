"""The pair page of the console, and what a coordinator does from it.

Views are thin: they read the form, call the same service functions the API calls, and
redirect back with what happened (a refusal is shown as the service worded it).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from functools import wraps
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from service.accounts import service as accounts
from service.accounts.models import StaffRole, User
from service.approvals import service as approvals
from service.approvals.models import Proposal, ProposalStatus
from service.calendar import service as calendar
from service.closure import service as closure
from service.closure.models import ContactPolicy
from service.confidentiality import may_read_safety
from service.console.queries import last_flag_record, names
from service.database import db, transaction
from service.meetings import service as meetings
from service.notes.models import Confidentiality, Note
from service.notifications import service as notifications
from service.pairs import lifecycle, matching, staffing
from service.pairs import service as pairs
from service.pairs.facts import DatabaseFacts, TransitionRequest
from service.pairs.timeline import timeline
from service.participants.models import Participant
from service.problems import Problem, html_error
from service.programs.models import Program
from service.signals.models import Signal
from service.surveys import service as surveys
from service.surveys.models import SurveyResponse
from service.training import service as training
from service.web.staff import assigned_support, log_safety_read, pair_or_404, staff_required
from surveys.forms import form_class
from workflows import pairing
from workflows.pairing import ClosureReason, State, Trigger
from workflows.playbook import approach_for
from workflows.signals import SIGNALS, is_safety

blueprint = Blueprint("pairs_console", __name__, url_prefix="/console/pairs")

REASSURANCE = (
    "We are changing your mentoring match. This happens from time to time and it is not "
    "anyone's fault: sometimes two people simply do not click, and that is fine. Thank you for "
    "what you have put in so far. Your coordinator will be in touch about what comes next."
)


def _refused(view: Callable) -> Callable:
    """Show a refusal from a service on the pair page, instead of an error page."""

    @wraps(view)
    def wrapper(pair_id: int, *args: Any, **kwargs: Any) -> Any:
        try:
            return view(pair_id, *args, **kwargs)
        except Problem as problem:
            flash(problem.detail, "error")
            return redirect(url_for(".show", pair_id=pair_id))

    return wrapper


def _date(field: str) -> date | None:
    value = request.form.get(field, "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Problem(
            "validation-error", f"{field.replace('_', ' ')}: use a date like 2026-12-01."
        ) from None


def _text(field: str) -> str | None:
    value = request.form.get(field, "").strip()
    return value or None


def _people(pair) -> dict[str, Participant | None]:
    return {
        "mentee": db.session.get(Participant, pair.mentee_id),
        "mentor": db.session.get(Participant, pair.mentor_id) if pair.mentor_id else None,
        "guardians": db.session.scalars(
            sa.select(Participant).where(Participant.guardian_of_id == pair.mentee_id)
        ).all(),
    }


def _full_name(user_id: int | None) -> str | None:
    user = db.session.get(User, user_id) if user_id is not None else None
    return user.full_name if user is not None else None


def _signals_with_playbook(pair, program: Program, readable: bool) -> list[dict]:
    """The pair's signals since it last became at risk (or its latest), each with the
    program's recommended approach (seed 000 Table 8)."""
    rows = db.session.scalars(
        sa.select(Signal)
        .where(Signal.pair_id == pair.id)
        .order_by(Signal.raised_at.desc())
        .limit(20)
    ).all()
    # Signals named when the pair was flagged (by a coordinator or the API) come first.
    flagged = last_flag_record(pair)
    raised = (
        [(code, flagged.created_at, flagged.actor.label) for code in flagged.signals]
        if (flagged and pair.state == State.AT_RISK)
        else []
    )
    raised += [(s.code, s.raised_at, s.source) for s in rows]
    seen: dict[str, dict] = {}
    for code, raised_at, source in raised:
        code = code if readable or not is_safety(code) else "safety_concern"
        if code in SIGNALS and code not in seen:
            seen[code] = {
                "code": code,
                "label": SIGNALS[code].label,
                "raised_at": raised_at,
                "source": source,
                "approach": approach_for(code, program.playbook),
            }
    return list(seen.values())


@blueprint.get("/<id:pair_id>")
@staff_required()
def show(pair_id: int):
    pair = pair_or_404(pair_id)
    program = db.session.get(Program, pair.program_id)
    readable = may_read_safety(g.actor, pair)
    people = _people(pair)
    facts = DatabaseFacts(pair, program, TransitionRequest(Trigger.ACTIVATE), g.actor)
    allowed = [
        t
        for t in pairing.allowed_triggers(pair.state)
        if t != Trigger.REOPEN or current_user.role == StaffRole.ADMIN
    ]
    notes = db.session.scalars(
        sa.select(Note).where(Note.pair_id == pair.id).order_by(Note.created_at.desc())
    ).all()
    visible_notes = [
        n
        for n in notes
        if n.confidentiality != Confidentiality.COORDINATORS
        or current_user.role != StaffRole.SUPPORT
    ]
    checkin_version = surveys.current_version(
        survey_key="coordinator_checkin", program_id=program.id
    )
    checkin = surveys.definition_of(checkin_version)
    support = assigned_support(pair)
    proposals = db.session.scalars(
        sa.select(Proposal).where(
            Proposal.pair_id == pair.id, Proposal.status == ProposalStatus.PENDING
        )
    ).all()
    return render_template(
        "console/pair.html",
        pair=pair,
        program=program,
        people=people,
        title=names([pair])[pair.id],
        allowed=allowed,
        facts=facts,
        timeline=timeline(pair, show_safety_kinds=readable),
        signals=_signals_with_playbook(pair, program, readable),
        all_signals=[s for s in SIGNALS.values() if s.flags_risk],
        upcoming=calendar.upcoming(pair_id=pair.id),
        contacts=calendar.contacts_for(pair_id=pair.id)[-10:],
        compliance=calendar.compliance_for(pair_id=pair.id)[:6],
        meetings=meetings.list_for(pair_id=pair.id),
        responses=surveys.responses_for_pair(pair_id=pair.id),
        notes=visible_notes,
        readable=readable,
        proposals=proposals,
        own_proposals=approvals.approved_by_others(proposals, g.actor),
        checkin=checkin,
        checkin_form=form_class(checkin)(prefix="checkin", meta={"csrf": False}),
        closure_steps=closure.steps(pair) if pair.state in (State.CLOSING, State.CLOSED) else [],
        candidates=matching.rank_mentors(people["mentee"], program_id=program.id)
        if pair.state == State.RECRUITED
        else [],
        coordinators=accounts.coordinators(),
        support_staff=db.session.scalars(
            sa.select(User).where(User.role == StaffRole.SUPPORT, User.active.is_(True))
        ).all(),
        assigned_support=support,
        may_change_staff=staffing.may_change_staff(g.actor, pair),
        coordinator_name=_full_name(pair.coordinator_id),
        support_names=sorted(_full_name(u) for u in support),
        confidentiality=list(Confidentiality),
        closure_reasons=[ClosureReason.WITHDRAWN, ClosureReason.ENDED_EARLY, ClosureReason.SAFETY],
        required_training=program.required_training,
        missing={
            "mentor": facts.mentor_missing_training if pair.mentor_id else (),
            "mentee": facts.mentee_missing_training,
        },
    )


def _outcome(outcome: lifecycle.Outcome) -> None:
    if outcome.applied:
        flash(f"Done: the pair is now {outcome.pair.state.replace('_', ' ')}.")
    else:
        flash(f"Filed for a coordinator's approval: {outcome.proposal.trigger.replace('_', ' ')}.")


@blueprint.post("/<id:pair_id>/transition")
@staff_required()
@_refused
def transition(pair_id: int):
    pair_or_404(pair_id)
    trigger = request.form.get("trigger", "")
    if trigger not in set(Trigger):
        raise Problem("validation-error", "Choose what to do with the pair.")
    mentor = request.form.get("mentor_id", "")
    closure_reason = request.form.get("closure_reason") or None
    transition_request = TransitionRequest(
        Trigger(trigger),
        reason=_text("reason"),
        signals=tuple(code for code in request.form.getlist("signals") if code in SIGNALS),
        mentor_id=int(mentor) if mentor.isdigit() else None,
        final_session_on=_date("final_session_on"),
        closure_reason=ClosureReason(closure_reason)
        if closure_reason in set(ClosureReason)
        else None,
        buffer_override_reason=_text("buffer_override_reason"),
    )
    _outcome(
        lifecycle.request_transition(pair_id=pair_id, request=transition_request, actor=g.actor)
    )
    return redirect(url_for(".show", pair_id=pair_id))


@blueprint.post("/<id:pair_id>/acceptances")
@staff_required()
@_refused
def accept(pair_id: int):
    pair_or_404(pair_id)
    role = request.form.get("role")
    if role not in ("mentor", "mentee"):
        raise Problem("validation-error", "Say whether the mentor or the mentee accepted.")
    pairs.accept_introduction(pair_id=pair_id, role=role, actor=g.actor)
    flash(f"Recorded: the {role} accepted the introduction.")
    return redirect(url_for(".show", pair_id=pair_id))


@blueprint.post("/<id:pair_id>/training")
@staff_required()
@_refused
def record_training(pair_id: int):
    pair = pair_or_404(pair_id)
    person = request.form.get("participant_id", "")
    if not person.isdigit() or int(person) not in (pair.mentor_id, pair.mentee_id):
        raise Problem("validation-error", "Choose the mentor or the mentee of this pair.")
    session = request.form.get("session", "")
    briefing = session == "rematch_briefing"
    training.record(
        participant_id=int(person),
        session=session,
        completed_on=_date("completed_on") or date.today(),
        pair_id=pair.id if briefing else None,
    )
    if briefing:
        with transaction():
            calendar.reschedule(pairs.get(pair_id=pair.id))
    flash(f"Recorded: {session.replace('_', ' ')}.")
    return redirect(url_for(".show", pair_id=pair_id))


@blueprint.post("/<id:pair_id>/interventions")
@staff_required()
@_refused
def record_intervention(pair_id: int):
    pair_or_404(pair_id)
    description = _text("description")
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
        follow_up_on=_date("follow_up_on"),
    )
    flash("The intervention is recorded.")
    return redirect(url_for(".show", pair_id=pair_id))


@blueprint.post("/<id:pair_id>/notes")
@staff_required()
@_refused
def add_note(pair_id: int):
    pair_or_404(pair_id)
    body = _text("body")
    level = request.form.get("confidentiality", Confidentiality.TEAM)
    if not body:
        raise Problem("validation-error", "Write the note.")
    if level not in set(Confidentiality):
        raise Problem("validation-error", "Choose who may read the note.")
    with transaction():
        db.session.add(Note(pair_id=pair_id, body=body, confidentiality=level, author=g.actor.ref))
    flash("The note is saved.")
    return redirect(url_for(".show", pair_id=pair_id) + "#notes")


@blueprint.get("/<id:pair_id>/notes/<id:note_id>")
@staff_required()
def read_note(pair_id: int, note_id: int):
    """A safety note opens on its own page, and the reading is logged."""
    pair = pair_or_404(pair_id)
    note = db.session.get(Note, note_id)
    if note is None or note.pair_id != pair.id:
        return html_error(404, "Not found", "No such note.")
    if note.confidentiality == Confidentiality.SAFETY:
        if not may_read_safety(g.actor, pair):
            return html_error(
                403,
                "A safety note",
                "Safety notes are read by admins and the pair's coordinator only.",
            )
        log_safety_read(current_user, pair, f"note:{note.id}")
        db.session.commit()
    elif (
        note.confidentiality == Confidentiality.COORDINATORS
        and current_user.role == StaffRole.SUPPORT
    ):
        return html_error(403, "For coordinators", "This note is for coordinators and admins.")
    return render_template("console/note.html", pair=pair, note=note)


@blueprint.get("/<id:pair_id>/responses/<id:response_id>")
@staff_required()
def read_response(pair_id: int, response_id: int):
    """Answers as asked in their version. Safety answers show only to those who may read
    them, and showing them is logged."""
    pair = pair_or_404(pair_id)
    response = db.session.get(SurveyResponse, response_id)
    if response is None or response.pair_id != pair.id:
        return html_error(404, "Not found", "No such response.")
    answers = surveys.readable_answers(response)
    readable = may_read_safety(g.actor, pair)
    if readable and any(a.safety for a in answers):
        log_safety_read(current_user, pair, f"response:{response.id}")
        db.session.commit()
    return render_template(
        "console/response.html", pair=pair, response=response, answers=answers, readable=readable
    )


@blueprint.post("/<id:pair_id>/checkins")
@staff_required()
@_refused
def record_checkin(pair_id: int):
    """The coordinator_checkin survey, answered by staff; it counts toward the cadence."""
    pair = pair_or_404(pair_id)
    version = surveys.current_version(survey_key="coordinator_checkin", program_id=pair.program_id)
    definition = surveys.definition_of(version)
    # CSRFProtect has checked this POST already; the survey form itself has no token.
    form = form_class(definition)(prefix="checkin", meta={"csrf": False})
    if not form.validate():
        first = next(iter(form.errors.items()))
        label = definition.question(first[0]).label if definition.has_question(first[0]) else ""
        raise Problem("validation-error", f"Check-in not saved. {label}: {first[1][0]}")
    from surveys.forms import answers_from

    surveys.record_staff_checkin(
        pair_id=pair_id, answers=answers_from(form, definition), actor=g.actor
    )
    flash("The check-in is recorded.")
    return redirect(url_for(".show", pair_id=pair_id))


@blueprint.post("/<id:pair_id>/meetings")
@staff_required()
@_refused
def log_meeting(pair_id: int):
    pair_or_404(pair_id)
    day = _date("occurred_on")
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


@blueprint.post("/<id:pair_id>/staff")
@staff_required(StaffRole.ADMIN, StaffRole.COORDINATOR)
@_refused
def assign_staff(pair_id: int):
    """Hand the pair over, or change its support staff (admins, or its own coordinator)."""
    pair = pair_or_404(pair_id)
    refusal = staffing.staff_change_refusal(g.actor, pair)
    if refusal is not None:
        return html_error(403, "Not yours to hand over", refusal)
    coordinator = request.form.get("coordinator_id", "")
    try:
        pairs.update(
            pair_id=pair.id,
            actor=g.actor,
            coordinator_id=int(coordinator) if coordinator.isdigit() else None,
            support_ids={int(u) for u in request.form.getlist("support") if u.isdigit()},
        )
    except Problem as problem:
        if problem.type.status != 403:
            raise
        # The pair changed hands since the page was read.
        return html_error(403, "Not yours to hand over", problem.detail)
    flash("Staff assignment saved.")
    return redirect(url_for(".show", pair_id=pair_id))


# -- re-match -------------------------------------------------------------------------------


@blueprint.route("/<id:pair_id>/rematch", methods=["GET", "POST"])
@staff_required()
@_refused
def rematch(pair_id: int):
    """Seed 000 §11.6: reassure both, choose a new mentor, confirm; the successor appears."""
    pair = pair_or_404(pair_id)
    if pair.state != State.AT_RISK:
        raise Problem("conflict", "Only a pair at risk can be re-matched.")
    program = db.session.get(Program, pair.program_id)
    people = _people(pair)
    facts = DatabaseFacts(pair, program, TransitionRequest(Trigger.REMATCH), g.actor)
    if request.method == "POST":
        mentor = request.form.get("mentor_id", "")
        if not mentor.isdigit():
            raise Problem("validation-error", "Choose the new mentor.")
        outcome = lifecycle.request_transition(
            pair_id=pair.id,
            actor=g.actor,
            request=TransitionRequest(
                Trigger.REMATCH,
                mentor_id=int(mentor),
                reason=_text("reason"),
                buffer_override_reason=_text("buffer_override_reason"),
            ),
        )
        if request.form.get("reassure") == "yes":
            _reassure(pair, program, people, _text("message") or REASSURANCE)
        if outcome.applied:
            flash(
                f"Re-matched: pair #{pair.id} continues as pair "
                f"#{outcome.pair.successor_id} with the new mentor."
            )
            return redirect(url_for(".show", pair_id=outcome.pair.successor_id))
        _outcome(outcome)
        return redirect(url_for(".show", pair_id=pair.id))
    last = facts.last_interaction_on
    buffer_ends = last + timedelta(days=program.rematch_buffer_days) if last else None
    return render_template(
        "console/rematch.html",
        pair=pair,
        program=program,
        people=people,
        title=names([pair])[pair.id],
        candidates=matching.rank_mentors(people["mentee"], program_id=program.id),
        reassurance=REASSURANCE,
        buffer_ends=buffer_ends,
        within_buffer=buffer_ends is not None and buffer_ends > calendar.cadence_today(program),
    )


def _reassure(pair, program: Program, people: dict, message: str) -> None:
    with transaction():
        for person in (people["mentee"], people["mentor"]):
            if person is not None:
                notifications.email_participant(
                    person,
                    program,
                    template="rematch_reassurance",
                    pair_id=pair.id,
                    message=message,
                )


# -- closure ------------------------------------------------------------------------------


@blueprint.route("/<id:pair_id>/closure", methods=["GET", "POST"])
@staff_required()
@_refused
def closure_page(pair_id: int):
    """The closure procedure, anticipated or not, step by step."""
    pair = pair_or_404(pair_id)
    if request.method == "POST":
        step = request.form.get("step")
        if step == "begin":
            closure.save(pair_id=pair.id, kind=request.form.get("kind") or "anticipated")
            kind = request.form.get("closure_reason")
            _outcome(
                lifecycle.request_transition(
                    pair_id=pair.id,
                    actor=g.actor,
                    request=TransitionRequest(
                        Trigger.BEGIN_CLOSURE,
                        final_session_on=_date("final_session_on"),
                        reason=_text("reason"),
                        closure_reason=ClosureReason(kind)
                        if kind in ("completed", "ended_early")
                        else None,
                    ),
                )
            )
        elif step == "plan":
            closure.save(
                pair_id=pair.id,
                celebration_plan=_text("celebration_plan") or "",
                celebration_on=_date("celebration_on"),
            )
            flash("The celebratory final session is planned.")
        elif step == "policy":
            closure.save(
                pair_id=pair.id,
                contact_policy=request.form.get("contact_policy"),
                contact_policy_notes=_text("contact_policy_notes"),
            )
            flash("The contact policy is recorded.")
        elif step == "reflections":
            sent = closure.send_reflections(pair_id=pair.id, actor=g.actor)
            flash(f"Reflection survey sent to {sent} participant(s).")
        elif step == "close":
            _outcome(
                lifecycle.request_transition(
                    pair_id=pair.id,
                    actor=g.actor,
                    request=TransitionRequest(Trigger.CLOSE),
                )
            )
        else:
            raise Problem("validation-error", "Unknown closure step.")
        return redirect(url_for(".closure_page", pair_id=pair.id))
    program = db.session.get(Program, pair.program_id)
    return render_template(
        "console/closure.html",
        pair=pair,
        program=program,
        title=names([pair])[pair.id],
        steps=closure.steps(pair),
        record=closure.record_for(pair.id),
        policies=list(ContactPolicy),
        people=_people(pair),
        today=calendar.cadence_today(program),
    )
