"""The mentee's choice: one of the mentors offered, and the page's own CSRF token."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import RadioField, validators

CHOOSE_ONE = "Choose one of the mentors."


class ChoiceForm(FlaskForm):
    # Every mentor offered is a valid answer: one who cannot be matched any more is refused
    # by the service, in words, and the others stay open.
    mentor_id = RadioField(
        "Your mentor", coerce=int, validate_choice=False, validators=[validators.InputRequired()]
    )

    def __init__(self, *args: Any, offered: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.offered = offered
        self.mentor_id.choices = [(mentor_id, str(mentor_id)) for mentor_id in offered]

    def validate_mentor_id(self, field: RadioField) -> None:
        if field.data not in self.offered:
            raise validators.ValidationError(CHOOSE_ONE)
