"""A program's surveys in the console: which version each program asks now, and adapting
one (reword, reorder, drop and add questions), previewed as the participant will see it,
then published as the program's next version."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm

from service.accounts.models import StaffRole
from service.errors import Invalid
from service.programs import service as programs
from service.surveys import adapting, versions
from service.surveys.forms import SurveyAdaptForm
from service.surveys.views import page_context
from service.web.forms import first_error
from service.web.staff import staff_required
from surveys.forms import form_class

blueprint = Blueprint("surveys_console", __name__, url_prefix="/console/programs")


@blueprint.get("/<id:program_id>/surveys")
@staff_required(StaffRole.ADMIN, StaffRole.COORDINATOR)
def index(program_id: int) -> ResponseReturnValue:
    program = programs.get(program_id=program_id)
    surveys = []
    for key in versions.standard_keys():
        version = versions.current_version(survey_key=key, program_id=program.id)
        surveys.append((key, versions.definition_of(version), version))
    return render_template("console/surveys.html", program=program, surveys=surveys)


@blueprint.route("/<id:program_id>/surveys/<key>", methods=["GET", "POST"])
@staff_required(StaffRole.ADMIN, StaffRole.COORDINATOR)
def adapt(program_id: int, key: str) -> ResponseReturnValue:
    program = programs.get(program_id=program_id)
    if key not in versions.standard_keys():
        flash(f"There is no survey called {key}.", "error")
        return redirect(url_for(".index", program_id=program.id))
    number, data = adapting.current(program_id=program.id, survey_key=key)
    form = SurveyAdaptForm()
    if not form.is_submitted():
        form = SurveyAdaptForm(data=_form_data(data))
        return _editor(program, key, number, form)
    if not form.validate():
        return _editor(program, key, number, form, first_error(form)), 422
    if form.revise.data:  # back from the preview, with the changes kept
        return _editor(program, key, number, form)
    changed = adapting.adapted(
        data,
        title=form.title.data or "",
        intro=form.intro.data or "",
        questions=form.reworded(),
        added=form.added(),
    )
    try:
        definition = adapting.checked(program_id=program.id, survey_key=key, data=changed)
        if form.publish.data:
            published = versions.publish_version(
                program_id=program.id, survey_key=key, data=changed, actor=g.actor
            )
            flash(
                f"Published version {published.version} of “{definition.title}”: links sent "
                "from now on show it; answers already given keep the version they answered."
            )
            return redirect(url_for(".index", program_id=program.id))
    except Invalid as refusal:
        return _editor(program, key, number, form, _said(refusal)), 422
    role = definition.audience[0]
    return render_template(
        "console/survey_preview.html",
        program=program,
        key=key,
        form=form_class(definition)(),
        editor=form,
        preview=True,
        **page_context(definition, role),
    )


def _form_data(data: dict) -> dict:
    return {
        "title": data.get("title", ""),
        "intro": (data.get("intro") or "").strip(),
        "questions": [
            {"key": q["key"], "wording": q["label"], "position": index + 1}
            for index, q in enumerate(data.get("questions", []))
        ],
        "new_type": "short_text",
    }


def _said(refusal: Invalid) -> str:
    """The refusal in words, naming the question it is about."""
    (error, *_) = refusal.extensions.get("errors") or [{"field": "", "message": refusal.detail}]
    field, message = error["field"], error["message"]
    if field.startswith("questions."):
        return f"Question “{field.removeprefix('questions.')}”: {message}."
    return f"{message[:1].upper()}{message[1:]}."


def _editor(program, key: str, number: int, form: FlaskForm, error: str | None = None):
    return render_template(
        "console/survey_adapt.html",
        program=program,
        key=key,
        number=number,
        form=form,
        error=error,
        types=adapting.NEW_QUESTION_TYPES,
    )
