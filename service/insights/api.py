"""A program's insights through the API: the figures of the insights page, as JSON."""

from __future__ import annotations

from datetime import timedelta

from service.auth import require_scope
from service.clock import today_in
from service.insights import risk
from service.insights.figures import Period, compute
from service.insights.schemas import InsightsQuerySchema, InsightsSchema
from service.insights.tables import document
from service.programs import service as programs
from service.schemas import Blueprint, documents

blueprint = Blueprint(
    "insights",
    __name__,
    url_prefix="/api/v1",
    description="A program's insights: how long matches last, why they end, relationship "
    "quality, engagement, staff practice and fidelity to the cadence.",
)

# Without `from`: two years before `to`.
DEFAULT_DAYS = 730


@blueprint.get("/programs/<id:program_id>/insights")
@require_scope("programs:read")
@blueprint.arguments(InsightsQuerySchema, location="query", as_kwargs=True)
@blueprint.response(200, InsightsSchema)
@documents(blueprint, 401, 403, 404, 422)
def insights(program_id: int, since, until, coordinator_id):
    """The program's figures over a period: the matches made in it, followed until they
    ended or the period did (open matches are censored). Every figure carries `n`, the
    pairs or respondents it is drawn from; below the program's `insights_min_group` its
    value is null and `suppressed` is true. `risk_model` gives the closure-risk model's
    latest fit and its checks on the hold-out, as the console shows them."""
    program = programs.get(program_id=program_id)
    until = until or today_in(program.timezone)
    since = since or until - timedelta(days=DEFAULT_DAYS)
    body = document(
        compute(program_id=program.id, period=Period(since, until), coordinator_id=coordinator_id)
    )
    body["risk_model"] = risk.described(risk.latest(program_id=program.id), program)
    return body
