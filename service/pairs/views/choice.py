"""Mentee choice from the pair page: e-mail a waiting mentee a choice of their best
suggested mentors."""

from __future__ import annotations

from flask import flash, g, redirect, url_for

from service.choice import service as choice
from service.pairs.views.common import blueprint, refused
from service.web.staff import pair_or_404, staff_required


@blueprint.post("/<id:pair_id>/choice-offers")
@staff_required("admin", "coordinator")
@refused
def offer_choice(pair_id: int):
    pair = pair_or_404(pair_id)
    offer = choice.send(pair_id=pair.id, actor=g.actor)
    flash(
        f"Sent: the mentee has an e-mail to choose among {len(offer.options)} mentors, "
        f"until {offer.expires_at:%d %b %Y}."
    )
    return redirect(url_for(".show", pair_id=pair_id))
