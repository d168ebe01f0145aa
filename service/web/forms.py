"""What every console form shares: its base class, the fields whose messages the console
words itself, and how a form's first error becomes the refusal shown on the page."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    Field,
    IntegerField,
    SelectMultipleField,
    StringField,
    validators,
    widgets,
)
from wtforms.validators import StopValidation

from service.problems import Problem
from service.schemas import MAX_ID


class ConsoleForm(FlaskForm):
    """A form posted from a console page."""

    class Meta:
        # CSRFProtect has checked the token of every POST before the view runs.
        csrf = False


class Text(StringField):
    """Text, stripped; an empty box is None, as the services expect of a missing value."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        super().process_formdata(valuelist)
        self.data = (self.data or "").strip() or None


class WholeNumber(IntegerField):
    """A whole number, refused in the console's words when it is not one (WTForms would say
    'Not a valid integer value'). Its range comes from a `NumberRange` given with it."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        raw = valuelist[0].strip() if valuelist else ""
        self.raw_data = valuelist
        if not raw:
            self.data = None
        elif all_digits(raw):
            self.data = int(raw)
        else:
            self.data = None
            raise ValueError(self.gettext(_range_message(self)))


def parse_stripped(
    field: Field, valuelist: list[Any], parse: Callable[[str], Any], refusal: str
) -> None:
    """Set `field.data` from the text posted, stripped: None when empty, else `parse(text)`;
    a text `parse` refuses is the form error `refusal`."""
    raw = valuelist[0].strip() if valuelist else ""
    field.raw_data = valuelist
    field.data = None
    if raw:
        try:
            field.data = parse(raw)
        except ValueError:
            raise ValueError(refusal) from None


class Day(DateField):
    """A date like 2026-12-01, or None when left empty."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        parse_stripped(
            self, valuelist, date.fromisoformat, f"{self.label.text}: use a date like 2026-12-01."
        )

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return self.data.isoformat() if self.data else ""


class Id(IntegerField):
    """A row's id from a choice on the page, or None when none is chosen."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        raw = valuelist[0].strip() if valuelist else ""
        self.raw_data = valuelist
        # Ids are 32-bit in PostgreSQL: a bigger one names no row (and would be a 500).
        self.data = int(raw) if all_digits(raw) and int(raw) <= MAX_ID else None


def all_digits(raw: str) -> bool:
    """ASCII digits only: str.isdigit() also takes "²" and other digits int() refuses."""
    return raw.isascii() and raw.isdigit()


def choices_of(values: Iterable[object]) -> list[Any]:
    """WTForms choices whose labels are their values: plain strings, since WTForms 3.3
    deprecates (value, label) tuples; its stubs still know only tuples, hence `Any`."""
    return [str(value) for value in values]


class Choices(SelectMultipleField):
    """Checkboxes: the values ticked, each one of `choices`."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def one_of(values: Any, message: str, *, optional: bool = False) -> list[Any]:
    """One of `values`; `optional`: or nothing at all."""
    first = validators.Optional() if optional else validators.InputRequired(message)
    return [first, validators.AnyOf([str(v) for v in values], message)]


def between(label: str, bounds: tuple[int, int], *, optional: bool = False) -> list[Any]:
    """A whole number within `bounds` (both included): required, unless `optional`."""
    low, high = bounds
    message = f"{label}: a whole number from {low} to {high}."
    first = validators.Optional() if optional else validators.InputRequired(message)
    return [first, validators.NumberRange(low, high, message)]


def at_most(label: str, maximum: int, *, required: str | None = None) -> list[Any]:
    """Text of at most `maximum` characters; `required` is the message when it is empty."""
    first = validators.DataRequired(required) if required else validators.Optional()
    return [
        first,
        validators.Length(max=maximum, message=f"{label}: at most {maximum} characters."),
    ]


def skip_unless(other: str, *values: str):
    """Validate this field only when the form's `other` field is one of `values` (and drop
    what reading it found wrong otherwise): what is not asked for cannot be wrong."""

    def check(form: FlaskForm, field: Field) -> None:
        if form[other].data not in values:
            field.errors = []
            raise StopValidation()

    return check


def _range_message(field: Field) -> str:
    for validator in field.validators:
        if isinstance(validator, validators.NumberRange):
            return f"{field.label.text}: a whole number from {validator.min} to {validator.max}."
    return f"{field.label.text}: a whole number."


def first_error(form: FlaskForm) -> str:
    """The first thing wrong with the form, worded for the page (in a list of subforms,
    the first wrong field of the first wrong one)."""
    return _first_message(form.errors) or "Check the form."


def _first_message(errors: object) -> str | None:
    if isinstance(errors, str):
        return errors
    items = errors.values() if isinstance(errors, Mapping) else errors
    if not isinstance(items, Iterable):
        return None
    for item in items:
        if found := _first_message(item):
            return found
    return None


def validated(form: FlaskForm) -> FlaskForm:
    """The form, once valid; otherwise its first error is refused like any other refusal
    (shown in a flash message on the page the form came from)."""
    if not form.validate():
        raise Problem("validation-error", first_error(form))
    return form
