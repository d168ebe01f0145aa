"""Signing in and out of the console, forgotten passwords, invitations, one's own settings
and sessions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from service.accounts import reset, service, sessions
from service.accounts.forms import EmailChoicesForm, ForgotForm, PasswordForm, SignInForm
from service.accounts.models import ALWAYS_EMAILED, EMAIL_KINDS, User
from service.web import limits
from service.web.staff import begin_session, current_session_id, end_session, staff_required

blueprint = Blueprint("accounts", __name__, url_prefix="/console")


@blueprint.app_template_filter("duration")
def duration(value: timedelta) -> str:
    """12:00:00 → '12 hours', 0:30:00 → '30 minutes'."""
    minutes = int(value.total_seconds() // 60)
    if minutes % 60:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    hours = minutes // 60
    return f"{hours} hour{'s' if hours != 1 else ''}"


def _safe_next(target: str | None) -> str:
    """Only local console paths: never send someone off-site after signing in."""
    if target and target.startswith("/console") and "//" not in target and "\\" not in target:
        return target
    return url_for("console.dashboard")


@blueprint.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("console.dashboard"))
    form = SignInForm()
    refused = None
    if form.validate_on_submit():
        try:
            user = service.authenticate(email=form.email.data, password=form.password.data)
        except service.SignInRefused as error:
            refused = error.message
        else:
            begin_session(user)
            return redirect(_safe_next(request.args.get("next")))
    status = 401 if refused else (422 if form.errors else 200)
    return render_template("console/login.html", form=form, refused=refused), status


@limits.page_for("accounts.login")
def _sign_in_throttled(wait: str) -> str:
    refused = f"Too many failed attempts from here. Wait {wait}, then try again."
    return render_template("console/login.html", form=SignInForm(), refused=refused)


@blueprint.post("/logout")
@staff_required()
def logout():
    end_session()
    flash("You are signed out.")
    return redirect(url_for("accounts.login"))


@blueprint.route("/settings", methods=["GET", "POST"])
@staff_required()
def settings():
    password_form = PasswordForm(prefix="pw")
    email_form = EmailChoicesForm()
    if request.method == "POST" and email_form.section.data == "email" and email_form.validate():
        chosen = {kind: kind in email_form.email.data for kind in EMAIL_KINDS}
        service.set_email_preferences(user_id=current_user.id, preferences=chosen)
        flash("Your e-mail choices are saved.")
        return redirect(url_for(".settings"))
    if request.method == "POST" and password_form.validate_on_submit():
        user_id = current_user.id
        service.set_password(user_id=user_id, password=password_form.password.data)
        begin_session(service.get(user_id=user_id))  # every session ended: a fresh one here
        flash("Your password is changed. Your other sessions are signed out.")
        return redirect(url_for(".settings"))
    return render_template(
        "console/settings.html",
        kinds=EMAIL_KINDS,
        always=ALWAYS_EMAILED,
        password_form=password_form,
        preferences=current_user.email_preferences,
    )


# ---------------------------------------------------------------------------- own sessions


@blueprint.get("/sessions")
@staff_required()
def my_sessions():
    return render_template(
        "console/sessions.html",
        live=sessions.live_sessions(user_id=current_user.id),
        this_session=current_session_id(),
    )


@blueprint.post("/sessions/<int:session_id>/revoke")
@staff_required()
def revoke_session(session_id: int):
    record = sessions.revoke(session_id=session_id, by=current_user)
    if record.user_id != current_user.id:
        return redirect(url_for("staff_console.show", user_id=record.user_id))
    flash("That session is signed out.")
    return redirect(url_for(".my_sessions"))


@blueprint.post("/sessions/revoke-others")
@staff_required()
def revoke_other_sessions():
    ended = sessions.revoke_others(user=current_user, keep_session_id=current_session_id() or 0)
    flash(f"Signed out {ended} other session{'s' if ended != 1 else ''}.")
    return redirect(url_for(".my_sessions"))


# ---------------------------------------------------------------------------- password reset


@blueprint.route("/forgot-password", methods=["GET", "POST"])
def forgot_password():
    form = ForgotForm()
    if form.validate_on_submit():
        reset.request_reset(email=form.email.data)
        # The same answer whether or not an account has this address.
        return render_template(
            "console/forgot_password.html",
            form=form,
            sent_to=form.email.data,
            minutes=reset.max_age_minutes(),
        )
    status = 422 if form.errors else 200
    return render_template("console/forgot_password.html", form=form), status


@limits.page_for("accounts.forgot_password")
def _reset_throttled(wait: str) -> str:
    return render_template("console/forgot_password.html", form=ForgotForm(), wait=wait)


@blueprint.route("/reset-password/<credential:token>", methods=["GET", "POST"])
def reset_password(token: str):
    return _password_page(
        token,
        reset.user_for,
        reset.reset,
        "console/reset_password.html",
        "Your password is set, and every session was signed out. Sign in with it now.",
    )


# ---------------------------------------------------------------------------- invitations


@blueprint.route("/welcome/<credential:token>", methods=["GET", "POST"])
def welcome(token: str):
    """An invited member of staff chooses their first password."""
    return _password_page(
        token,
        reset.invited_user_for,
        reset.accept,
        "console/welcome.html",
        "Your password is set. Sign in with your e-mail address and it now.",
    )


def _password_page(
    token: str,
    user_for: Callable[[str], User],
    set_password: Callable[..., object],
    template: str,
    done: str,
) -> ResponseReturnValue:
    """A page a single-use link opens to choose a password (a reset, or an invitation)."""
    try:
        user = user_for(token)
    except reset.ResetLinkInvalid:
        return render_template(template, invalid=True), 410
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            set_password(token=token, password=form.password.data or "")
        except reset.ResetLinkInvalid:
            return render_template(template, invalid=True), 410
        if current_user.is_authenticated:
            end_session()
        flash(done)
        return redirect(url_for(".login"))
    status = 422 if form.errors else 200
    return render_template(template, form=form, user=user), status
