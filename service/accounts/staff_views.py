"""Admins: the staff list, a member's live sessions (revoke one, or all), disable and enable."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user

from service.accounts import service, sessions
from service.accounts.models import SessionEnd, StaffRole
from service.database import transaction
from service.web.staff import staff_required

blueprint = Blueprint("staff_console", __name__, url_prefix="/console/staff")


@blueprint.get("/")
@staff_required(StaffRole.ADMIN)
def index():
    return render_template(
        "console/staff.html", staff=service.everyone(), live=sessions.live_counts()
    )


@blueprint.get("/<int:user_id>")
@staff_required(StaffRole.ADMIN)
def show(user_id: int):
    return render_template(
        "console/staff_member.html",
        member=service.get(user_id=user_id),
        live=sessions.live_sessions(user_id=user_id),
    )


@blueprint.post("/<int:user_id>/sessions/end")
@staff_required(StaffRole.ADMIN)
def end_sessions(user_id: int):
    member = service.get(user_id=user_id)
    with transaction():
        ended = sessions.end_all(
            user_id=user_id, why=SessionEnd.REVOKED, by_user_id=current_user.id
        )
    flash(f"Signed {member.full_name} out of {ended} session{'s' if ended != 1 else ''}.")
    return redirect(url_for(".show", user_id=user_id))


@blueprint.post("/<int:user_id>/disable")
@staff_required(StaffRole.ADMIN)
def disable(user_id: int):
    return _set_active(user_id, active=False)


@blueprint.post("/<int:user_id>/enable")
@staff_required(StaffRole.ADMIN)
def enable(user_id: int):
    return _set_active(user_id, active=True)


def _set_active(user_id: int, *, active: bool):
    try:
        member = service.set_active(user_id=user_id, active=active, by_user_id=current_user.id)
    except ValueError as error:
        flash(f"{str(error).capitalize()}.", "error")
    else:
        if active:
            flash(f"{member.full_name} can sign in again.")
        else:
            flash(f"{member.full_name} is disabled and signed out everywhere.")
    return redirect(url_for(".show", user_id=user_id))
