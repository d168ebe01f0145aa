"""Importing participants in the console: upload a spreadsheet, map its columns, see every
invalid row and why, then confirm; nothing is written before. A large file is imported by a
background job whose progress the page shows.

The uploaded file waits in Redis between the steps (an hour), under a random token tied to
the member of staff who uploaded it."""

from __future__ import annotations

import json
import secrets
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from service.accounts.models import StaffRole
from service.database import db
from service.errors import DomainError
from service.imports.forms import ROLES, ImportUploadForm
from service.participants import importing
from service.participants.jobs import enqueue_import, import_status
from service.programs.models import Program
from service.queue import redis_connection
from service.web.forms import first_error
from service.web.staff import staff_required

blueprint = Blueprint("imports_console", __name__, url_prefix="/console/participants/import")

KEPT_SECONDS = 3600


def _programs() -> list[Program]:
    return list(db.session.scalars(sa.select(Program).order_by(Program.name)))


def _key(token: str) -> str:
    return f"pairwise:import:{token}"


def _upload_page(error: str | None = None, **values: Any):
    return render_template(
        "console/import.html",
        programs=_programs(),
        roles=ROLES,
        error=error,
        values=values,
        max_mb=current_app.config["IMPORT_MAX_BYTES"] // (1024 * 1024),
        background_rows=importing.BACKGROUND_ROWS,
    )


@blueprint.get("")
@staff_required(StaffRole.ADMIN, StaffRole.COORDINATOR)
def upload_form() -> ResponseReturnValue:
    return _upload_page()


@blueprint.post("")
@staff_required(StaffRole.ADMIN, StaffRole.COORDINATOR)
def upload() -> ResponseReturnValue:
    request.max_content_length = current_app.config["IMPORT_MAX_BYTES"]
    form = ImportUploadForm()
    values: dict[str, Any] = {
        "program_id": str(form.program_id.data or ""),
        "role": form.role.data or "",
        "as_applications": bool(form.as_applications.data),
    }
    if not form.validate():
        return _upload_page(first_error(form), **values), 422
    chosen = form.program_id.data
    program = db.session.get(Program, chosen) if chosen is not None else None
    if program is None:
        return _upload_page("Choose the program to import into.", **values), 422
    file = form.file.data
    data = file.read()
    try:
        table = importing.read_table(data, file.filename)
    except DomainError as refusal:
        return _upload_page(f"The file: {refusal.detail.removeprefix('file: ')}", **values), 422
    token = secrets.token_urlsafe(16)
    meta = {
        "user_id": current_user.id,
        "filename": file.filename,
        "program_id": program.id,
        "role": values["role"] or None,
        "as_applications": values["as_applications"],
        "mapping": importing.auto_mapping(table.headers),
    }
    redis = redis_connection()
    redis.set(_key(token) + ":file", data, ex=KEPT_SECONDS)
    redis.set(_key(token) + ":meta", json.dumps(meta), ex=KEPT_SECONDS)
    return redirect(url_for(".preview", token=token))


def _stored(token: str) -> tuple[bytes, dict[str, Any]]:
    redis = redis_connection()
    data: Any = redis.get(_key(token) + ":file")
    meta: Any = redis.get(_key(token) + ":meta")
    if data is None or meta is None:
        abort(404)
    found = json.loads(meta)
    if found["user_id"] != current_user.id:
        abort(404)
    return bytes(data), found


def _preview_page(token: str, data: bytes, meta: dict[str, Any], error: str | None = None):
    table = importing.read_table(data, meta["filename"])
    report = None
    if error is None:
        try:
            report = importing.run(
                data,
                meta["filename"],
                program_id=meta["program_id"],
                actor=g.actor,
                mapping=meta["mapping"],
                role=meta["role"],
                dry_run=True,
            )
        except DomainError as refusal:
            error = refusal.detail.removeprefix("mapping: ")
    samples = {
        header: next((row[i] for row in table.rows if row[i]), "")
        for i, header in enumerate(table.headers)
    }
    return render_template(
        "console/import_preview.html",
        token=token,
        meta=meta,
        program=db.session.get(Program, meta["program_id"]),
        headers=table.headers,
        samples=samples,
        fields=importing.FIELDS,
        report=report,
        error=error,
        background=len(table.rows) > importing.BACKGROUND_ROWS,
    )


@blueprint.get("/<token>")
@staff_required(StaffRole.ADMIN, StaffRole.COORDINATOR)
def preview(token: str) -> ResponseReturnValue:
    data, meta = _stored(token)
    return _preview_page(token, data, meta)


@blueprint.post("/<token>")
@staff_required(StaffRole.ADMIN, StaffRole.COORDINATOR)
def confirm(token: str) -> ResponseReturnValue:
    data, meta = _stored(token)
    headers = importing.read_table(data, meta["filename"]).headers
    meta["mapping"] = {
        header: (request.form.get(f"column-{i}") or None) for i, header in enumerate(headers)
    }
    redis_connection().set(_key(token) + ":meta", json.dumps(meta), ex=KEPT_SECONDS)
    if request.form.get("action") != "import":
        return redirect(url_for(".preview", token=token))
    options = {
        "program_id": meta["program_id"],
        "actor": g.actor,
        "mapping": meta["mapping"],
        "role": meta["role"],
        "as_applications": meta["as_applications"],
    }
    rows = len(importing.read_table(data, meta["filename"]).rows)
    if rows > importing.BACKGROUND_ROWS:
        job_id = enqueue_import(data, meta["filename"], rows=rows, **options)
        _forget(token)
        return redirect(url_for(".job", job_id=job_id))
    try:
        report = importing.run(data, meta["filename"], **options)
    except DomainError as refusal:
        return _preview_page(token, data, meta, refusal.detail), 422
    if not report.imported:
        return _preview_page(token, data, meta), 422
    _forget(token)
    return render_template("console/import_report.html", report=report, status=None)


def _forget(token: str) -> None:
    redis_connection().delete(_key(token) + ":file", _key(token) + ":meta")


@blueprint.get("/jobs/<job_id>")
@staff_required(StaffRole.ADMIN, StaffRole.COORDINATOR)
def job(job_id: str) -> ResponseReturnValue:
    status = import_status(job_id)
    if status is None:
        abort(404)
    report = None
    if status["report"]:
        found = status["report"]
        report = importing.Report(
            dry_run=found["dry_run"],
            imported=found["imported"],
            total=found["total"],
            created=found["created"],
            updated=found["updated"],
            skipped=found["skipped"],
            errors=[importing.RowError(e["line"], e["messages"]) for e in found["errors"]],
            mapping=found["mapping"],
        )
    return render_template("console/import_report.html", report=report, status=status)
