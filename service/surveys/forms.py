"""The console's form for adapting a survey; its bounds are the definition's own."""

from __future__ import annotations

from typing import Any

from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    SelectField,
    SubmitField,
    validators,
)

from service.surveys.adapting import NEW_QUESTION_TYPES, Added, Reworded
from service.web.forms import ConsoleForm, Text, WholeNumber, at_most, between, choices_of
from surveys.definition import KEY_PATTERN, MAX_LABEL

# A survey a person can answer in one sitting: positions run from 1 to this.
MOST_QUESTIONS = 100
MAX_TITLE = 200
MAX_INTRO = 2000


class QuestionRow(Form):
    """One existing question: its wording, its place, and whether to drop it."""

    key = HiddenField()
    # Not `label`: a field in a list of subforms answers to its own label by that name.
    wording = Text(
        "Question", at_most("Question", MAX_LABEL, required="Each question needs its wording.")
    )
    position = WholeNumber("Position", between("Position", (1, MOST_QUESTIONS)))
    drop = BooleanField("Drop this question")


class SurveyAdaptForm(ConsoleForm):
    title = Text("Title", at_most("Title", MAX_TITLE, required="The survey needs a title."))
    intro = Text("Introduction", at_most("Introduction", MAX_INTRO))
    questions = FieldList(FormField(QuestionRow), max_entries=MOST_QUESTIONS)
    new_label = Text("New question", at_most("New question", MAX_LABEL))
    new_key = Text(
        "Its name in exports and the API",
        [
            validators.Optional(),
            validators.Regexp(
                KEY_PATTERN,
                message="Its name: letters, digits and _ only, not starting with a digit.",
            ),
            validators.Length(max=60, message="Its name: at most 60 characters."),
        ],
    )
    new_type = SelectField(
        "How it is answered",
        choices=choices_of(NEW_QUESTION_TYPES),
        validate_choice=False,
        validators=[validators.AnyOf(list(NEW_QUESTION_TYPES), "Choose how it is answered.")],
        default="short_text",
    )
    new_required = BooleanField("An answer is required")
    new_position = WholeNumber(
        "Its position", between("Its position", (1, MOST_QUESTIONS), optional=True)
    )

    preview = SubmitField("Preview")
    publish = SubmitField("Publish")
    revise = SubmitField("Change it again")

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        if valid and self.new_label.data and not self.new_key.data:
            self.new_key.errors = ["Give the new question a name (letters, digits and _)."]
            return False
        return valid

    def reworded(self) -> list[Reworded]:
        return [
            Reworded(
                key=row.key.data,
                label=row.wording.data or "",
                position=row.position.data or index + 1,
                drop=bool(row.drop.data),
            )
            for index, row in enumerate(self.questions)
        ]

    def added(self) -> Added | None:
        if not self.new_label.data:
            return None
        return Added(
            key=self.new_key.data or "",
            type=self.new_type.data or "short_text",
            label=self.new_label.data,
            required=bool(self.new_required.data),
            position=self.new_position.data or MOST_QUESTIONS,
        )
