"""Notes on a pair: written by staff, read by those their confidentiality allows."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, url_for
from flask_login import current_user

from service.accounts.models import StaffRole
from service.confidentiality import may_read_safety
from service.database import db, transaction
from service.notes.models import Confidentiality, Note
from service.pairs.forms import NoteForm
from service.pairs.views.common import blueprint, refused
from service.problems import html_error
from service.web.forms import validated
from service.web.staff import log_safety_read, pair_or_404, staff_required


@blueprint.post("/<id:pair_id>/notes")
@staff_required()
@refused
def add_note(pair_id: int):
    pair_or_404(pair_id)
    form = validated(NoteForm())
    level = form.confidentiality.data or Confidentiality.TEAM
    with transaction():
        db.session.add(
            Note(pair_id=pair_id, body=form.body.data, confidentiality=level, author=g.actor.ref)
        )
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
