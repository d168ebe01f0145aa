"""Deciding proposals from the console: approve or reject, with a reason."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, request, url_for

from service.approvals import decisions
from service.approvals.models import Proposal
from service.database import db
from service.problems import Problem
from service.web.refusals import REFUSALS
from service.web.staff import pair_or_404, staff_required

blueprint = Blueprint("approvals_console", __name__, url_prefix="/console/proposals")


def _back(proposal: Proposal) -> str:
    target = request.form.get("back", "")
    if target.startswith("/console") and "//" not in target:
        return target
    return url_for("pairs_console.show", pair_id=proposal.pair_id)


@blueprint.post("/<id:proposal_id>/decide")
@staff_required("admin", "coordinator")
def decide(proposal_id: int):
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None:
        flash("No such proposal.", "error")
        return redirect(url_for("console.dashboard"))
    pair_or_404(proposal.pair_id)
    decision = request.form.get("decision")
    reason = (request.form.get("reason") or "").strip() or None
    try:
        if decision == "approve":
            outcome = decisions.approve(proposal_id=proposal_id, actor=g.actor, reason=reason)
            flash(
                f"Approved: pair #{outcome.pair.id} is now {outcome.pair.state.replace('_', ' ')}."
            )
        elif decision == "reject":
            if not reason:
                raise Problem("validation-error", "Say why you reject it; the reason is recorded.")
            decisions.reject(proposal_id=proposal_id, actor=g.actor, reason=reason)
            flash(f"Rejected the proposal to {proposal.trigger.replace('_', ' ')}.")
        else:
            raise Problem("validation-error", "Approve or reject.")
    except REFUSALS as problem:
        flash(problem.detail, "error")
    return redirect(_back(proposal))
