"""The import page's upload form (the column mapping that follows is read against the
file's own headers, which no form declared in advance can name)."""

from __future__ import annotations

from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, SelectField, validators

from service.web.forms import ConsoleForm, Id, choices_of, one_of

ROLES = ("mentor", "mentee", "guardian")


class ImportUploadForm(ConsoleForm):
    """A spreadsheet to import into a program: everyone in it, or only the rows of one role;
    as approved participants, or as applications to screen."""

    program_id = Id(
        "Program", validators=[validators.InputRequired("Choose the program to import into.")]
    )
    role = SelectField(
        "Role",
        choices=choices_of(["", *ROLES]),
        validate_choice=False,
        validators=one_of(ROLES, "Choose a role, or none.", optional=True),
    )
    as_applications = BooleanField("As applications")
    file = FileField("File", validators=[FileRequired("Choose a file to import.")])
