"""Program settings in the console: the calendar, approvals, meetings, reminders, surveys."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from service.database import db
from service.programs import bounds, service
from service.programs.forms import (
    EXPLAINED,
    KIND_LABELS,
    ProgramForm,
    new_program_defaults,
    profile_of,
    settings_of,
    shown_default,
)
from service.programs.models import Program
from service.surveys import versions
from service.web.forms import first_error
from service.web.refusals import REFUSALS, status_of
from service.web.staff import staff_required
from surveys import loader
from workflows.cadence import POLICIES
from workflows.matching import CRITERIA, EXCLUSIONS
from workflows.pairing import Trigger
from workflows.playbook import APPROACHES
from workflows.signals import SIGNALS

blueprint = Blueprint("programs_console", __name__, url_prefix="/console/programs")


@blueprint.get("")
@staff_required("admin", "coordinator")
def index():
    programs = db.session.scalars(sa.select(Program).order_by(Program.name)).all()
    return render_template("console/programs.html", programs=programs)


@blueprint.route("/new", methods=["GET", "POST"])
@staff_required("admin", "coordinator")
def new():
    if request.method == "GET":
        return _settings_page(None, ProgramForm(data=new_program_defaults()))
    form = ProgramForm()
    if not form.validate():
        flash(first_error(form), "error")
        return _settings_page(None, form), 422
    settings = {**form.changes(), **form.profile(creating=True)}
    try:
        service.ensure_may_loosen_approvals(g.actor, None, settings)
        program = service.create(**settings)
    except REFUSALS as refusal:
        flash(refusal.detail, "error")
        return _settings_page(None, form), status_of(refusal)
    flash(f"{program.name} is created. Add its people and pairs next.")
    return redirect(url_for(".settings", program_id=program.id))


@blueprint.route("/<id:program_id>", methods=["GET", "POST"])
@staff_required("admin", "coordinator")
def settings(program_id: int):
    program = service.get(program_id=program_id)
    if request.method == "GET":
        data = {**settings_of(program), **profile_of(program)}
        return _settings_page(program, ProgramForm(data=data, editing=True))
    # What was posted stays on the page when it is refused: nothing typed is lost.
    form = ProgramForm(editing=True)
    if not form.validate():
        flash(first_error(form), "error")
        return _settings_page(program, form), 422
    changes = {**form.changes(), **form.profile(creating=False)}
    try:
        service.ensure_may_loosen_approvals(g.actor, program, changes)
        service.update(program_id=program.id, **changes)
    except REFUSALS as refusal:
        flash(refusal.detail, "error")
        return _settings_page(program, form), status_of(refusal)
    flash("The settings are saved; every pair's calendar follows them from now on.")
    return redirect(url_for(".settings", program_id=program.id))


def _settings_page(program: Program | None, form: ProgramForm) -> str:
    by_survey = (
        {
            key: versions.versions(survey_key=key, program_id=program.id)
            for key in sorted(loader.standard())
        }
        if program is not None
        else {}
    )
    db.session.commit()
    return render_template(
        "console/program_settings.html",
        program=program,
        form=form,
        explained=EXPLAINED,
        shown_default=shown_default,
        kinds=KIND_LABELS,
        policies=POLICIES,
        triggers=list(Trigger),
        numbers=bounds.NUMBERS,
        optional_numbers=bounds.OPTIONAL_NUMBERS,
        signals=SIGNALS,
        approaches=APPROACHES,
        playbook_max=bounds.PLAYBOOK_TEXT_MAX,
        versions=by_survey,
        criteria=CRITERIA,
        exclusions=EXCLUSIONS,
        matching_modes={
            "off": "Off",
            "prefer": "Preferred: adds its weight",
            "require": "Required: never propose a mentor who fails it",
        },
        matching_weight=bounds.MATCHING_WEIGHT,
        choice_mentors=bounds.MENTEE_CHOICE_MENTORS,
        outcome_months=bounds.OUTCOME_MONTHS,
    )
