"""Program settings in the console: the calendar, approvals, meetings, reminders, surveys."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from service.database import db
from service.problems import Problem
from service.programs import service
from service.programs.models import Program
from service.surveys import versions
from service.web.refusals import REFUSALS
from service.web.staff import staff_required
from surveys import loader
from workflows.cadence import POLICIES
from workflows.pairing import Trigger
from workflows.playbook import APPROACHES
from workflows.signals import SIGNALS

blueprint = Blueprint("programs_console", __name__, url_prefix="/console/programs")

NUMBERS = {
    "reminder_after_days": (1, 30),
    "reminders_max": (0, 5),
    "staff_contact_grace_days": (1, 60),
    "closure_notice_days": (1, 180),
    "rematch_buffer_days": (0, 90),
    "invitation_valid_days": (1, 90),
    "rating_drop_threshold": (1, 9),
    "rating_divergence_gap": (1, 9),
    "cancellations_to_flag": (1, 20),
    "cancellation_window_days": (1, 180),
    "late_notice_hours": (1, 168),
}
OPTIONAL_NUMBERS = {"no_meeting_alert_days": (1, 365), "match_length_months": (1, 60)}


def _number(name: str, low: int, high: int, *, optional: bool = False) -> int | None:
    raw = request.form.get(name, "").strip()
    if optional and not raw:
        return None
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise Problem(
            "validation-error",
            f"{name.replace('_', ' ').capitalize()}: a whole number from {low} to {high}.",
        )
    return int(raw)


@blueprint.get("")
@staff_required("admin", "coordinator")
def index():
    programs = db.session.scalars(sa.select(Program).order_by(Program.name)).all()
    return render_template("console/programs.html", programs=programs)


@blueprint.route("/<id:program_id>", methods=["GET", "POST"])
@staff_required("admin", "coordinator")
def settings(program_id: int):
    program = service.get(program_id=program_id)
    if request.method == "POST":
        try:
            changes: dict[str, Any] = {
                name: _number(name, *bounds) for name, bounds in NUMBERS.items()
            }
            changes |= {n: _number(n, *b, optional=True) for n, b in OPTIONAL_NUMBERS.items()}
            policy = request.form.get("cadence_policy")
            if policy not in POLICIES:
                raise Problem("validation-error", "Choose a cadence policy.")
            changes["cadence_policy"] = policy
            changes["approval_required"] = sorted(
                t for t in request.form.getlist("approval_required") if t in set(Trigger)
            )
            changes["allow_self_approval"] = request.form.get("allow_self_approval") == "yes"
            period = request.form.get("requirement_period", "")
            if period in ("week", "month"):
                meetings = _number("requirement_meetings", 0, 50)
                minutes = _number("requirement_minutes", 0, 10_000)
                if not meetings and not minutes:
                    raise Problem(
                        "validation-error", "A meeting requirement needs meetings or minutes."
                    )
                changes["meeting_requirement"] = {
                    "period": period,
                    "meetings": meetings,
                    "minutes": minutes,
                }
            else:
                changes["meeting_requirement"] = None
            changes["playbook"] = {
                code: text.strip()
                for code in SIGNALS
                if (text := request.form.get(f"playbook_{code}", "")).strip()
                and text.strip() != APPROACHES.get(code, "")
            }
            service.ensure_may_loosen_approvals(g.actor, program, changes)
            service.update(program_id=program.id, **changes)
        except REFUSALS as problem:
            flash(problem.detail, "error")
        else:
            flash("The settings are saved; every pair's calendar follows them from now on.")
        return redirect(url_for(".settings", program_id=program.id))
    by_survey = {
        key: versions.versions(survey_key=key, program_id=program.id)
        for key in sorted(loader.standard())
    }
    db.session.commit()
    return render_template(
        "console/program_settings.html",
        program=program,
        policies=POLICIES,
        triggers=list(Trigger),
        numbers=NUMBERS,
        optional_numbers=OPTIONAL_NUMBERS,
        signals=SIGNALS,
        approaches=APPROACHES,
        versions=by_survey,
    )
