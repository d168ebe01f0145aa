"""Recording a participant's training from the pair page."""

from __future__ import annotations

from datetime import date

from flask import flash, redirect, url_for

from service.calendar import schedule
from service.database import transaction
from service.pairs import service as pairs
from service.pairs.forms import TrainingForm
from service.pairs.views.common import blueprint, people_of, refused
from service.problems import Problem
from service.training import service as training
from service.training.models import TrainingSession
from service.web.forms import validated
from service.web.staff import pair_or_404, staff_required


@blueprint.post("/<id:pair_id>/training")
@staff_required()
@refused
def record_training(pair_id: int):
    pair = pair_or_404(pair_id)
    form = validated(TrainingForm())
    guardians = [guardian.id for guardian in people_of(pair)["guardians"]]
    if form.participant_id.data not in (pair.mentor_id, pair.mentee_id, *guardians):
        raise Problem(
            "validation-error", "Choose the mentor, the mentee or a guardian of this pair."
        )
    session = form.session.data
    briefing = session == TrainingSession.REMATCH_BRIEFING
    training.record(
        participant_id=form.participant_id.data,
        session=session,
        completed_on=form.completed_on.data or date.today(),
        pair_id=pair.id if briefing else None,
        topics=form.topics.data or [],
    )
    if briefing:
        with transaction():
            pair = pairs.get(pair_id=pair.id)
            schedule.reschedule(pair, pair.program)
    flash(f"Recorded: {session.replace('_', ' ')}.")
    return redirect(url_for(".show", pair_id=pair_id))
