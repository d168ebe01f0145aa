"""Several pairs at once, from the pairs list: hand them over to a coordinator, or send
their members a survey. First what it will do, then, confirmed, each pair on its own, and
what happened to each."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from service.accounts.models import User
from service.console import pair_list
from service.console.forms import PairBulkForm
from service.database import db
from service.pairs import bulk
from service.pairs.views.common import blueprint
from service.web.forms import first_error
from service.web.staff import staff_required

# The list's own search, filters and order, posted with the action to come back to it.
LIST_ARGS = ("q", "program", "coordinator", "state", "sort")


@blueprint.post("/bulk")
@staff_required("admin", "coordinator")
def act_on_several():
    form = PairBulkForm()
    shown = {
        k: v
        for k, v in request.form.items()
        if k in ("q", "program", "coordinator", "state", "sort")
    }
    back = url_for("console.pairs", **shown)
    if not form.validate():
        flash(first_error(form), "error")
        return redirect(back)
    chosen = _chosen(form)
    if len(chosen) > bulk.MAX_AT_ONCE:
        flash(f"The list holds {len(chosen)} pairs: at most {bulk.MAX_AT_ONCE} at once.", "error")
        return redirect(back)
    coordinator = (
        db.session.get(User, form.to_coordinator.data) if form.to_coordinator.data else None
    )
    surveys = bulk.sendable_surveys()
    what = _described(form, coordinator, surveys)
    if what is None:
        flash("Choose an active coordinator to hand the pairs over to.", "error")
        return redirect(back)
    names = {row.pair.id: _name(row) for row in chosen}
    if not form.confirmed.data:
        return render_template(
            "console/pairs_bulk_confirm.html", form=form, rows=chosen, what=what, back=back
        )
    ids = [row.pair.id for row in chosen]
    if form.action.data == "hand_over":
        assert coordinator is not None
        report = bulk.hand_over(pair_ids=ids, coordinator=coordinator, actor=g.actor)
    else:
        report = bulk.send_survey(pair_ids=ids, survey_key=form.survey.data, actor=g.actor)
    return render_template(
        "console/pairs_bulk_report.html", report=report, names=names, what=what, back=back
    )


def _chosen(form: PairBulkForm) -> list[pair_list.PairRow]:
    """The pairs ticked, or every pair the list shows, that the user may open, in the list's
    order."""
    criteria = form.criteria()
    if not form.everything.data:
        criteria = pair_list.Criteria(only=frozenset(form.pair.data or ()))
    return list(pair_list.every_row(current_user, g.actor, criteria))


def _described(form: PairBulkForm, coordinator: User | None, surveys: dict[str, str]) -> str | None:
    if form.action.data == "hand_over":
        if coordinator is None or not coordinator.active:
            return None
        return f"Hand over to {coordinator.full_name}"
    return f"Send “{surveys[form.survey.data or '']}”"


def _name(row: pair_list.PairRow) -> str:
    return f"{row.mentee} & {row.mentor or 'no mentor yet'}"
