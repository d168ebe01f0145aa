"""A response's answers, read with the questions of the version they were given under."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from service.database import db
from service.pairs.bounds import GOAL_PROGRESS
from service.pairs.models import AgreementGoal
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
    return shown + _goal_answers(response)


GOAL_PREFIX = "goal_"


def _goal_answers(response: SurveyResponse) -> list[ShownAnswer]:
    """Progress on the pair's agreed goals: asked beside the survey's own questions (see
    `service.pairs.agreement`), so read with the goal each names, even one since retired."""
    ids = {
        int(key.removeprefix(GOAL_PREFIX)): key
        for key in response.answers
        if key.startswith(GOAL_PREFIX) and key.removeprefix(GOAL_PREFIX).isdigit()
    }
    if not ids:
        return []  # No query for the many responses about no goal.
    goals = db.session.scalars(
        sa.select(AgreementGoal)
        .where(AgreementGoal.id.in_(ids), AgreementGoal.pair_id == response.pair_id)
        .order_by(AgreementGoal.position, AgreementGoal.id)
    )
    shown = []
    for goal in goals:
        value = response.answers[ids[goal.id]]
        label = GOAL_PROGRESS.get(int(value), str(value)) if str(value).isdigit() else str(value)
        shown.append(
            ShownAnswer(
                ids[goal.id],
                f"Progress on the goal “{goal.title}”",
                "single_choice",
                value,
                label,
                "pair",
                False,
            )
        )
    return shown
