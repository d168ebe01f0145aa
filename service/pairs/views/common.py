"""The pair pages' shared blueprint, and what every flow on them does the same way:
refusals shown on the page, the outcome of a transition. Their forms are in
`service/pairs/forms.py`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import wraps
from typing import Any, TypedDict

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, url_for

from service.database import db
from service.pairs import lifecycle
from service.pairs.forms import MAXLENGTH
from service.pairs.models import Pair
from service.participants.models import Participant
from service.web.refusals import REFUSALS

blueprint = Blueprint("pairs_console", __name__, url_prefix="/console/pairs")


@blueprint.context_processor
def _limits() -> dict[str, Any]:
    """The longest text each box on the pair pages takes, from the forms that read them:
    the browser stops typing there instead of the server refusing what was typed."""
    return {"maxlength": MAXLENGTH}


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
