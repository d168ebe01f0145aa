"""The console's own account forms: signing in, a new password, which e-mails to get."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField, validators

from service.accounts import service
from service.accounts.models import EMAIL_KINDS, StaffRole
from service.web.forms import Choices, ConsoleForm, Text, at_most, choices_of, one_of

# What each role may do, as the staff pages explain it.
ROLES: dict[str, str] = {
    StaffRole.ADMIN: "Everything coordinators do, and staff accounts, API tokens, webhooks, "
    "the access log; reopens closed pairs.",
    StaffRole.COORDINATOR: "Every pair of the program: approvals, check-ins, interventions, "
    "re-matches, closures, program settings.",
    StaffRole.SUPPORT: "Only the pairs assigned to them: reads and records, decides nothing.",
}


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


def _stripped(value: str | None) -> str | None:
    return value.strip() if value else value


class InviteForm(ConsoleForm):
    email = EmailField(
        "E-mail address",
        filters=[_stripped],
        validators=[
            validators.InputRequired("Enter their e-mail address."),
            validators.Length(max=254, message="E-mail address: at most 254 characters."),
            validators.Regexp(
                r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
                message="Enter an e-mail address like name@example.org.",
            ),
        ],
    )
    full_name = Text("Full name", at_most("Full name", 200, required="Enter their full name."))
    role = StringField("Role", one_of(ROLES, "Choose a role."))


class RoleForm(ConsoleForm):
    role = StringField("Role", one_of(ROLES, "Choose a role."))
