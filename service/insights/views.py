"""A program's insights in the console: each chart with its data table, and every table as
CSV or XLSX with the filters applied."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import Blueprint, Response, abort, render_template, request

from service.accounts.models import User
from service.clock import today_in
from service.database import db
from service.errors import Invalid
from service.insights import charts, exports, risk
from service.insights.figures import Insights, Period, compute
from service.insights.forms import InsightsFilterForm
from service.insights.tables import Hidden, Kind, Table, rule_sentences, tables, text
from service.programs.models import Program
from service.web.forms import first_error
from service.web.staff import staff_required

blueprint = Blueprint("insights_console", __name__, url_prefix="/console/programs")

# Without a period: the last two years, to today.
DEFAULT_DAYS = 730


def _read(program: Program) -> tuple[InsightsFilterForm, Period | None, str | None]:
    form = InsightsFilterForm(formdata=request.args)
    if not form.validate():
        return form, None, first_error(form)
    until = form.until.data or today_in(program.timezone)
    since = form.since.data if "since" in request.args else until - timedelta(days=DEFAULT_DAYS)
    if form.since.data is None and "since" not in request.args:
        form.since.data = since
    form.until.data = until
    try:
        return form, Period(since, until), None
    except Invalid as refusal:
        return form, None, refusal.detail


def _program(program_id: int) -> Program:
    program = db.session.get(Program, program_id)
    if program is None:
        abort(404)
    return program


@blueprint.get("/<int:program_id>/insights")
@staff_required("admin", "coordinator")
def page(program_id: int):
    program = _program(program_id)
    form, period, problem = _read(program)
    coordinators = db.session.execute(
        sa.select(User.id, User.full_name)
        .where(User.role.in_(("admin", "coordinator")))
        .order_by(User.full_name)
    ).all()
    if period is None:
        return render_template(
            "console/insights.html", program=program, form=form, problem=problem,
            coordinators=coordinators, insights=None, sections=[],
        ), 422  # fmt: skip
    insights = compute(program_id=program.id, period=period, coordinator_id=form.coordinator.data)
    return render_template(
        "console/insights.html",
        program=program,
        form=form,
        problem=None,
        coordinators=coordinators,
        insights=insights,
        sections=_sections(insights),
        text=text,
        Kind=Kind,
        query=request.query_string.decode(),
        risk_model=risk.latest(program_id=program.id),
    )


@blueprint.get("/<int:program_id>/insights/<key>.<any(csv, xlsx):fmt>")
@staff_required("admin", "coordinator")
def export(program_id: int, key: str, fmt: str):
    program = _program(program_id)
    form, period, problem = _read(program)
    if period is None:
        return Response(problem or "Bad filters.", status=422, mimetype="text/plain")
    insights = compute(program_id=program.id, period=period, coordinator_id=form.coordinator.data)
    table = next((t for t in tables(insights) if t.key == key), None)
    if table is None:
        abort(404)
    filters = _filters(insights)
    name = exports.filename(program.slug, table, period.since, period.until, fmt)
    if fmt == "csv":
        body, mimetype = exports.to_csv(table, filters), "text/csv"
    else:
        body, mimetype = exports.to_xlsx(table, filters), exports.XLSX_TYPE
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _filters(insights: Insights) -> list[tuple[str, str]]:
    period = insights.period
    rows = [
        ("Program", insights.program_name),
        ("From", period.since.isoformat() if period.since else "the start"),
        ("To", period.until.isoformat()),
        ("Smallest group shown", str(insights.minimum)),
    ]
    if insights.coordinator_id is not None:
        user = db.session.get(User, insights.coordinator_id)
        rows.append(("Coordinator", user.full_name if user else f"#{insights.coordinator_id}"))
    return rows


def _number(value: object) -> float | None:
    return None if isinstance(value, Hidden) or value is None else float(value)  # type: ignore[arg-type]


def _sections(insights: Insights) -> list[dict[str, object]]:
    """The page's sections: a heading, and its tables each with the chart drawn from it."""
    by_key: dict[str, Table] = {t.key: t for t in tables(insights)}
    survival = by_key["survival"]
    pulse = by_key["pulse"]
    meetings = by_key["meetings"]
    fidelity = by_key["fidelity"]
    endings = by_key["endings"]
    steps = (
        [(float(r[0]), float(r[4])) for r in survival.rows]  # type: ignore[arg-type]
        if insights.survival_shown
        else []
    )
    charted = {
        "survival": charts.survival("survival", survival.title, steps),
        "endings": charts.bars(
            "endings", endings.title, [(str(r[0]), _number(r[1])) for r in endings.rows]
        ),
        "pulse": charts.lines(
            "pulse", pulse.title, [str(r[0]) for r in pulse.rows],
            [("Mentees", [_number(r[1]) for r in pulse.rows]),
             ("Mentors", [_number(r[3]) for r in pulse.rows])],
            1, 10,
        ),
        "meetings": charts.lines(
            "meetings", meetings.title, [str(r[0]) for r in meetings.rows],
            [("Meetings per pair", [_number(r[3]) for r in meetings.rows])],
            0, max([_number(r[3]) or 0 for r in meetings.rows] + [1]),
        ),
        "fidelity": charts.bars(
            "fidelity", fidelity.title, [(str(r[0]), _number(r[4])) for r in fidelity.rows], 1
        ),
    }  # fmt: skip
    layout = [
        ("Match duration", ["duration", "survival", "cohorts", "coordinators"]),
        ("Why matches end", ["endings", "ending_reasons"]),
        ("Relationship quality", ["pulse", "rating_fell"]),
        ("Engagement", ["meetings", "responses", "engagement"]),
        ("Staff practice", ["staff", "practice"]),
        ("Fidelity to the program's cadence", ["fidelity", "short"]),
        ("Do our rules work?", ["rules_closure", "rules_rating", "interventions"]),
    ]
    leads = {"Do our rules work?": rule_sentences(insights)}
    return [
        {
            "title": title,
            "lead": leads.get(title, []),
            "tables": [(by_key[k], charted.get(k)) for k in keys if k in by_key],
        }
        for title, keys in layout
    ]
