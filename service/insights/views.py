"""A program's insights in the console: each chart with its data table, every table as CSV
or XLSX, and the whole as a funder report (PDF), with the filters applied."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import Blueprint, Response, abort, render_template, request
from flask_login import current_user

from service.accounts.models import User
from service.clock import today_in
from service.database import db
from service.errors import Invalid
from service.insights import exports, report, risk, warehouse
from service.insights.figures import Period, compute
from service.insights.forms import InsightsFilterForm, WarehouseExportForm
from service.insights.tables import Kind, tables, text
from service.programs.models import Program
from service.web import limits
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


def _coordinators() -> list[sa.Row]:
    return list(
        db.session.execute(
            sa.select(User.id, User.full_name)
            .where(User.role.in_(("admin", "coordinator")))
            .order_by(User.full_name)
        ).all()
    )


def _refused(program: Program, form: InsightsFilterForm, problem: str | None):
    """The page again, its filters with the error beside them."""
    return render_template(
        "console/insights.html", program=program, form=form, problem=problem,
        coordinators=_coordinators(), insights=None, sections=[],
    ), 422  # fmt: skip


@blueprint.get("/<int:program_id>/insights")
@staff_required("admin", "coordinator")
def page(program_id: int):
    program = _program(program_id)
    form, period, problem = _read(program)
    if period is None:
        return _refused(program, form, problem)
    insights = compute(program_id=program.id, period=period, coordinator_id=form.coordinator.data)
    return render_template(
        "console/insights.html",
        program=program,
        form=form,
        problem=None,
        coordinators=_coordinators(),
        insights=insights,
        sections=report.sections(insights),
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
    filters = report.filters(insights)
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


@blueprint.get("/<int:program_id>/insights/report.pdf")
@staff_required("admin", "coordinator")
def funder_report(program_id: int):
    """The funder report: the page's charts and tables for the period chosen, as a PDF."""
    program = _program(program_id)
    form, period, problem = _read(program)
    if period is None:
        return _refused(program, form, problem)
    insights = compute(program_id=program.id, period=period, coordinator_id=form.coordinator.data)
    body = report.pdf(report.html(insights, produced_on=today_in(program.timezone)))
    name = report.filename(program.slug, period.since, period.until)
    return Response(
        body,
        mimetype=report.PDF_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@limits.page_for("insights_console.funder_report")
def _too_many_reports(wait: str) -> str:
    return render_template(
        "error.html",
        status=429,
        title="Too many reports at once",
        detail="A funder report takes a moment to lay out, so each person may ask for a few "
        f"a minute. Please wait {wait}, then download it again.",
    )


@blueprint.get("/<int:program_id>/warehouse-export")
@staff_required("admin")
def warehouse_page(program_id: int):
    """The warehouse export's form: a time to start from (the last export's cursor) and a
    format. Admins only: the export holds every participant's record."""
    program = _program(program_id)
    form = WarehouseExportForm(formdata=None)
    return _warehouse_form(program, form, problem=None)


def _warehouse_form(program: Program, form: WarehouseExportForm, *, problem: str | None):
    return render_template(
        "console/warehouse_export.html",
        program=program,
        form=form,
        problem=problem,
        tables=warehouse.described(),
        not_exported=warehouse.NOT_EXPORTED,
        settle_minutes=int(warehouse.SETTLE.total_seconds() // 60),
    )


@blueprint.get("/<int:program_id>/warehouse-export.zip")
@staff_required("admin")
def warehouse_download(program_id: int):
    program = _program(program_id)
    form = WarehouseExportForm(formdata=request.args)
    if not form.validate():
        return _warehouse_form(program, form, problem=None), 422
    try:
        return warehouse.download(
            program.id,
            since=form.since.data,
            fmt=form.format.data or "csv",
            by=f"{current_user.full_name} (user {current_user.id})",
        )
    except Invalid as refusal:
        form.since.errors = [f"Changed after: {refusal.extensions['errors'][0]['message']}."]
        return _warehouse_form(program, form, problem=None), 422
