"""Intake in the console: the coordinator's queue of applications, and one applicant's
screening (what was recorded, what approval still needs, the decision and its history)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from marshmallow import ValidationError

from service import exports
from service.accounts.models import StaffRole
from service.clock import now
from service.database import db, rollback
from service.intake import service as intake
from service.participants import bounds
from service.participants import service as participants
from service.participants.models import Participant, Role
from service.participants.schemas import ScreeningSchema
from service.programs.models import Program
from service.web.refusals import REFUSALS, status_of
from service.web.staff import staff_required
from workflows.intake import CheckResult, IntakeTrigger

blueprint = Blueprint("intake_console", __name__, url_prefix="/console/applications")

QUEUE_LIMIT = 500
# The decision buttons, in the coordinator's words.
DECISIONS = {
    IntakeTrigger.START_SCREENING: "Start screening",
    IntakeTrigger.APPROVE: "Approve",
    IntakeTrigger.DECLINE: "Decline",
    IntakeTrigger.WITHDRAW: "Record a withdrawal",
}


def _programs() -> list[Program]:
    return list(db.session.scalars(sa.select(Program).order_by(Program.name)))


def _queue_filters() -> dict[str, Any]:
    """The queue's filters from the query string; an unknown value shows everything."""
    program_id = request.args.get("program_id", "")
    role = request.args.get("role", "")
    filters: dict[str, Any] = {}
    if program_id.isdigit():
        filters["program_id"] = int(program_id)
    if role in intake.APPLICANT_ROLES:
        filters["role"] = role
    return filters


def _applicants(filters: dict[str, Any]) -> list[Participant]:
    return list(db.session.scalars(intake.queue_query(**filters).limit(QUEUE_LIMIT)))


@blueprint.get("")
@staff_required()
def queue() -> ResponseReturnValue:
    filters = _queue_filters()
    applicants = _applicants(filters)
    programs = _programs()
    return render_template(
        "console/applications.html",
        applicants=applicants,
        screenings=intake.screenings_of(a.id for a in applicants),
        programs=programs,
        program_names={p.id: p.name for p in programs},
        roles=intake.APPLICANT_ROLES,
        program_id=filters.get("program_id"),
        role=filters.get("role"),
        shown=filters,
        applied_on=intake.applied_on,
        limit=QUEUE_LIMIT,
    )


@blueprint.get("/export.<any(csv, xlsx):fmt>")
@staff_required()
def export(fmt: str) -> ResponseReturnValue:
    """The applications the queue shows with these filters (the oldest 500 at most)."""
    applicants = _applicants(_queue_filters())
    rows = intake.queue_rows(
        applicants,
        intake.screenings_of(a.id for a in applicants),
        {p.id: p.name for p in _programs()},
    )
    return exports.download(fmt, f"applications-{now():%Y-%m-%d}", intake.QUEUE_HEADER, rows)


def _page(participant: Participant, errors: dict[str, list[str]] | None = None, **extra: Any):
    screening = intake.screening_of(participant.id)
    return render_template(
        "console/screening.html",
        participant=participant,
        screening=screening,
        unmet=intake.unmet(participant),
        decisions={t: DECISIONS[t] for t in intake.allowed(participant)},
        history=intake.history(participant_id=participant.id),
        results=list(CheckResult),
        errors=errors or {},
        may_decide=current_user.role in (StaffRole.ADMIN, StaffRole.COORDINATOR),
        shows_check=participant.role == Role.MENTOR,
        shows_consent=participant.role == Role.MENTEE and participant.program.youth,
        bounds=bounds,
        **extra,
    )


@blueprint.get("/<id:participant_id>")
@staff_required()
def screening(participant_id: int) -> ResponseReturnValue:
    return _page(participants.get(participant_id=participant_id))


_TEXT_FIELDS = ("application", "interview_notes", "references_notes", "guardian_consent_by")


@blueprint.post("/<id:participant_id>/screening")
@staff_required(StaffRole.ADMIN, StaffRole.COORDINATOR)
def record(participant_id: int) -> ResponseReturnValue:
    participant = participants.get(participant_id=participant_id)
    sent = {
        name: request.form.get(name, "").strip()
        for name in intake.SCREENING_FIELDS
        if name in request.form
    }
    # An empty date or result clears it; empty notes are empty notes.
    data = {k: (v if v or k in _TEXT_FIELDS else None) for k, v in sent.items()}
    try:
        changes = ScreeningSchema(partial=True).load(data)
    except ValidationError as error:
        found = error.messages if isinstance(error.messages, dict) else {}
        messages = {str(k): [str(v[0] if isinstance(v, list) else v)] for k, v in found.items()}
        return _page(participant, messages), 422
    try:
        intake.record(participant_id=participant.id, **changes)
    except REFUSALS as refusal:
        rollback()
        field = (refusal.extensions.get("errors") or [{}])[0].get("field", "screening")
        return _page(participant, {field: [refusal.detail]}), status_of(refusal)
    flash("The screening record is saved.")
    return redirect(url_for(".screening", participant_id=participant.id))


@blueprint.post("/<id:participant_id>/decide")
@staff_required(StaffRole.ADMIN, StaffRole.COORDINATOR)
def decide(participant_id: int) -> ResponseReturnValue:
    participant = participants.get(participant_id=participant_id)
    trigger = request.form.get("trigger", "")
    reason = request.form.get("reason", "").strip() or None
    try:
        intake.transition(
            participant_id=participant.id, trigger=trigger, actor=g.actor, reason=reason
        )
    except REFUSALS as refusal:
        rollback()
        participant = participants.get(participant_id=participant_id)
        return _page(participant, {"decision": [refusal.detail]}, reason=reason), status_of(refusal)
    state = participants.get(participant_id=participant.id).intake_state
    flash(f"{participant.full_name}: {state.replace('_', ' ')}.")
    return redirect(url_for(".screening", participant_id=participant.id))
