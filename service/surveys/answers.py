"""A response's answers, read with the questions of the version they were given under."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from service.surveys.models import SurveyResponse
from service.surveys.versions import definition_of


@dataclass(frozen=True)
class ShownAnswer:
    key: str
    label: str
    type: str
    value: Any
    display: str
    visibility: str
    safety: bool


def readable_answers(response: SurveyResponse) -> list[ShownAnswer]:
    """The answers with the questions of the version they were given under."""
    definition = definition_of(response.survey_version)
    shown: list[ShownAnswer] = []
    for question in definition.questions:
        if question.key not in response.answers:
            continue
        value = response.answers[question.key]
        if question.type == "multiple_choice":
            display = ", ".join(question.choice_label(v) for v in value)
        elif question.options:
            display = question.choice_label(value)
        elif question.type == "consent":
            display = "Agreed"
        else:
            display = str(value)
        shown.append(
            ShownAnswer(
                question.key,
                question.label,
                question.type,
                value,
                display,
                question.visibility,
                question.safety,
            )
        )
    return shown
