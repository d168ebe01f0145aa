"""Signing in and out of the console, and one's own settings."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, validators

from service.accounts import service
from service.accounts.models import ALWAYS_EMAILED, EMAIL_KINDS
from service.web.staff import staff_required

blueprint = Blueprint("accounts", __name__, url_prefix="/console")


class SignInForm(FlaskForm):
    email = EmailField("E-mail address", [validators.InputRequired("Enter your e-mail address")])
    password = PasswordField("Password", [validators.InputRequired("Enter your password")])


class PasswordForm(FlaskForm):
    password = PasswordField(
        "New password",
        [
            validators.InputRequired("Enter a new password"),
            validators.Length(
                min=service.MIN_PASSWORD_LENGTH,
                message=f"Use at least {service.MIN_PASSWORD_LENGTH} characters",
            ),
        ],
    )
    confirm = PasswordField(
        "New password again",
        [validators.EqualTo("password", message="The two passwords are not the same")],
    )


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
            user = service.authenticate(
                email=form.email.data, password=form.password.data, address=request.remote_addr
            )
        except service.SignInRefused as error:
            refused = error.message
        else:
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
    status = 401 if refused else (422 if form.errors else 200)
    return render_template("console/login.html", form=form, refused=refused), status


@blueprint.post("/logout")
@staff_required()
def logout():
    logout_user()
    flash("You are signed out.")
    return redirect(url_for("accounts.login"))


@blueprint.route("/settings", methods=["GET", "POST"])
@staff_required()
def settings():
    password_form = PasswordForm(prefix="pw")
    if request.method == "POST" and request.form.get("section") == "email":
        chosen = {kind: kind in request.form.getlist("email") for kind in EMAIL_KINDS}
        service.set_email_preferences(user_id=current_user.id, preferences=chosen)
        flash("Your e-mail choices are saved.")
        return redirect(url_for(".settings"))
    if request.method == "POST" and password_form.validate_on_submit():
        service.set_password(user_id=current_user.id, password=password_form.password.data)
        login_user(service.get(user_id=current_user.id))  # a fresh session for the new password
        flash("Your password is changed. Other sessions are signed out.")
        return redirect(url_for(".settings"))
    return render_template(
        "console/settings.html",
        kinds=EMAIL_KINDS,
        always=ALWAYS_EMAILED,
        password_form=password_form,
        preferences=current_user.email_preferences,
    )
