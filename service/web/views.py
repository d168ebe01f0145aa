"""The pages a newcomer sees before the console exists: what runs, and how to talk to it."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, Response, current_app, render_template, request, send_from_directory

from service.database import db
from service.pairs.models import Pair
from service.problems import html_error
from workflows.pairing import State

blueprint = Blueprint("web", __name__)


@blueprint.before_app_request
def refuse_nul_in_forms():
    """Console forms are read field by field; text with NUL cannot be stored (PostgreSQL
    refuses it), so refuse the form before any view reads it. Survey pages say it beside
    the answer instead (surveys.forms.no_nul), and the API answers a 422."""
    if request.method != "POST" or request.path.startswith(("/api/", "/s/")):
        return None
    if any("\x00" in value for _, values in request.form.lists() for value in values):
        return html_error(
            400,
            "A field could not be read",
            "One of the fields contains an invisible NUL character (it can come with pasted "
            "text), so nothing was saved. Go back, type that text again, and send the form.",
        )
    return None


# A vendored library's folder is named for its version (static/vendor/<lib>-<version>/): a
# new version is a new URL, so browsers may keep these files for a year without asking.
VENDOR_MAX_AGE = 365 * 24 * 3600


@blueprint.after_app_request
def cache_vendored_files(response: Response) -> Response:
    filename = (request.view_args or {}).get("filename", "")
    vendored = request.endpoint == "static" and filename.startswith("vendor/")
    if vendored and response.status_code == 200:
        response.cache_control.public = True
        response.cache_control.max_age = VENDOR_MAX_AGE
        response.cache_control.immutable = True
        response.cache_control.no_cache = None
    return response


@blueprint.get("/")
def index():
    counts = dict(
        db.session.execute(sa.select(Pair.state, sa.func.count()).group_by(Pair.state)).all()
    )
    states = [(state.value, counts.get(state.value, 0)) for state in State]
    return render_template("index.html", states=states, total=sum(counts.values()))


@blueprint.get("/favicon.ico")
def favicon():
    """Browsers ask for it at the root, whatever the page's links say; served by the app, so
    programs on closed networks need nothing else."""
    return send_from_directory(
        current_app.static_folder or "static",
        "favicon.ico",
        mimetype="image/vnd.microsoft.icon",
        max_age=86400,
    )
