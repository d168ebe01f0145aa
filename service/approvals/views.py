"""Deciding proposals from the console: approve or reject, with a reason."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, url_for

from service.approvals import bounds, decisions
from service.approvals.forms import DecisionForm
from service.approvals.models import Proposal
from service.database import db
from service.web.forms import validated
from service.web.refusals import REFUSALS
from service.web.staff import pair_or_404, staff_required

blueprint = Blueprint("approvals_console", __name__, url_prefix="/console/proposals")
# The decision form is a macro on several pages (imported without their context): a global.
blueprint.record_once(
    lambda state: state.app.jinja_env.globals.update(decision_reason_max=bounds.REASON_MAX)
)


@blueprint.post("/<id:proposal_id>/decide")
@staff_required("admin", "coordinator")
def decide(proposal_id: int):
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None:
        flash("No such proposal.", "error")
        return redirect(url_for("console.dashboard"))
    pair_or_404(proposal.pair_id)
    form = DecisionForm()
    back = form.back_to() or url_for("pairs_console.show", pair_id=proposal.pair_id)
    try:
        validated(form)
        reason = form.reason.data
        if form.decision.data == "approve":
            outcome = decisions.approve(proposal_id=proposal_id, actor=g.actor, reason=reason)
            flash(
                f"Approved: pair #{outcome.pair.id} is now {outcome.pair.state.replace('_', ' ')}."
            )
        else:
            # The form refuses a rejection without a reason.
            decisions.reject(proposal_id=proposal_id, actor=g.actor, reason=reason or "")
            flash(f"Rejected the proposal to {proposal.trigger.replace('_', ' ')}.")
    except REFUSALS as problem:
        flash(problem.detail, "error")
    return redirect(back)
