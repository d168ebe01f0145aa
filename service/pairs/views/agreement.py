"""Recording the pair's mentoring agreement from the pair page."""

from __future__ import annotations

from flask import flash, g, redirect, url_for

from service.pairs import agreement
from service.pairs.forms import AgreementForm
from service.pairs.views.common import blueprint, refused
from service.web.forms import validated
from service.web.staff import pair_or_404, staff_required


@blueprint.post("/<id:pair_id>/agreement")
@staff_required()
@refused
def record_agreement(pair_id: int):
    """The agreement made at the joint workshop, or the pair's agreement revisited."""
    pair_or_404(pair_id)
    form = validated(AgreementForm())
    agreement.record(
        pair_id=pair_id,
        agreed_on=form.agreed_on.data,
        meeting_frequency=form.meeting_frequency.data,
        meeting_format=form.meeting_format.data,
        ground_rules=form.ground_rules.data,
        chemistry_plan=form.chemistry_plan.data,
        goals=form.goals.data,
        actor=g.actor,
    )
    flash("The mentoring agreement is recorded.")
    return redirect(url_for(".show", pair_id=pair_id, _anchor="agreement"))
