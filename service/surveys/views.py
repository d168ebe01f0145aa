"""The participant pages: one survey behind a signed link, no password, no JavaScript."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, make_response, redirect, render_template, request, url_for
from flask_wtf import FlaskForm

from service.pairs import agreement
from service.participants.models import Participant
from service.programs.models import Program
from service.surveys import invitations, responses
from service.web import limits
from service.web.csrf import csrf
from surveys.definition import Question, SurveyDefinition
from surveys.forms import answers_from, form_class

blueprint = Blueprint("surveys", __name__, url_prefix="/s")

PARTNER = {"mentee": "your mentor", "mentor": "your mentee", "guardian": "the mentor"}

_form_classes: dict[str, type[FlaskForm]] = {}


class ReissueForm(FlaskForm):
    """Only a CSRF token: the new link goes to the address on file, never one typed in."""


def _form_for(opened: invitations.Opened, definition: SurveyDefinition) -> FlaskForm:
    """The form of `definition`: the version's own (its class made once per process), or
    the pair's with its goals asked too."""
    if len(definition.questions) != len(opened.definition.questions):
        return form_class(definition)()  # The pair's own goals are asked: not shared.
    key = opened.definition_key
    if key not in _form_classes:
        _form_classes[key] = form_class(definition)
    return _form_classes[key]()


def seen_by(question: Question, role: str) -> str:
    if question.safety:
        return "safeguarding staff only (program admins and your coordinator)"
    if question.visibility == "pair":
        return f"program staff and {PARTNER.get(role, 'your mentoring partner')}"
    if question.visibility == "public":
        return "program staff; published only if you agree above"
    return "program staff only"


def reveal_rules(definition: SurveyDefinition) -> list[str]:
    """CSS that shows a conditional question once its controlling answer is chosen."""
    rules: list[str] = []
    for question in definition.questions:
        if question.show_if is None:
            continue
        controller = definition.question(question.show_if.question)
        values = [c.value for c in controller.options]
        selectors = [
            f"form:has(#q-{controller.key}-{values.index(value)}:checked) #question-{question.key}"
            for value in question.show_if.values
        ]
        rules.append(", ".join(selectors))
    return rules


def _anchor(question: Question) -> str:
    if question.type in ("single_choice", "multiple_choice", "yes_no", "likert", "rating"):
        return f"q-{question.key}-0"
    return f"q-{question.key}-box" if question.type == "consent" else f"q-{question.key}"


def _message(
    heading: str, *paragraphs: str, status: int = 200, program: Program | None = None, **extra
):
    page = render_template(
        "surveys/message.html", heading=heading, paragraphs=paragraphs, program=program, **extra
    )
    return page, status


INVALID_LINK = (
    "The link may have been copied incompletely, or changed. Please use the link from your "
    "e-mail exactly as it is, or ask your program coordinator for a new one."
)


def _opened(token: str, *, ratings: bool = False) -> invitations.Opened:
    try:
        return invitations.resolve(token, ratings=ratings)
    except invitations.InvalidLink:
        abort(make_response(*_message("This link is not valid", INVALID_LINK, status=400)))


def _context(opened: invitations.Opened) -> tuple[SurveyDefinition, Participant, Program]:
    return opened.definition, opened.participant, opened.program


def _already_received(program: Program):
    return _message(
        "We already have your answers",
        "Thank you! Your answers to this survey were received, and this link has done its job.",
        "If you want to add something, please contact your program coordinator.",
        program=program,
    )


@blueprint.route("/<credential:token>", methods=["GET", "POST"])
@csrf.exempt  # The form checks its own CSRF token, so a stale one is shown with the answers kept.
def show(token: str):
    # Held until the answer is stored: the submission reads the same rows from the session.
    # Answers are compared with the pair's earlier ratings: read with the invitation.
    opened = _opened(token, ratings=request.method == "POST")
    invitation = opened.invitation
    definition, participant, program = _context(opened)
    if invitation.used_at is not None:
        return _already_received(program)
    role = invitations.respondent_role(invitation, participant)
    definition = agreement.with_goal_questions(definition, invitation.pair, role)
    if invitations.is_expired(invitation):
        return _message(
            "This link has expired",
            f"Links work for a limited time, and this one ended on "
            f"{invitation.expires_at:%d %B %Y}.",
            "We can e-mail you a new link to the same survey at the address we have for you.",
            status=410,
            program=program,
            reissue_form=ReissueForm(),
            reissue_action=url_for(".reissue", token=token),
        )
    form = _form_for(opened, definition)
    status = 200
    if request.method == "POST":
        if form.validate():
            try:
                responses.submit(
                    invitation_id=invitation.id,
                    answers=answers_from(form, definition),
                    ratings=opened.ratings,
                    definition=opened.definition,
                )
            except responses.AlreadyAnswered:
                return _already_received(program)
            return redirect(url_for(".received", token=token), code=303)
        status = 422
    page = render_template(
        "surveys/form.html", form=form, program=program, **page_context(definition, role)
    )
    return page, status


def page_context(definition: SurveyDefinition, role: str) -> dict[str, Any]:
    """What the survey page shows around its questions, for a participant in `role` (the
    console's preview shows the same)."""
    return {
        "definition": definition,
        "partner": PARTNER.get(role),
        "has_safety": any(q.safety for q in definition.questions),
        "seen_by": {q.key: seen_by(q, role) for q in definition.questions},
        "labels": {q.key: q.label for q in definition.questions},
        "anchors": {q.key: _anchor(q) for q in definition.questions},
        "reveal_rules": reveal_rules(definition),
    }


@blueprint.get("/<credential:token>/received")
def received(token: str):
    opened = _opened(token)
    invitation = opened.invitation
    definition, _, program = _context(opened)
    if invitation.used_at is None:
        return redirect(url_for(".show", token=token))
    return _message("Thank you", definition.thanks, program=program)


@blueprint.post("/<credential:token>/new-link")
def reissue(token: str):
    opened = _opened(token)
    invitation = opened.invitation
    _, participant, program = _context(opened)
    if invitation.used_at is not None:
        return _already_received(program)
    if not invitations.is_expired(invitation):
        return redirect(url_for(".show", token=token))
    _, sent_now = invitations.reissue(invitation_id=invitation.id)
    where = _masked(participant.email)
    first = (
        f"We have e-mailed a new link to {where}."
        if sent_now
        else (f"We sent a new link to {where} a few minutes ago.")
    )
    return _message(
        "Check your e-mail", first, "It can take a few minutes to arrive.", program=program
    )


@limits.page_for("surveys")
def _throttled(wait: str) -> str:
    page, _ = _message(
        "Please wait a moment",
        "There were many requests from your connection in a short time, so nothing was sent "
        "this time.",
        f"Please wait {wait}, then go back and try again. Your link still works.",
    )
    return page


def _masked(email: str) -> str:
    local, _, domain = email.partition("@")
    return f"{local[:1]}{'•' * max(len(local) - 1, 2)}@{domain}"
