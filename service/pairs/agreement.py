"""The mentoring agreement: the road map a pair agrees at the joint workshop (goals, how
often and how they meet, ground rules, how they will handle "chemistry" problems), and
the progress on its goals that the pair's surveys ask about by name.

The goals are asked in the meeting log, the periodic check-ins and the coordinator's
check-in: `with_goal_questions` adds one question per agreed goal to those surveys, and
`record_progress_within` keeps each answer as a `GoalProgress` row.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa

from service.actors import Actor
from service.clock import now
from service.database import db, transaction
from service.errors import Conflict, Invalid
from service.pairs import bounds
from service.pairs import service as pairs
from service.pairs.models import AgreementGoal, GoalProgress, MentoringAgreement, Pair
from surveys.definition import Choice, Condition, Question, SurveyDefinition

# The surveys that ask about the goals, and who answers them about progress.
ASKED_IN = frozenset({"meeting_log", "periodic_checkin", "coordinator_checkin"})
ASKED_OF = frozenset({"mentor", "mentee", "coordinator"})
GOAL_KEY_PREFIX = "goal_"


@dataclass(frozen=True)
class Goal:
    """A goal with the progress reported on it, oldest first."""

    goal: AgreementGoal
    progress: list[GoalProgress] = field(default_factory=list)

    @property
    def latest(self) -> GoalProgress | None:
        return self.progress[-1] if self.progress else None


@dataclass(frozen=True)
class Agreement:
    agreement: MentoringAgreement
    goals: list[Goal]


def record(
    *,
    pair_id: int,
    agreed_on: date,
    meeting_frequency: str,
    meeting_format: str,
    ground_rules: str,
    chemistry_plan: str,
    goals: Sequence[str],
    actor: Actor,
) -> Agreement:
    """Record the pair's agreement, or revisit it: the latest replaces the earlier one. A goal
    kept (same words) keeps its progress; a goal dropped is retired with its progress."""
    titles = list(dict.fromkeys(title.strip() for title in goals if title.strip()))
    low, high = bounds.AGREEMENT_GOALS
    if not low <= len(titles) <= high:
        raise Invalid("goals", f"agree from {low} to {high} goals")
    longest = bounds.AGREEMENT_GOAL[1]
    if any(len(title) > longest for title in titles):
        raise Invalid("goals", f"a goal has at most {longest} characters")
    with transaction():
        pair = pairs.lock(pair_id)
        if not pair.is_open:
            raise Conflict(f"Pair {pair.id} has ended: its agreement can no longer change.")
        row = db.session.scalar(
            sa.select(MentoringAgreement).where(MentoringAgreement.pair_id == pair.id)
        )
        if row is None:
            row = MentoringAgreement(pair_id=pair.id)
            db.session.add(row)
        row.agreed_on = agreed_on
        row.meeting_frequency = meeting_frequency
        row.meeting_format = meeting_format
        row.ground_rules = ground_rules
        row.chemistry_plan = chemistry_plan
        row.recorded_by = actor.ref
        row.updated_at = now()
        _set_goals(pair, titles)
        pair.agreed_goals = len(titles)
        db.session.flush()
        return _read(pair.id, row)


def _set_goals(pair: Pair, titles: list[str]) -> None:
    current = {goal.title: goal for goal in active_goals(pair_id=pair.id)}
    for title, goal in current.items():
        if title not in titles:
            goal.retired_at = now()
    for position, title in enumerate(titles):
        kept = current.get(title)
        if kept is None:
            db.session.add(AgreementGoal(pair_id=pair.id, title=title, position=position))
        else:
            kept.position = position


def get(*, pair_id: int) -> Agreement | None:
    """The pair's agreement with its goals and their progress, or None if none is recorded."""
    pairs.get(pair_id=pair_id)
    row = db.session.scalar(
        sa.select(MentoringAgreement).where(MentoringAgreement.pair_id == pair_id)
    )
    return None if row is None else _read(pair_id, row)


def _read(pair_id: int, row: MentoringAgreement) -> Agreement:
    goals = active_goals(pair_id=pair_id)
    progress: dict[int, list[GoalProgress]] = {goal.id: [] for goal in goals}
    for report in db.session.scalars(
        sa.select(GoalProgress)
        .where(GoalProgress.pair_id == pair_id)
        .order_by(GoalProgress.recorded_at, GoalProgress.id)
    ):
        if report.goal_id in progress:
            progress[report.goal_id].append(report)
    return Agreement(row, [Goal(goal, progress[goal.id]) for goal in goals])


def active_goals(*, pair_id: int) -> list[AgreementGoal]:
    return list(
        db.session.scalars(
            sa.select(AgreementGoal)
            .where(AgreementGoal.pair_id == pair_id, AgreementGoal.retired_at.is_(None))
            .order_by(AgreementGoal.position, AgreementGoal.id)
        )
    )


def goal_key(goal: AgreementGoal) -> str:
    return f"{GOAL_KEY_PREFIX}{goal.id}"


def _question(goal: AgreementGoal, role: str, definition: SurveyDefinition) -> Question:
    whose = "the pair's goal" if role == "coordinator" else "your goal"
    shown_if = (
        Condition(question="held", values=("held",))
        if definition.purpose == "meeting_log" and definition.has_question("held")
        else None
    )
    return Question(
        key=goal_key(goal),
        type="single_choice",
        label=f"How far have you got with {whose} “{goal.title}”?",
        hint="A goal agreed in your mentoring agreement."
        if role != "coordinator"
        else "A goal of the pair's mentoring agreement, as they see it.",
        required=False,
        visibility="pair",
        choices=tuple(
            Choice(value=str(value), label=label) for value, label in bounds.GOAL_PROGRESS.items()
        ),
        show_if=shown_if,
    )


def with_goal_questions(
    definition: SurveyDefinition, pair: Pair | None, role: str
) -> SurveyDefinition:
    """The survey with one question per agreed goal added after its own, when it is one that
    asks about progress (a meeting log, a check-in) and the pair has agreed goals."""
    if pair is None or definition.purpose not in ASKED_IN or role not in ASKED_OF:
        return definition
    if not pair.agreed_goals:
        return definition
    goals = active_goals(pair_id=pair.id)
    if not goals:
        return definition
    extra = tuple(_question(goal, role, definition) for goal in goals)
    return definition.model_copy(update={"questions": (*definition.questions, *extra)})


def record_progress_within(
    *, pair: Pair, response_id: int, respondent_role: str, answers: dict[str, Any]
) -> list[GoalProgress]:
    """Keep the progress a response reports on each of the pair's goals, in the caller's
    transaction (answers about goals that are not the pair's are ignored)."""
    goals = {goal_key(goal): goal for goal in _goals_named(pair, answers)}
    reports = []
    for key, goal in goals.items():
        rating = int(answers[key])
        if rating not in bounds.GOAL_PROGRESS:
            continue
        report = GoalProgress(
            goal_id=goal.id,
            pair_id=pair.id,
            response_id=response_id,
            respondent_role=respondent_role,
            rating=rating,
        )
        db.session.add(report)
        reports.append(report)
    return reports


def _goals_named(pair: Pair, answers: dict[str, Any]) -> Iterable[AgreementGoal]:
    if not pair.agreed_goals or not any(key.startswith(GOAL_KEY_PREFIX) for key in answers):
        return []  # No query for the many surveys that ask about no goal.
    return [goal for goal in active_goals(pair_id=pair.id) if goal_key(goal) in answers]
