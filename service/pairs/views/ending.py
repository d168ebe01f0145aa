"""Why the match ended: each point of view's primary reason and any others, recorded for
every closure and re-match."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, url_for
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, SelectMultipleField, validators, widgets

# SelectChoice is new in WTForms 3.3; its stubs still describe 3.2.
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]

from service.closure import service as closure
from service.confidentiality import may_read_safety
from service.console.queries import names
from service.pairs.views.common import blueprint, refused
from service.web.staff import pair_or_404, staff_required
from workflows.endings import LABELS, Viewpoint

REASON_CHOICES = [SelectChoice(reason.value, label) for reason, label in LABELS.items()]
VIEWPOINT_LABELS = {
    Viewpoint.COORDINATOR: "Yours, as the coordinator",
    Viewpoint.MENTOR: "The mentor's, as they told you",
    Viewpoint.MENTEE: "The mentee's, as they told you",
}


class EndingReasonsForm(FlaskForm):
    viewpoint = SelectField(
        "Whose account",
        choices=[SelectChoice(value.value, label) for value, label in VIEWPOINT_LABELS.items()],
        validators=[validators.InputRequired("Choose whose account this is")],
    )
    primary_reason = RadioField(
        "The main reason",
        choices=REASON_CHOICES,
        validators=[validators.InputRequired("Choose the main reason")],
    )
    other_reasons = SelectMultipleField(
        "Anything else that played a part",
        choices=REASON_CHOICES,
        option_widget=widgets.CheckboxInput(),
        widget=widgets.ListWidget(prefix_label=False),
        validators=[validators.Optional()],
    )


@blueprint.route("/<id:pair_id>/ending-reasons", methods=["GET", "POST"])
@staff_required()
@refused
def ending_reasons(pair_id: int):
    pair = pair_or_404(pair_id)
    form = EndingReasonsForm()
    if form.validate_on_submit():
        closure.record_reasons(
            pair_id=pair.id,
            viewpoint=form.viewpoint.data,
            primary_reason=form.primary_reason.data,
            other_reasons=form.other_reasons.data or [],
            actor=g.actor,
        )
        flash("Why the match ended is recorded.")
        return redirect(url_for(".ending_reasons", pair_id=pair.id))
    rows = closure.reasons_for(pair.id)
    withheld = closure.confidential_ending(pair, rows) and not may_read_safety(g.actor, pair)
    return render_template(
        "console/ending_reasons.html",
        pair=pair,
        title=names([pair])[pair.id],
        form=form,
        accounts=[] if withheld else rows,
        withheld=withheld,
        labels={reason.value: label for reason, label in LABELS.items()},
        viewpoints=VIEWPOINT_LABELS,
    ), (422 if form.errors else 200)
