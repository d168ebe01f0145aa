"""From answers to signals, and from signals to the lifecycle. Pure: no database.

A survey definition declares its rules (`surveys/definitions/*.yaml`); this module
evaluates them. Rules across responses compare the pulse rating (1-10) with the same
person's previous rating and with the other side's latest one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from surveys.definition import Rule, SurveyDefinition
from workflows.pairing import State, Trigger
from workflows.signals import SIGNALS

DEFAULT_RATING_DROP = 3
DEFAULT_RATING_GAP = 3


@dataclass(frozen=True)
class RaisedSignal:
    code: str
    # The question that raised it: a key, never the answer itself.
    question: str


def _is_blank(answer: Any) -> bool:
    return (
        answer is None
        or answer == ""
        or answer == []
        or (isinstance(answer, str) and not answer.strip())
    )


def rule_holds(rule: Rule, answer: Any) -> bool:
    if rule.operator == "answered":
        return (not _is_blank(answer)) == bool(rule.value)
    if _is_blank(answer):
        return False
    if rule.operator == "equals":
        return str(answer) == str(rule.value)
    if rule.operator == "in":
        return str(answer) in {str(v) for v in rule.value}
    if rule.operator == "includes":
        return str(rule.value) in {str(v) for v in answer}
    if rule.operator == "at_least":
        return float(answer) >= float(rule.value)
    if rule.operator == "at_most":
        return float(answer) <= float(rule.value)
    raise ValueError(f"unknown operator {rule.operator!r}")


def signals_from_answers(
    definition: SurveyDefinition, answers: Mapping[str, Any]
) -> list[RaisedSignal]:
    """The signals a response raises, each once, in the order the definition declares them."""
    raised: dict[str, RaisedSignal] = {}
    for rule in definition.all_rules:
        if rule.signal not in raised and rule_holds(rule, answers.get(rule.question)):
            raised[rule.signal] = RaisedSignal(rule.signal, rule.question)
    return list(raised.values())


@dataclass(frozen=True)
class RatingHistory:
    """Earlier pulse ratings of this pair: the respondent's own, and the other side's."""

    previous_own: int | None = None
    latest_other: int | None = None


def trend_signals(
    definition: SurveyDefinition,
    answers: Mapping[str, Any],
    history: RatingHistory,
    *,
    drop_threshold: int = DEFAULT_RATING_DROP,
    divergence_gap: int = DEFAULT_RATING_GAP,
) -> list[RaisedSignal]:
    """A sharp drop since the respondent's last rating, or a gap wider than the program allows
    between mentor's and mentee's ratings."""
    raised: list[RaisedSignal] = []
    for trend in definition.trends:
        current = answers.get(trend.question)
        if current is None:
            continue
        current = int(current)
        own, other = history.previous_own, history.latest_other
        dropped = own is not None and own - current >= drop_threshold
        diverged = other is not None and abs(current - other) > divergence_gap
        if (trend.signal == "rating_drop" and dropped) or (
            trend.signal == "rating_divergence" and diverged
        ):
            raised.append(RaisedSignal(trend.signal, trend.question))
    return raised


def reaction(state: State | str, signals: Iterable[str]) -> Trigger | None:
    """What the lifecycle does with new signals: an active pair with a risk signal is flagged."""
    if State(state) == State.ACTIVE and any(SIGNALS[code].flags_risk for code in signals):
        return Trigger.FLAG_RISK
    return None
