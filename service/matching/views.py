"""Cohort matching in the console: the best assignment of a program's waiting mentees,
reviewed (pin a pair, swap two mentors, leave someone out, run again) and committed in one
action."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from service.accounts.models import StaffRole
from service.database import db
from service.matching import cohort, suggestions
from service.matching.forms import CommitForm, ReviewForm
from service.pairs.models import Pair
from service.participants import service as participants
from service.programs import service as programs
from service.web.forms import first_error
from service.web.staff import staff_required

blueprint = Blueprint("matching_console", __name__, url_prefix="/console/programs")

_COORDINATORS = (StaffRole.ADMIN, StaffRole.COORDINATOR)


def _address(program_id: int, pins: dict[int, int], exclude: list[int]) -> str:
    return url_for(
        ".review",
        program_id=program_id,
        pin=[f"{p}:{m}" for p, m in sorted(pins.items())],
        exclude=sorted(set(exclude)),
    )


@blueprint.get("/<id:program_id>/matching")
@staff_required(*_COORDINATORS)
def review(program_id: int) -> ResponseReturnValue:
    program = programs.get(program_id=program_id)
    form = ReviewForm(formdata=request.args)
    if not form.validate():
        flash(first_error(form), "error")
        return redirect(url_for(".review", program_id=program_id))
    pins, exclude = form.pins(), form.excluded()
    if swapped := form.swapped():
        return redirect(_swap(program_id, pins, exclude, swapped))
    proposal = suggestions.propose(program_id=program_id, pins=pins, exclude=exclude)
    return render_template(
        "console/matching.html",
        program=program,
        proposal=proposal,
        pin_args=[f"{p}:{m}" for p, m in sorted(pins.items())],
        exclude=exclude,
        pinned={m.pair_id for m in proposal.matches if m.pinned},
        without_pair=cohort.count_without_pair(program_id=program_id),
    )


def _swap(program_id: int, pins: dict[int, int], exclude: list[int], pair_ids: list[int]) -> str:
    """Pin the two pairs each with the other's mentor; the rest is assigned again."""
    proposal = suggestions.propose(program_id=program_id, pins=pins, exclude=exclude)
    by_pair = {m.pair_id: m for m in proposal.matches}
    first, second = (by_pair.get(p) for p in pair_ids)
    if first is None or second is None:
        flash("Those two are no longer matched in the proposal: tick two matches.", "error")
        return _address(program_id, pins, exclude)
    swapped = {**pins, first.pair_id: second.mentor_id, second.pair_id: first.mentor_id}
    after = suggestions.propose(program_id=program_id, pins=swapped, exclude=exclude)
    if after.refused_pins:
        flash("Not swapped: " + " ".join(after.refused_pins), "error")
        return _address(program_id, pins, exclude)
    flash(
        f"Swapped: {first.mentee_name} with {second.mentor_name}, "
        f"{second.mentee_name} with {first.mentor_name}. Both are pinned."
    )
    return _address(program_id, swapped, exclude)


@blueprint.post("/<id:program_id>/matching/pairs")
@staff_required(*_COORDINATORS)
def start_pairs(program_id: int) -> ResponseReturnValue:
    """Bring the mentees who wait without a pair into the cohort: each gets a `recruited`
    pair."""
    if started := cohort.start_pairs(program_id=program_id):
        flash(
            f"{started} mentee{'s' if started != 1 else ''} joined the cohort: "
            "each has a pair waiting for a mentor."
        )
    return redirect(url_for(".review", program_id=program_id))


@blueprint.post("/<id:program_id>/matching")
@staff_required(*_COORDINATORS)
def commit(program_id: int) -> ResponseReturnValue:
    program = programs.get(program_id=program_id)
    form = CommitForm()
    if not form.validate():
        flash(first_error(form), "error")
        return redirect(url_for(".review", program_id=program_id))
    report = cohort.commit(program_id=program_id, matches=form.matches(), actor=g.actor)
    counts: dict[str, Any] = {
        outcome: sum(1 for item in report if item.outcome == outcome)
        for outcome in ("matched", "proposed", "refused")
    }
    mentees = dict(
        db.session.execute(
            sa.select(Pair.id, Pair.mentee_id).where(Pair.id.in_([i.pair_id for i in report]))
        ).all()
    )
    return render_template(
        "console/matching_report.html",
        program=program,
        report=report,
        counts=counts,
        mentees=mentees,
        names=participants.names([*mentees.values(), *(i.mentor_id for i in report)]),
    )
