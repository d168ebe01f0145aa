"""A group check-in: a coordinator meets several pairs at once, and records it once."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import flash, g, redirect, render_template, url_for
from flask_login import current_user

from service.console.queries import names
from service.database import db
from service.pairs.forms import GroupCheckinForm
from service.pairs.models import Pair
from service.pairs.views.common import blueprint
from service.surveys import responses
from service.web.forms import validated
from service.web.refusals import REFUSALS
from service.web.staff import staff_required, visible_pairs
from workflows.pairing import State

# The pairs a coordinator may meet in a group: those whose relationship is under way.
MEETING = (State.ACTIVE, State.AT_RISK, State.CLOSING)


@blueprint.get("/group-checkin")
@staff_required()
def group_checkin():
    rows = db.session.scalars(
        sa.select(Pair)
        .where(Pair.id.in_(visible_pairs(current_user)), Pair.state.in_(MEETING))
        .order_by(Pair.program_id, Pair.id)
    ).all()
    return render_template(
        "console/group_checkin.html", pairs=rows, names=names(list(rows)), today=date.today()
    )


@blueprint.post("/group-checkin")
@staff_required()
def record_group_checkin():
    try:
        form = validated(GroupCheckinForm())
        visible = db.session.scalars(
            sa.select(Pair.id).where(
                Pair.id.in_(form.ids()), Pair.id.in_(visible_pairs(current_user))
            )
        ).all()
        responses.record_group_checkin(
            pair_ids=list(visible),
            held_on=form.held_on.data,
            notes=form.notes.data or "",
            actor=g.actor,
        )
    except REFUSALS as problem:
        flash(problem.detail, "error")
        return redirect(url_for(".group_checkin"))
    flash(f"The group check-in is recorded for {len(visible)} pairs.")
    return redirect(url_for("console.pairs"))
