"""The console's form for a new API token: the same names and scopes the CLI accepts."""

from __future__ import annotations

from wtforms import ValidationError

from service.tokens.service import NAME_MAX, SCOPES
from service.web.forms import Choices, ConsoleForm, Text, at_most, choices_of


class TokenForm(ConsoleForm):
    name = Text(
        "Name",
        at_most("Name", NAME_MAX, required="Give the token a name, e.g. the service using it."),
    )
    scopes = Choices("Scopes", choices=choices_of(SCOPES))

    def validate_scopes(self, field: Choices) -> None:
        if not field.data:
            raise ValidationError("Choose at least one scope: what the service may do.")
