"""The console's page for meeting events whose pair could not be told from their addresses:
a coordinator names the pair (or sets the event aside), through the same service as the API."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, flash, g, redirect, render_template, url_for

from service.accounts.models import StaffRole
from service.console.queries import names
from service.database import db
from service.inbound import events
from service.inbound.forms import ResolveForm
from service.inbound.models import InboundEvent, InboundSource, InboundStatus
from service.meetings.service import MEETING_STATES
from service.pairs.models import Pair
from service.web.forms import validated
from service.web.refusals import REFUSALS
from service.web.staff import staff_required
from workflows.signals import SIGNALS

blueprint = Blueprint("inbound_console", __name__, url_prefix="/console/inbound")


def _choices(waiting: list[InboundEvent]) -> dict[int, list[Pair]]:
    """For each event, the pairs it may belong to: those of its source's program, if any."""
    sources = {
        f"source:{s.slug}": s.program_id for s in db.session.scalars(sa.select(InboundSource))
    }
    pairs = db.session.scalars(
        sa.select(Pair)
        .where(Pair.state.in_([s.value for s in MEETING_STATES]))
        .order_by(Pair.id)
        .limit(1000)
    ).all()
    return {
        event.id: [p for p in pairs if sources.get(event.sender) in (None, p.program_id)]
        for event in waiting
    }


@blueprint.get("/")
@staff_required(StaffRole.ADMIN, StaffRole.COORDINATOR)
def index():
    waiting = db.session.scalars(
        sa.select(InboundEvent)
        .where(InboundEvent.status == InboundStatus.UNMATCHED)
        .order_by(InboundEvent.received_at.desc(), InboundEvent.id.desc())
        .limit(200)
    ).all()
    choices = _choices(waiting)
    every_pair = {p.id: p for options in choices.values() for p in options}
    return render_template(
        "console/inbound.html",
        events=waiting,
        choices=choices,
        names=names(list(every_pair.values())),
    )


@blueprint.post("/<int:event_id>/resolve")
@staff_required(StaffRole.ADMIN, StaffRole.COORDINATOR)
def resolve(event_id: int):
    try:
        pair_id = validated(ResolveForm()).pair_id.data
        event = events.resolve(event_id=event_id, pair_id=pair_id, actor=g.actor)
    except REFUSALS as problem:
        flash(problem.detail, "error")
    else:
        raised = ", ".join(SIGNALS[code].label for code in event.details.get("signals", []))
        flash(
            f"Event {event.id} attached to pair #{event.pair_id}"
            + (f"; it raised: {raised}." if raised else ".")
        )
    return redirect(url_for(".index"))


@blueprint.post("/<int:event_id>/ignore")
@staff_required(StaffRole.ADMIN, StaffRole.COORDINATOR)
def ignore(event_id: int):
    try:
        events.ignore(event_id=event_id, actor=g.actor)
    except REFUSALS as problem:
        flash(problem.detail, "error")
    else:
        flash(f"Event {event_id} set aside: it concerns no pair.")
    return redirect(url_for(".index"))
