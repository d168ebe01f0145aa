"""Who looks after a pair: its coordinator and its support staff."""

from __future__ import annotations

import sqlalchemy as sa
from flask import flash, g, redirect, request, url_for

from service.accounts.models import StaffRole, User, pair_support
from service.database import db, transaction
from service.pairs import service as pairs
from service.pairs.views.common import blueprint, refused
from service.web.staff import pair_or_404, staff_required


@blueprint.post("/<id:pair_id>/staff")
@staff_required(StaffRole.ADMIN, StaffRole.COORDINATOR)
@refused
def assign_staff(pair_id: int):
    pair = pair_or_404(pair_id)
    coordinator = request.form.get("coordinator_id", "")
    pairs.update(
        pair_id=pair.id,
        actor=g.actor,
        coordinator_id=int(coordinator) if coordinator.isdigit() else None,
    )
    chosen = {int(u) for u in request.form.getlist("support") if u.isdigit()}
    with transaction():
        db.session.execute(sa.delete(pair_support).where(pair_support.c.pair_id == pair.id))
        support = db.session.scalars(
            sa.select(User.id).where(User.id.in_(chosen), User.role == StaffRole.SUPPORT)
        ).all()
        for user_id in support:
            db.session.execute(sa.insert(pair_support).values(pair_id=pair.id, user_id=user_id))
    flash("Staff assignment saved.")
    return redirect(url_for(".show", pair_id=pair_id))
