"""Survey definitions compiled into Flask-WTF form classes, and answers read back out."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    Field,
    IntegerField,
    RadioField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    validators,
    widgets,
)
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # WTForms 3.2+; types-WTForms lacks it

from surveys.definition import Condition, Question, SurveyDefinition


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class ShownWhen:
    """Validate a conditional question only when it is shown; otherwise drop its answer."""

    def __init__(self, condition: Condition) -> None:
        self.condition = condition

    def __call__(self, form: FlaskForm, field: Field) -> None:
        controller = form[self.condition.question].data
        if controller is None or str(controller) not in self.condition.values:
            field.errors = []
            field.data = [] if isinstance(field, SelectMultipleField) else None
            raise validators.StopValidation()


NUL_MESSAGE = (
    "This answer contains a NUL character (it can come with pasted text, and may show as �), "
    "which cannot be saved. Please remove it, or type the answer again."
)


def no_nul(form: FlaskForm, field: Field) -> None:
    """Text with NUL cannot be stored (PostgreSQL refuses it): say so on the page, as the
    API answers a 422, rather than fail when saving."""
    if isinstance(field.data, str) and "\x00" in field.data:
        raise validators.ValidationError(NUL_MESSAGE)


def _required(question: Question) -> validators.InputRequired:
    messages = {
        "single_choice": "Choose an answer",
        "yes_no": "Choose yes or no",
        "likert": "Choose how much you agree",
        "rating": "Choose a rating",
        "multiple_choice": "Choose at least one answer",
        "number": "Enter a number",
        "date": "Enter a date",
        "consent": "You need to agree to continue",
    }
    return validators.InputRequired(message=messages.get(question.type, "Answer this question"))


def _field(question: Question) -> Field:
    chain: list[Any] = []
    if question.show_if:
        chain.append(ShownWhen(question.show_if))
    chain.append(_required(question) if question.required else validators.Optional())
    options = [SelectChoice(c.value, c.label) for c in question.options]
    kind = question.type
    if kind in ("single_choice", "yes_no"):
        return RadioField(question.label, choices=options, validators=chain)
    if kind in ("likert", "rating"):
        # Whole numbers, so rules and trends compare them as numbers.
        return RadioField(question.label, choices=options, coerce=int, validators=chain)
    if kind == "multiple_choice":
        return MultiCheckboxField(question.label, choices=options, validators=chain)
    if kind == "number":
        low, high = question.min, question.max
        message = (
            f"Enter a whole number from {low} to {high}"
            if low is not None and high is not None
            else "Enter a whole number in range"
        )
        chain.append(validators.NumberRange(min=low, max=high, message=message))
        return IntegerField(question.label, validators=chain)
    if kind == "date":
        return DateField(question.label, validators=chain, format="%Y-%m-%d")
    if kind in ("text", "long_text"):
        if question.max_length is None:  # the definition gives every text question one
            raise ValueError(f"text question {question.key!r} has no max_length")
        chain.append(
            validators.Length(
                max=question.max_length,
                message=f"Use no more than {question.max_length} characters",
            )
        )
        chain.append(no_nul)
        field_class = StringField if kind == "text" else TextAreaField
        return field_class(question.label, validators=chain, filters=[_strip])
    if kind == "consent":
        chain[-1] = (
            validators.InputRequired(message="You need to agree to continue")
            if question.required
            else validators.Optional()
        )
        return BooleanField(question.label, validators=chain)
    raise ValueError(f"no field for question type {kind!r}")


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def form_class(definition: SurveyDefinition) -> type[FlaskForm]:
    """A FlaskForm class with one field per question, named by the question's key."""
    fields = {question.key: _field(question) for question in definition.questions}
    name = "".join(part.title() for part in definition.key.split("_")) + "Form"
    return type(name, (FlaskForm,), fields)


def is_shown(question: Question, answers: dict[str, Any]) -> bool:
    if question.show_if is None:
        return True
    return str(answers.get(question.show_if.question)) in question.show_if.values


def answers_from(form: FlaskForm, definition: SurveyDefinition) -> dict[str, Any]:
    """Answers as JSON values, keyed by question; unanswered and hidden questions left out."""
    answers: dict[str, Any] = {}
    for question in definition.questions:
        value = form[question.key].data
        if not is_shown(question, answers) or value in (None, "", []):
            continue
        if question.type == "date":
            value = value.isoformat()
        elif question.type == "consent":
            if not value:
                continue
            value = True
        answers[question.key] = value
    return answers
