"""Recording a participant's training from the pair page."""

from __future__ import annotations

from datetime import date

from flask import flash, redirect, request, url_for

from service.calendar import schedule
from service.database import transaction
from service.pairs import service as pairs
from service.pairs.views.common import blueprint, form_date, refused
from service.problems import Problem
from service.training import service as training
from service.web.staff import pair_or_404, staff_required


@blueprint.post("/<id:pair_id>/training")
@staff_required()
@refused
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
        completed_on=form_date("completed_on") or date.today(),
        pair_id=pair.id if briefing else None,
    )
    if briefing:
        with transaction():
            pair = pairs.get(pair_id=pair.id)
            schedule.reschedule(pair, pair.program)
    flash(f"Recorded: {session.replace('_', ' ')}.")
    return redirect(url_for(".show", pair_id=pair_id))
