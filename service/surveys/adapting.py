"""A program adapting a survey in the console: questions reworded, reordered, dropped or
added to the survey as the program asks it now, checked exactly as a definition file or the
API's are (the same parser), previewed, then published as the program's next version."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from service.errors import Invalid
from service.surveys import versions
from surveys.definition import DefinitionError, SurveyDefinition, parse

# What a question added in the console may be: the kinds that need nothing more than a
# label (a choice question's choices, and their signals, are written in a definition file).
NEW_QUESTION_TYPES: dict[str, str] = {
    "short_text": "A short text answer",
    "long_text": "A long text answer",
    "yes_no": "Yes or no",
    "likert": "Agree or disagree, on five points",
    "rating": "A rating from 1 to 10",
}


@dataclass(frozen=True)
class Reworded:
    """An existing question as the editor left it."""

    key: str
    label: str
    position: int
    drop: bool = False


@dataclass(frozen=True)
class Added:
    key: str
    type: str
    label: str
    required: bool
    position: int


def current(*, program_id: int, survey_key: str) -> tuple[int, dict[str, Any]]:
    """The version a new invitation of the program gets now, and its definition as data."""
    version = versions.current_version(survey_key=survey_key, program_id=program_id)
    data = version.definition if version.program_id else versions.standard_data(survey_key)
    return version.version, copy.deepcopy(dict(data))


def adapted(
    data: dict[str, Any],
    *,
    title: str,
    intro: str,
    questions: Sequence[Reworded],
    added: Added | None = None,
) -> dict[str, Any]:
    """`data` with the editor's changes: what it does not show (choices, rules, signals,
    who sees each answer) is kept as it was."""
    by_key = {question["key"]: question for question in data.get("questions", [])}
    placed: list[tuple[int, int, dict[str, Any]]] = []
    for order, edit in enumerate(questions):
        if edit.drop or edit.key not in by_key:
            continue
        placed.append((edit.position, order, {**by_key[edit.key], "label": edit.label}))
    if added is not None:
        question: dict[str, Any] = {
            "key": added.key,
            "type": added.type,
            "label": added.label,
            "required": added.required,
        }
        placed.append((added.position, -1, question))  # before the one now at its place
    ordered = [question for _, _, question in sorted(placed, key=lambda item: item[:2])]
    return {**data, "title": title, "intro": intro, "questions": ordered}


def checked(*, program_id: int, survey_key: str, data: dict[str, Any]) -> SurveyDefinition:
    """The adapted survey as the parser reads it, or Invalid naming what is wrong (and the
    question, when it is one): what publishing it would refuse."""
    standard = versions.standard_definition(survey_key)
    attempt = {**data, "key": survey_key, "version": data.get("version", 1)}
    attempt.setdefault("purpose", standard.purpose)
    attempt.setdefault("audience", list(standard.audience))
    try:
        return parse(attempt, source=f"program {program_id}'s version of {survey_key}")
    except DefinitionError as error:
        field = f"questions.{error.question}" if error.question else "definition"
        raise Invalid(field, error.problem) from None
