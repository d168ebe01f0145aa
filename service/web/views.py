"""The pages a newcomer sees before the console exists: what runs, and how to talk to it."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, render_template

from service.database import db
from service.pairs.models import Pair
from workflows.pairing import State

blueprint = Blueprint("web", __name__)


@blueprint.get("/")
def index():
    counts = dict(
        db.session.execute(sa.select(Pair.state, sa.func.count()).group_by(Pair.state)).all()
    )
    states = [(state.value, counts.get(state.value, 0)) for state in State]
    return render_template("index.html", states=states, total=sum(counts.values()))
