"""API tokens in the console (admins): create one (its value shown once), list, download
the list, revoke."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for

from service import exports
from service.accounts.models import StaffRole
from service.clock import now
from service.tokens import service
from service.tokens.forms import TokenForm
from service.web.staff import staff_required

blueprint = Blueprint("tokens_console", __name__, url_prefix="/console/tokens")


def _page(form: TokenForm, *, created=None, raw: str | None = None):
    return render_template(
        "console/tokens.html",
        form=form,
        tokens=service.newest_first(),
        scopes=service.SCOPES,
        care=service.SCOPE_CARE,
        name_max=service.NAME_MAX,
        created=created,
        raw=raw,
    )


@blueprint.get("")
@staff_required(StaffRole.ADMIN)
def index():
    return _page(TokenForm(formdata=None))


@blueprint.post("")
@staff_required(StaffRole.ADMIN)
def create():
    form = TokenForm()
    if not form.validate():
        return _page(form), 422
    try:
        token, raw = service.create(name=form.name.data or "", scopes=form.scopes.data or [])
    except ValueError as refusal:
        message = str(refusal)
        form.name.errors = [f"{message[:1].upper()}{message[1:]}."]
        return _page(form), 422
    # The value is on this answer only: never stored, never cached, never shown again.
    response = _page(TokenForm(formdata=None), created=token, raw=raw)
    return response, 201, {"Cache-Control": "no-store"}


# What a download says of each token: never its value, nor its digest, nor its first
# characters (part of the value).
EXPORT_HEADER = ("Name", "Scopes", "Created", "Last used", "Revoked")


@blueprint.get("/export.<any(csv, xlsx):fmt>")
@staff_required(StaffRole.ADMIN)
def export(fmt: str):
    """Every token as the page lists them (those still working first, newest first)."""
    rows = (
        (token.name, token.scopes, token.created_at, token.last_used_at, token.revoked_at)
        for token in service.newest_first()
    )
    return exports.download(fmt, f"api-tokens-{now():%Y-%m-%d}", EXPORT_HEADER, rows)


@blueprint.get("/<id:token_id>/revoke")
@staff_required(StaffRole.ADMIN)
def confirm_revoke(token_id: int):
    return render_template("console/token_revoke.html", token=service.get(token_id=token_id))


@blueprint.post("/<id:token_id>/revoke")
@staff_required(StaffRole.ADMIN)
def revoke(token_id: int):
    token = service.revoke(name=service.get(token_id=token_id).name)
    flash(f"The token {token.name!r} is revoked: requests with it are refused from now on.")
    return redirect(url_for(".index"))
