"""A program's insights through the API: the figures of the insights page, as JSON, and the
funder report, as a PDF."""

from __future__ import annotations

from datetime import timedelta

from flask import Response, g

from service.auth import require_scope
from service.clock import today_in
from service.insights import report, risk, warehouse
from service.insights.figures import Insights, Period, compute
from service.insights.schemas import InsightsQuerySchema, InsightsSchema, WarehouseQuerySchema
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
    body = document(_compute(program_id, since, until, coordinator_id))
    program = programs.get(program_id=program_id)
    body["risk_model"] = risk.described(risk.latest(program_id=program.id), program)
    return body


@blueprint.get("/programs/<id:program_id>/insights/report")
@require_scope("programs:read")
@blueprint.arguments(InsightsQuerySchema, location="query", as_kwargs=True)
@blueprint.response(
    200,
    {"type": "string", "format": "binary"},
    content_type=report.PDF_TYPE,
    description="The funder report, a PDF to save: its name (in Content-Disposition) gives "
    "the program and the period.",
    headers={
        "Content-Disposition": {
            "description": 'attachment; filename="<program>-funder-report-<from>-to-<to>.pdf"',
            "schema": {"type": "string"},
        }
    },
)
@documents(blueprint, 401, 403, 404, 422, 429)
def funder_report(program_id: int, since, until, coordinator_id):
    """The funder report over a period, as a PDF: a summary in plain words, then each chart
    of the insights with its data table, under the same filters as the figures. A figure
    drawn from fewer pairs or respondents than the program's `insights_min_group` reads
    "fewer than N", never its value. Laying out a PDF takes a second or more, so a token
    may ask for a few a minute (PAIRWISE_LIMIT_REPORTS, by default 6 a minute and 60 an
    hour); over that, 429 with Retry-After."""
    insights = _compute(program_id, since, until, coordinator_id)
    program = programs.get(program_id=program_id)
    body = report.pdf(report.html(insights, produced_on=today_in(program.timezone)))
    name = report.filename(program.slug, insights.period.since, insights.period.until)
    return Response(
        body,
        mimetype=report.PDF_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@blueprint.get("/programs/<id:program_id>/warehouse-export")
@require_scope("admin")
@blueprint.arguments(WarehouseQuerySchema, location="query", as_kwargs=True)
@blueprint.response(
    200,
    {"type": "string", "format": "binary"},
    content_type="application/zip",
    description="A ZIP: one file per table (`<table>.csv` or `<table>.parquet`) and "
    "`manifest.json`, which names each table's columns, types, row count and how its rows "
    "are chosen, the window (`since`, `until`) and the `cursor` to pass as `since` next time.",
    headers={
        "Content-Disposition": {
            "description": 'attachment; filename="<program>-warehouse-<since>-to-<until>.zip"',
            "schema": {"type": "string"},
        },
        "Warehouse-Cursor": {
            "description": "The manifest's `cursor`: pass it as `since` next time.",
            "schema": {"type": "string", "format": "date-time"},
        },
    },
)
@documents(blueprint, 401, 403, 404, 422)
def warehouse_export(program_id: int, since, format: str):
    """Every table the program owns, for a warehouse: its participants, pairs, transitions,
    meetings, contacts, compliance, survey links and answers, signals, closures, choice
    offers and events, one CSV or Parquet file each, holding the rows changed after `since`
    (all of them without it) up to two minutes before the call. Successive exports, each
    from the previous one's cursor, hold every change once. Link secrets, safety notes,
    safety answers and stories shared without consent are never in it. Needs the `admin`
    scope."""
    return warehouse.download(program_id, since=since, fmt=format, by=g.actor.label)


def _compute(program_id: int, since, until, coordinator_id) -> Insights:
    program = programs.get(program_id=program_id)
    until = until or today_in(program.timezone)
    since = since or until - timedelta(days=DEFAULT_DAYS)
    return compute(
        program_id=program.id, period=Period(since, until), coordinator_id=coordinator_id
    )
