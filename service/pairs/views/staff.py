"""Who looks after a pair: its coordinator and its support staff."""

from __future__ import annotations

from flask import flash, g, redirect, url_for

from service.accounts.models import StaffRole
from service.errors import Forbidden
from service.pairs import service as pairs
from service.pairs import staffing
from service.pairs.forms import StaffForm
from service.pairs.views.common import blueprint, refused
from service.problems import html_error
from service.web.forms import validated
from service.web.staff import pair_or_404, staff_required


@blueprint.post("/<id:pair_id>/staff")
@staff_required(StaffRole.ADMIN, StaffRole.COORDINATOR)
@refused
def assign_staff(pair_id: int):
    """Hand the pair over, or change its support staff (admins, or its own coordinator)."""
    pair = pair_or_404(pair_id)
    refusal = staffing.staff_change_refusal(g.actor, pair)
    if refusal is not None:
        return html_error(403, "Not yours to hand over", refusal)
    form = validated(StaffForm())
    try:
        pairs.update(
            pair_id=pair.id,
            actor=g.actor,
            coordinator_id=form.coordinator_id.data,
            support_ids=form.support_ids(),
        )
    except Forbidden as refused_now:
        # The pair changed hands since the page was read.
        return html_error(403, "Not yours to hand over", refused_now.detail)
    flash("Staff assignment saved.")
    return redirect(url_for(".show", pair_id=pair_id))
