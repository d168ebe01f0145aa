"""Re-match: reassure both, choose a new mentor, confirm; the successor pair opens."""

from __future__ import annotations

from datetime import timedelta

from flask import flash, g, redirect, render_template, request, url_for

from service.calendar import schedule
from service.console.queries import names
from service.matching import suggestions as matching
from service.pairs import lifecycle
from service.pairs.facts import DatabaseFacts, TransitionRequest
from service.pairs.forms import RematchForm
from service.pairs.views.common import blueprint, flash_outcome, people_of, refused
from service.problems import Problem
from service.web.forms import validated
from service.web.staff import pair_or_404, staff_required
from workflows.pairing import State, Trigger

REASSURANCE = (
    "We are changing your mentoring match. This happens from time to time and it is not "
    "anyone's fault: sometimes two people simply do not click, and that is fine. Thank you for "
    "what you have put in so far. Your coordinator will be in touch about what comes next."
)


@blueprint.route("/<id:pair_id>/rematch", methods=["GET", "POST"])
@staff_required()
@refused
def rematch(pair_id: int):
    """Reassure both, choose a new mentor, confirm; the successor appears."""
    pair = pair_or_404(pair_id)
    if pair.state != State.AT_RISK:
        raise Problem("conflict", "Only a pair at risk can be re-matched.")
    program = pair.program
    people = people_of(pair)
    facts = DatabaseFacts(pair, program, TransitionRequest(Trigger.REMATCH), g.actor)
    if request.method == "POST":
        form = validated(RematchForm())
        outcome = lifecycle.request_transition(
            pair_id=pair.id,
            actor=g.actor,
            request=TransitionRequest(
                Trigger.REMATCH,
                mentor_id=form.mentor_id.data,
                reason=form.reason.data,
                buffer_override_reason=form.buffer_override_reason.data,
                reassurance=(form.message.data or REASSURANCE) if form.reassure.data else None,
            ),
        )
        if outcome.applied:
            flash(
                f"Re-matched: pair #{pair.id} continues as pair "
                f"#{outcome.pair.successor_id} with the new mentor."
            )
            return redirect(url_for(".show", pair_id=outcome.pair.successor_id))
        flash_outcome(outcome)
        return redirect(url_for(".show", pair_id=pair.id))
    last = facts.last_interaction_on
    buffer_ends = last + timedelta(days=program.rematch_buffer_days) if last else None
    return render_template(
        "console/rematch.html",
        pair=pair,
        program=program,
        people=people,
        title=names([pair])[pair.id],
        candidates=matching.rank_mentors(people["mentee"], program_id=program.id),
        reassurance=REASSURANCE,
        buffer_ends=buffer_ends,
        within_buffer=buffer_ends is not None and buffer_ends > schedule.cadence_today(program),
    )
