"""Admins: the staff list (and its download), invitations, a member's role and live
sessions (revoke one, or all), disable and enable."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user

from service import exports
from service.accounts import reset, service, sessions
from service.accounts.forms import ROLES, InviteForm, RoleForm
from service.accounts.models import SessionEnd, StaffRole, User
from service.clock import now
from service.database import transaction
from service.web.staff import staff_required

blueprint = Blueprint("staff_console", __name__, url_prefix="/console/staff")


def _sentence(error: Exception) -> str:
    message = str(error)
    return f"{message[:1].upper()}{message[1:]}."


def _index(form: InviteForm):
    return render_template(
        "console/staff.html",
        staff=service.everyone(),
        live=sessions.live_counts(),
        form=form,
        roles=ROLES,
        days=reset.invitation_days(),
    )


@blueprint.get("/")
@staff_required(StaffRole.ADMIN)
def index():
    return _index(InviteForm(formdata=None))


EXPORT_HEADER = ("Name", "E-mail", "Role", "Account", "Live sessions", "Added on")


def account_state(member: User) -> str:
    """The account's state: disabled, invited (no password chosen yet) or active."""
    if not member.active:
        return "disabled"
    return "active" if member.password_hash else "invited"


@blueprint.get("/export.<any(csv, xlsx):fmt>")
@staff_required(StaffRole.ADMIN)
def export(fmt: str):
    """Everyone who can sign in, as the page lists them: never a password's hash."""
    live = sessions.live_counts()
    rows = (
        (
            member.full_name,
            member.email,
            member.role,
            account_state(member),
            live.get(member.id, 0),
            member.created_at,
        )
        for member in service.everyone()
    )
    return exports.download(fmt, f"staff-{now():%Y-%m-%d}", EXPORT_HEADER, rows)


@blueprint.post("/invite")
@staff_required(StaffRole.ADMIN)
def invite():
    form = InviteForm()
    if not form.validate():
        return _index(form), 422
    try:
        member = reset.invite(
            email=form.email.data or "",
            full_name=form.full_name.data or "",
            role=form.role.data or "",
            invited_by=current_user,
        )
    except ValueError as refusal:
        form.email.errors = [_sentence(refusal)]
        return _index(form), 422
    flash(
        f"{member.full_name} is invited: an e-mail to {member.email} has a link to set a "
        f"password, which works once, for {reset.invitation_days()} days."
    )
    return redirect(url_for(".show", user_id=member.id))


@blueprint.get("/<int:user_id>")
@staff_required(StaffRole.ADMIN)
def show(user_id: int):
    return _member_page(service.get(user_id=user_id), RoleForm(formdata=None))


def _member_page(member: User, role_form: RoleForm):
    return render_template(
        "console/staff_member.html",
        member=member,
        live=sessions.live_sessions(user_id=member.id),
        roles=ROLES,
        role_form=role_form,
        coordinated=service.coordinated_pairs(user_id=member.id),
        days=reset.invitation_days(),
    )


@blueprint.post("/<int:user_id>/role")
@staff_required(StaffRole.ADMIN)
def change_role(user_id: int):
    member = service.get(user_id=user_id)
    form = RoleForm()
    if not form.validate():
        return _member_page(member, form), 422
    if form.role.data == member.role:
        return redirect(url_for(".show", user_id=user_id))
    try:
        service.set_role(user_id=user_id, role=form.role.data or "", by_user_id=current_user.id)
    except ValueError as refusal:
        form.role.errors = [_sentence(refusal)]
        return _member_page(member, form), 422
    flash(f"{member.full_name} is now {member.role}, from their next page on.")
    return redirect(url_for(".show", user_id=user_id))


@blueprint.post("/<int:user_id>/invitation")
@staff_required(StaffRole.ADMIN)
def resend_invitation(user_id: int):
    member = service.get(user_id=user_id)
    try:
        reset.send_invitation(user=member, invited_by=current_user)
    except ValueError as refusal:
        flash(_sentence(refusal), "error")
    else:
        flash(f"The invitation is e-mailed to {member.email} again.")
    return redirect(url_for(".show", user_id=user_id))


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
