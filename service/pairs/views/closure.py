"""The closure procedure, anticipated or not, step by step."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for

from service.calendar import schedule
from service.closure import service as closure
from service.closure.models import ContactPolicy
from service.console.queries import names
from service.pairs import lifecycle
from service.pairs.facts import TransitionRequest
from service.pairs.forms import (
    BeginClosureForm,
    CelebrationForm,
    ClosureStepForm,
    ContactPolicyForm,
)
from service.pairs.views.common import blueprint, flash_outcome, people_of, refused
from service.web.forms import validated
from service.web.staff import pair_or_404, staff_required
from workflows.pairing import ClosureReason, Trigger


@blueprint.route("/<id:pair_id>/closure", methods=["GET", "POST"])
@staff_required()
@refused
def closure_page(pair_id: int):
    """The closure procedure, anticipated or not, step by step."""
    pair = pair_or_404(pair_id)
    if request.method == "POST":
        step = validated(ClosureStepForm()).step.data
        if step == "begin":
            form = validated(BeginClosureForm())
            closure.save(pair_id=pair.id, kind=form.kind.data or "anticipated")
            flash_outcome(
                lifecycle.request_transition(
                    pair_id=pair.id,
                    actor=g.actor,
                    request=TransitionRequest(
                        Trigger.BEGIN_CLOSURE,
                        final_session_on=form.final_session_on.data,
                        reason=form.reason.data,
                        closure_reason=ClosureReason(form.closure_reason.data)
                        if form.closure_reason.data
                        else None,
                    ),
                )
            )
        elif step == "plan":
            form = validated(CelebrationForm())
            closure.save(
                pair_id=pair.id,
                celebration_plan=form.celebration_plan.data or "",
                celebration_on=form.celebration_on.data,
            )
            flash("The celebratory final session is planned.")
        elif step == "policy":
            form = validated(ContactPolicyForm())
            closure.save(
                pair_id=pair.id,
                contact_policy=form.contact_policy.data,
                contact_policy_notes=form.contact_policy_notes.data,
            )
            flash("The contact policy is recorded.")
        elif step == "reflections":
            sent = closure.send_reflections(pair_id=pair.id, actor=g.actor)
            flash(f"Reflection survey sent to {sent} participant(s).")
        else:
            flash_outcome(
                lifecycle.request_transition(
                    pair_id=pair.id,
                    actor=g.actor,
                    request=TransitionRequest(Trigger.CLOSE),
                )
            )
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
