"""The closure procedure, anticipated or not, step by step."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for

from service.calendar import schedule
from service.closure import service as closure
from service.closure.models import ContactPolicy
from service.console.queries import names
from service.pairs import lifecycle
from service.pairs.facts import TransitionRequest
from service.pairs.views.common import (
    blueprint,
    flash_outcome,
    form_date,
    form_text,
    people_of,
    refused,
)
from service.problems import Problem
from service.web.staff import pair_or_404, staff_required
from workflows.pairing import ClosureReason, Trigger


@blueprint.route("/<id:pair_id>/closure", methods=["GET", "POST"])
@staff_required()
@refused
def closure_page(pair_id: int):
    """The closure procedure, anticipated or not, step by step."""
    pair = pair_or_404(pair_id)
    if request.method == "POST":
        step = request.form.get("step")
        if step == "begin":
            closure.save(pair_id=pair.id, kind=request.form.get("kind") or "anticipated")
            kind = request.form.get("closure_reason")
            flash_outcome(
                lifecycle.request_transition(
                    pair_id=pair.id,
                    actor=g.actor,
                    request=TransitionRequest(
                        Trigger.BEGIN_CLOSURE,
                        final_session_on=form_date("final_session_on"),
                        reason=form_text("reason"),
                        closure_reason=ClosureReason(kind)
                        if kind in ("completed", "ended_early")
                        else None,
                    ),
                )
            )
        elif step == "plan":
            closure.save(
                pair_id=pair.id,
                celebration_plan=form_text("celebration_plan") or "",
                celebration_on=form_date("celebration_on"),
            )
            flash("The celebratory final session is planned.")
        elif step == "policy":
            closure.save(
                pair_id=pair.id,
                contact_policy=request.form.get("contact_policy"),
                contact_policy_notes=form_text("contact_policy_notes"),
            )
            flash("The contact policy is recorded.")
        elif step == "reflections":
            sent = closure.send_reflections(pair_id=pair.id, actor=g.actor)
            flash(f"Reflection survey sent to {sent} participant(s).")
        elif step == "close":
            flash_outcome(
                lifecycle.request_transition(
                    pair_id=pair.id,
                    actor=g.actor,
                    request=TransitionRequest(Trigger.CLOSE),
                )
            )
        else:
            raise Problem("validation-error", "Unknown closure step.")
        return redirect(url_for(".closure_page", pair_id=pair.id))
    program = pair.program
    return render_template(
        "console/closure.html",
        pair=pair,
        program=program,
        title=names([pair])[pair.id],
        steps=closure.steps(pair),
        record=closure.record_for(pair.id),
        policies=list(ContactPolicy),
        people=people_of(pair),
        today=schedule.cadence_today(program),
    )
