"""Participants in the console: the list (search, filters, order, keyset pages), a profile
with every pair the member of staff may open, and adding and editing a participant."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from service import exports
from service.accounts.models import StaffRole
from service.clock import now
from service.database import db
from service.errors import Conflict, Invalid
from service.matching import suggestions as matching
from service.pagination import every_page
from service.participants import bounds, service
from service.participants.forms import ParticipantFilterForm, ParticipantForm, details_of
from service.participants.models import Participant, Role
from service.programs.models import Program
from service.training import service as training
from service.web.forms import all_digits, first_error
from service.web.refusals import REFUSALS, status_of
from service.web.staff import staff_required, visible_pairs

blueprint = Blueprint("participants_console", __name__, url_prefix="/console/participants")

PER_PAGE = 50


@blueprint.get("")
@staff_required()
def index() -> ResponseReturnValue:
    form = ParticipantFilterForm(formdata=request.args)
    if not form.validate():
        return _list_page(form, None, first_error(form)), 422
    found = service.page(
        sort=form.sort.data or "name",
        after=form.after.data,
        per_page=PER_PAGE,
        **form.filters(),
    )
    return _list_page(form, found)


EXPORT_HEADER = (
    "Id",
    "Name",
    "E-mail",
    "Phone",
    "Role",
    "Program",
    "Status",
    "Waiting since",
    "Days waiting",
    "Languages",
    "Goals",
    "Skills",
    "Availability",
    "Places",
)


@blueprint.get("/export.<any(csv, xlsx):fmt>")
@staff_required()
def export(fmt: str) -> ResponseReturnValue:
    """Every participant the list shows with these filters, in its order: not only a page."""
    form = ParticipantFilterForm(formdata=request.args)
    if not form.validate():
        return _list_page(form, None, first_error(form)), 422
    program_names = {p.id: p.name for p in _programs()}

    def rows():
        for found in every_page(
            lambda after: service.page(
                sort=form.sort.data or "name", after=after, per_page=500, **form.filters()
            )
        ):
            for person in found.items:
                yield (
                    person.id,
                    person.full_name,
                    person.email,
                    person.phone or "",
                    person.role,
                    program_names.get(person.program_id, ""),
                    "active" if person.active else "inactive",
                    person.waiting_since,
                    service.waiting_days(person),
                    person.languages or [person.language],
                    person.goals,
                    person.skills,
                    person.availability,
                    person.capacity if person.role == Role.MENTOR else None,
                )

    return exports.download(fmt, f"participants-{now():%Y-%m-%d}", EXPORT_HEADER, rows())


def _list_page(form: ParticipantFilterForm, found: service.Page | None, error: str | None = None):
    rows = found.items if found else []
    current = service.current_pairs([p.id for p in rows], visible_pairs(current_user))
    people = {i for pairs in current.values() for p in pairs for i in (p.mentee_id, p.mentor_id)}
    programs = _programs()
    args: dict[str, Any] = {k: v for k, v in request.args.items() if k != "after"}
    next_url = None
    if found and found.next_after:
        next_url = url_for(".index", **args, after=found.next_after)
    return render_template(
        "console/participants.html",
        form=form,
        error=error,
        participants=rows,
        current=current,
        names=service.names(p for p in people if p),
        waiting_days=service.waiting_days,
        programs=programs,
        program_names={p.id: p.name for p in programs},
        roles=bounds.ROLES,
        sorts={"name": "Name", "waiting": "Waiting time, longest first"},
        next_url=next_url,
        first_page_url=url_for(".index", **args),
        export_args=args,
        paged=bool(form.after.data),
    )


def _programs() -> list[Program]:
    return list(db.session.scalars(sa.select(Program).order_by(Program.name)))


@blueprint.get("/<id:participant_id>")
@staff_required()
def show(participant_id: int) -> ResponseReturnValue:
    participant = service.get(participant_id=participant_id)
    pairs = service.pairs_of([participant.id], visible_pairs(current_user))
    linked: list[Participant] = []
    if participant.role == Role.MENTEE:
        linked = service.guardians_of(participant.id)
    elif participant.guardian_of_id:
        linked = [service.get(participant_id=participant.guardian_of_id)]
    others = {p.mentor_id if p.mentee_id == participant.id else p.mentee_id for p in pairs}
    return render_template(
        "console/participant.html",
        participant=participant,
        waiting_days=service.waiting_days(participant),
        pairs=pairs,
        names=service.names(o for o in others if o),
        linked=linked,
        training=training.records_for([participant.id])[participant.id],
        suggestions=matching.rank(mentee_id=participant.id, limit=5)
        if participant.role == Role.MENTEE
        and participant.active
        and not _matched(pairs, participant)
        else None,
        waiting_pair=next(
            (p.id for p in pairs if p.state == "recruited" and p.mentor_id is None), None
        ),
        may_edit=current_user.role in (StaffRole.ADMIN, StaffRole.COORDINATOR),
    )


def _matched(pairs: list, mentee: Participant) -> bool:
    """In an open pair that has a mentor: suggestions would only distract."""
    return any(p.mentee_id == mentee.id and p.mentor_id is not None and p.is_open for p in pairs)


@blueprint.route("/new", methods=["GET", "POST"])
@staff_required(StaffRole.ADMIN, StaffRole.COORDINATOR)
def new() -> ResponseReturnValue:
    if request.method == "GET":
        data: dict[str, Any] = {"active": True, "language": "en", "capacity": 1}
        for name, arg in (("program_id", "program"), ("guardian_of_id", "guardian_of")):
            if all_digits(value := request.args.get(arg, "")):
                data[name] = int(value)
        if request.args.get("role") in bounds.ROLES:
            data["role"] = request.args["role"]
        return _form_page(ParticipantForm(data=data), None)
    form = ParticipantForm()
    if not form.validate():
        return _form_page(form, None), 422
    try:
        participant = service.create(**form.details(creating=True))
    except REFUSALS as refusal:
        return _form_page(form, None, _on_form(form, refusal)), status_of(refusal)
    flash(f"{participant.full_name} is added.")
    return redirect(url_for(".show", participant_id=participant.id))


@blueprint.route("/<id:participant_id>/edit", methods=["GET", "POST"])
@staff_required(StaffRole.ADMIN, StaffRole.COORDINATOR)
def edit(participant_id: int) -> ResponseReturnValue:
    participant = service.get(participant_id=participant_id)
    if request.method == "GET":
        return _form_page(ParticipantForm(data=details_of(participant)), participant)
    form = ParticipantForm()
    # The program and the role stay as they are: the API does not change them either.
    form.program_id.data, form.role.data = participant.program_id, participant.role
    if not form.validate():
        return _form_page(form, participant), 422
    try:
        service.update(participant_id=participant.id, **form.details(creating=False))
    except REFUSALS as refusal:
        db.session.rollback()
        return _form_page(form, participant, _on_form(form, refusal)), status_of(refusal)
    flash("The details are saved.")
    return redirect(url_for(".show", participant_id=participant.id))


def _on_form(form: ParticipantForm, refusal: Exception) -> str | None:
    """A refusal naming one of the form's fields is shown at that field (in the console's
    words); any other is shown above the form."""
    if isinstance(refusal, Invalid):
        for error in refusal.extensions.get("errors", []):
            if error["field"] in form:
                field = form[error["field"]]
                field.errors = [*field.errors, f"{field.label.text}: {error['message']}."]
        if form.errors:
            return None
    if isinstance(refusal, Conflict):  # the one conflict here: an e-mail address taken
        form.email.errors = [*form.email.errors, refusal.detail]
        return None
    return getattr(refusal, "detail", None)


def _form_page(form: ParticipantForm, participant: Participant | None, refusal: str | None = None):
    mentees = db.session.execute(
        sa.select(Participant.id, Participant.full_name, Participant.program_id)
        .where(Participant.role == Role.MENTEE)
        .order_by(Participant.full_name)
    ).all()
    return render_template(
        "console/participant_form.html",
        form=form,
        participant=participant,
        refusal=refusal,
        programs=_programs(),
        mentees=mentees,
        roles=bounds.ROLES,
        bounds=bounds,
    )
