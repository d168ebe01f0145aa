"""The console's own account forms: signing in, a new password, which e-mails to get."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField, validators

from service.accounts import service
from service.accounts.models import EMAIL_KINDS
from service.web.forms import Choices, ConsoleForm, choices_of


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


class ForgotForm(FlaskForm):
    email = EmailField("E-mail address", [validators.InputRequired("Enter your e-mail address")])


class EmailChoicesForm(ConsoleForm):
    section = StringField()
    email = Choices(choices=choices_of(EMAIL_KINDS))
