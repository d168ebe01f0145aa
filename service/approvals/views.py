"""Deciding proposals from the console: approve or reject, with a reason."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, flash, g, redirect, render_template, url_for
from flask_login import current_user

from service.approvals import bounds, bulk, decisions
from service.approvals.forms import BulkDecisionForm, DecisionForm
from service.approvals.models import Proposal
from service.console import queries
from service.database import db
from service.pairs.models import Pair
from service.web.forms import first_error, validated
from service.web.refusals import REFUSALS
from service.web.staff import pair_or_404, staff_required, visible_pairs

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


@blueprint.post("/bulk")
@staff_required("admin", "coordinator")
def decide_several():
    """Several proposals ticked on the list: first what it will do, then, confirmed, each
    decided in its own transaction, and what happened to each."""
    form = BulkDecisionForm()
    back = form.back_to() or url_for("console.proposals")
    if not form.validate():
        flash(first_error(form), "error")
        return redirect(back)
    chosen = list(
        db.session.scalars(
            sa.select(Proposal)
            .where(Proposal.id.in_(form.proposal.data))
            .where(Proposal.pair_id.in_(visible_pairs(current_user)))
            .order_by(Proposal.id)
        )
    )
    pairs = list(
        db.session.scalars(sa.select(Pair).where(Pair.id.in_({p.pair_id for p in chosen})))
    )
    names = queries.names(pairs)
    if not form.confirmed.data:
        return render_template(
            "console/proposals_confirm.html",
            form=form,
            proposals=chosen,
            names=names,
            own=decisions.approved_by_others(chosen, g.actor),
            back=back,
        )
    report = bulk.decide_many(
        proposal_ids=[p.id for p in chosen],
        decision=form.decision.data,
        reason=form.reason.data,
        actor=g.actor,
    )
    return render_template(
        "console/proposals_report.html",
        decision=form.decision.data,
        report=report,
        names=names,
        back=back,
    )
