"""The pair pages' shared blueprint, and what every flow on them reads the same way:
form fields, refusals shown on the page, the outcome of a transition."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from functools import wraps
from typing import Any, TypedDict

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, request, url_for

from service.database import db
from service.pairs import lifecycle
from service.pairs.models import Pair
from service.participants.models import Participant
from service.problems import Problem
from service.web.refusals import REFUSALS

blueprint = Blueprint("pairs_console", __name__, url_prefix="/console/pairs")


def refused(view: Callable) -> Callable:
    """Show a refusal from a service on the pair page, instead of an error page."""

    @wraps(view)
    def wrapper(pair_id: int, *args: Any, **kwargs: Any) -> Any:
        try:
            return view(pair_id, *args, **kwargs)
        except REFUSALS as problem:
            flash(problem.detail, "error")
            return redirect(url_for(".show", pair_id=pair_id))

    return wrapper


def form_date(field: str) -> date | None:
    value = request.form.get(field, "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Problem(
            "validation-error", f"{field.replace('_', ' ')}: use a date like 2026-12-01."
        ) from None


def form_text(field: str) -> str | None:
    value = request.form.get(field, "").strip()
    return value or None


class People(TypedDict):
    mentee: Participant
    mentor: Participant | None
    guardians: Sequence[Participant]


def people_of(pair: Pair) -> People:
    return {
        "mentee": pair.mentee,
        "mentor": pair.mentor,
        "guardians": db.session.scalars(
            sa.select(Participant).where(Participant.guardian_of_id == pair.mentee_id)
        ).all(),
    }


def flash_outcome(outcome: lifecycle.Outcome) -> None:
    if outcome.applied:
        flash(f"Done: the pair is now {outcome.pair.state.replace('_', ' ')}.")
    else:
        assert outcome.proposal is not None  # not applied, so filed as a proposal
        flash(f"Filed for a coordinator's approval: {outcome.proposal.trigger.replace('_', ' ')}.")
