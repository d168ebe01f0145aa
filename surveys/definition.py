"""What a survey is: questions, who sees each answer, and which answers raise which signals.

Definitions are data (YAML files under `surveys/definitions/`, or JSON published by a
program through the API). `parse()` validates one thoroughly and names the file and the
question in every error, so a broken definition never reaches a participant.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from workflows.signals import SIGNALS

QUESTION_TYPES = (
    "single_choice",
    "multiple_choice",
    "likert",
    "rating",
    "yes_no",
    "number",
    "date",
    "text",
    "long_text",
    "consent",
)
CHOICE_TYPES = frozenset({"single_choice", "multiple_choice"})
# Questions whose answer is one value from a fixed set: these can steer `show_if`.
SELECT_ONE_TYPES = frozenset({"single_choice", "yes_no", "likert"})
NUMERIC_TYPES = frozenset({"number", "rating", "likert"})

LIKERT_CHOICES = (
    ("1", "Strongly disagree"),
    ("2", "Disagree"),
    ("3", "Neither agree nor disagree"),
    ("4", "Agree"),
    ("5", "Strongly agree"),
)
YES_NO_CHOICES = (("yes", "Yes"), ("no", "No"))

# Who may read an answer (SPEC.md, Confidentiality).
VISIBILITIES = ("staff", "pair", "public")
AUDIENCES = ("mentee", "mentor", "guardian", "coordinator")
PURPOSES = (
    "application",
    "training_feedback",
    "meeting_log",
    "first_meeting",
    "periodic_checkin",
    "coordinator_checkin",
    "closure_reflection",
    "event_followup",
    "six_month_update",
)
OPERATORS = ("equals", "in", "includes", "at_least", "at_most", "answered")
TRENDS = ("rating_drop", "rating_divergence")

# Purposes whose answers become records elsewhere need these questions, in every version.
REQUIRED_KEYS: dict[str, tuple[str, ...]] = {
    "meeting_log": ("held", "occurred_on", "final_session"),
    "training_feedback": ("session", "attended"),
}


class DefinitionError(ValueError):
    """A survey definition is malformed; the message names the source and the question."""

    def __init__(self, source: str, message: str, question: str | None = None) -> None:
        where = f"{source}: question {question!r}: " if question else f"{source}: "
        super().__init__(where + message)
        self.source = source
        self.question = question
        self.problem = message


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    signal: str | None = None


@dataclass(frozen=True)
class Condition:
    """Show a question only when an earlier one was answered with one of `values`."""

    question: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Question:
    key: str
    type: str
    label: str
    hint: str = ""
    required: bool = True
    visibility: str = "staff"
    # A safety report: read only by admins and the pair's coordinator, never sent out.
    safety: bool = False
    choices: tuple[Choice, ...] = ()
    min: int | None = None
    max: int | None = None
    min_label: str = ""
    max_label: str = ""
    max_length: int | None = None
    show_if: Condition | None = None

    @property
    def options(self) -> tuple[Choice, ...]:
        """The choices offered, including the fixed ones of yes/no, Likert and rating."""
        if self.type == "yes_no":
            return tuple(Choice(v, label) for v, label in YES_NO_CHOICES)
        if self.type == "likert":
            return tuple(Choice(v, label) for v, label in LIKERT_CHOICES)
        if self.type == "rating":
            return tuple(Choice(str(n), str(n)) for n in range(self.min or 1, (self.max or 10) + 1))
        return self.choices

    def choice_label(self, value: str) -> str:
        return next((c.label for c in self.options if c.value == str(value)), str(value))


@dataclass(frozen=True)
class Rule:
    """Raise `signal` when the answer to `question` satisfies `operator` `value`."""

    signal: str
    question: str
    operator: str
    value: Any = None


@dataclass(frozen=True)
class Trend:
    """A rule across responses: `rating_drop` or `rating_divergence` on a rating question."""

    signal: str
    question: str


@dataclass(frozen=True)
class SurveyDefinition:
    key: str
    title: str
    audience: tuple[str, ...]
    purpose: str
    questions: tuple[Question, ...]
    version: int = 1
    intro: str = ""
    thanks: str = "Thank you. Your answers have been received."
    rules: tuple[Rule, ...] = ()
    trends: tuple[Trend, ...] = ()

    def question(self, key: str) -> Question:
        return next(q for q in self.questions if q.key == key)

    def has_question(self, key: str) -> bool:
        return any(q.key == key for q in self.questions)

    @property
    def all_rules(self) -> tuple[Rule, ...]:
        """Declared rules plus those carried by choices (`signal:` on a choice)."""
        carried = tuple(
            Rule(
                choice.signal,
                question.key,
                "includes" if question.type == "multiple_choice" else "equals",
                choice.value,
            )
            for question in self.questions
            for choice in question.options
            if choice.signal
        )
        return self.rules + carried


def _require(data: Mapping, name: str, source: str, question: str | None = None) -> Any:
    if name not in data or data[name] in (None, ""):
        raise DefinitionError(source, f"missing {name!r}", question)
    return data[name]


def _known_keys(data: Mapping, allowed: Iterable[str], source: str, question: str | None) -> None:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise DefinitionError(source, f"unknown field(s) {', '.join(map(repr, unknown))}", question)


def _int_or_none(value: Any, name: str, source: str, question: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise DefinitionError(source, f"{name} must be a whole number, got {value!r}", question)
    return value


# Generous bounds, so that a version published through the API stays a survey a person
# can answer (and a row of sane size).
MAX_CHOICES = 50
MAX_LABEL = 500
MAX_HINT = 1000
MAX_CHOICE_LABEL = 300
MAX_CHOICE_VALUE = 60
MAX_TEXT_ANSWER = 10_000


def _text(raw: Mapping, name: str, source: str, key: str, *, limit: int, default: str = "") -> str:
    value = str(raw.get(name, default))
    if len(value) > limit:
        raise DefinitionError(source, f"{name} is longer than {limit} characters", key)
    return value


def _parse_choices(raw: Any, source: str, key: str) -> tuple[Choice, ...]:
    if not isinstance(raw, list) or not raw:
        raise DefinitionError(source, "a choice question needs a non-empty list of choices", key)
    if len(raw) > MAX_CHOICES:
        raise DefinitionError(source, f"a question has at most {MAX_CHOICES} choices", key)
    choices: list[Choice] = []
    for item in raw:
        if not isinstance(item, Mapping):
            raise DefinitionError(
                source, f"each choice needs a value and a label, got {item!r}", key
            )
        _known_keys(item, ("value", "label", "signal"), source, key)
        _require(item, "value", source, key)
        _require(item, "label", source, key)
        choice = Choice(
            value=_text(item, "value", source, key, limit=MAX_CHOICE_VALUE),
            label=_text(item, "label", source, key, limit=MAX_CHOICE_LABEL),
            signal=item.get("signal"),
        )
        if choice.signal and choice.signal not in SIGNALS:
            raise DefinitionError(
                source, f"choice {choice.value!r}: unknown signal {choice.signal!r}", key
            )
        choices.append(choice)
    values = [c.value for c in choices]
    duplicates = sorted({v for v in values if values.count(v) > 1})
    if duplicates:
        raise DefinitionError(source, f"duplicate choice value(s) {', '.join(duplicates)}", key)
    return tuple(choices)


_QUESTION_FIELDS = (
    "key",
    "type",
    "label",
    "hint",
    "required",
    "visibility",
    "safety",
    "choices",
    "min",
    "max",
    "min_label",
    "max_label",
    "max_length",
    "show_if",
)


def _parse_question(raw: Any, source: str, index: int, earlier: dict[str, Question]) -> Question:
    if not isinstance(raw, Mapping):
        raise DefinitionError(source, f"question #{index + 1} must be a mapping, got {raw!r}")
    key = raw.get("key")
    if not isinstance(key, str) or not key.isidentifier():
        raise DefinitionError(
            source, f"question #{index + 1} needs a key made of letters, digits and _"
        )
    if key in earlier:
        raise DefinitionError(source, "duplicate key", key)
    _known_keys(raw, _QUESTION_FIELDS, source, key)
    kind = _require(raw, "type", source, key)
    if kind not in QUESTION_TYPES:
        raise DefinitionError(
            source, f"unknown type {kind!r}; known types: {', '.join(QUESTION_TYPES)}", key
        )
    visibility = raw.get("visibility", "staff")
    if visibility not in VISIBILITIES:
        raise DefinitionError(
            source, f"unknown visibility {visibility!r}; use one of {', '.join(VISIBILITIES)}", key
        )
    choices = _parse_choices(raw.get("choices"), source, key) if kind in CHOICE_TYPES else ()
    if kind not in CHOICE_TYPES and "choices" in raw:
        raise DefinitionError(source, f"a {kind} question has no choices", key)
    low = _int_or_none(raw.get("min"), "min", source, key)
    high = _int_or_none(raw.get("max"), "max", source, key)
    if kind == "rating":
        low, high = (1 if low is None else low), (10 if high is None else high)
        if high - low > 20:
            raise DefinitionError(source, "a rating scale has at most 21 points", key)
    if low is not None and high is not None and low > high:
        raise DefinitionError(source, f"min {low} is above max {high}", key)
    if (low is not None or high is not None) and kind not in ("number", "rating"):
        raise DefinitionError(source, f"min and max apply to number and rating, not {kind}", key)
    max_length = _int_or_none(raw.get("max_length"), "max_length", source, key)
    if kind in ("text", "long_text"):
        max_length = max_length or (200 if kind == "text" else 4000)
    elif max_length is not None:
        raise DefinitionError(source, f"max_length applies to text questions, not {kind}", key)
    if max_length is not None and not 1 <= max_length <= MAX_TEXT_ANSWER:
        raise DefinitionError(source, f"max_length must be from 1 to {MAX_TEXT_ANSWER}", key)
    _require(raw, "label", source, key)
    return Question(
        key=key,
        type=kind,
        label=_text(raw, "label", source, key, limit=MAX_LABEL),
        hint=_text(raw, "hint", source, key, limit=MAX_HINT),
        required=bool(raw.get("required", True)),
        visibility=visibility,
        safety=bool(raw.get("safety", False)),
        choices=choices,
        min=low,
        max=high,
        min_label=_text(raw, "min_label", source, key, limit=MAX_CHOICE_LABEL),
        max_label=_text(raw, "max_label", source, key, limit=MAX_CHOICE_LABEL),
        max_length=max_length,
        show_if=_parse_condition(raw.get("show_if"), source, key, earlier),
    )


def _parse_condition(
    raw: Any, source: str, key: str, earlier: dict[str, Question]
) -> Condition | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise DefinitionError(source, "show_if needs 'question' and 'equals'", key)
    _known_keys(raw, ("question", "equals", "values"), source, key)
    target = _require(raw, "question", source, key)
    if target not in earlier:
        raise DefinitionError(
            source, f"show_if names {target!r}, which is not an earlier question", key
        )
    controller = earlier[target]
    if controller.type not in SELECT_ONE_TYPES:
        raise DefinitionError(
            source,
            f"show_if can follow a single choice, yes/no or Likert question; {target!r} is "
            f"{controller.type}",
            key,
        )
    wanted = raw.get("equals", raw.get("values"))
    values = tuple(str(v) for v in (wanted if isinstance(wanted, list) else [wanted]))
    offered = {c.value for c in controller.options}
    if not values or any(v not in offered for v in values):
        raise DefinitionError(
            source, f"show_if value(s) {list(values)} are not among {target!r}'s choices", key
        )
    return Condition(target, values)


def _parse_rule(raw: Any, source: str, questions: dict[str, Question]) -> Rule:
    if not isinstance(raw, Mapping):
        raise DefinitionError(source, f"a rule must be a mapping, got {raw!r}")
    _known_keys(raw, ("signal", "when"), source, None)
    signal = _require(raw, "signal", source)
    when = _require(raw, "when", source)
    target = when.get("question") if isinstance(when, Mapping) else None
    if target not in questions:
        raise DefinitionError(source, f"rule for {signal!r} names a missing question", target)
    if signal not in SIGNALS:
        raise DefinitionError(source, f"rule names unknown signal {signal!r}", target)
    operators = [op for op in OPERATORS if op in when]
    if len(operators) != 1 or set(when) - {"question", *OPERATORS}:
        raise DefinitionError(
            source, f"a rule's 'when' takes the question and one of {', '.join(OPERATORS)}", target
        )
    operator = operators[0]
    question = questions[target]
    if operator in ("at_least", "at_most") and question.type not in NUMERIC_TYPES:
        raise DefinitionError(source, f"{operator} needs a number or rating question", target)
    if operator == "includes" and question.type != "multiple_choice":
        raise DefinitionError(source, "includes needs a multiple choice question", target)
    return Rule(signal, target, operator, when[operator])


def _parse_trend(name: str, raw: Any, source: str, questions: dict[str, Question]) -> Trend:
    if name not in TRENDS:
        raise DefinitionError(source, f"unknown trend {name!r}; known: {', '.join(TRENDS)}")
    target = raw.get("question") if isinstance(raw, Mapping) else None
    if target not in questions:
        raise DefinitionError(source, f"trend {name!r} names a missing question", target)
    if questions[target].type != "rating":
        raise DefinitionError(source, f"trend {name!r} needs a rating question", target)
    return Trend(name, target)


_SURVEY_FIELDS = (
    "key",
    "version",
    "title",
    "audience",
    "purpose",
    "intro",
    "thanks",
    "questions",
    "rules",
    "trends",
)


def parse(data: Any, source: str) -> SurveyDefinition:
    """Validate and build a definition; every error names `source` and the question."""
    if not isinstance(data, Mapping):
        raise DefinitionError(source, "a survey definition must be a mapping")
    _known_keys(data, _SURVEY_FIELDS, source, None)
    key = _require(data, "key", source)
    audience = data.get("audience")
    audience = tuple(audience) if isinstance(audience, list) else (audience,)
    if not audience or any(a not in AUDIENCES for a in audience):
        raise DefinitionError(source, f"audience must be among {', '.join(AUDIENCES)}")
    purpose = _require(data, "purpose", source)
    if purpose not in PURPOSES:
        raise DefinitionError(source, f"unknown purpose {purpose!r}; known: {', '.join(PURPOSES)}")
    raw_questions = data.get("questions")
    if not isinstance(raw_questions, list) or not raw_questions:
        raise DefinitionError(source, "a survey needs a non-empty list of questions")
    questions: dict[str, Question] = {}
    for index, raw in enumerate(raw_questions):
        question = _parse_question(raw, source, index, questions)
        questions[question.key] = question
    for needed in REQUIRED_KEYS.get(purpose, ()):
        if needed not in questions:
            raise DefinitionError(source, f"a {purpose} survey must keep this question", needed)
    rules = tuple(_parse_rule(raw, source, questions) for raw in data.get("rules") or [])
    raw_trends = data.get("trends") or {}
    if not isinstance(raw_trends, Mapping):
        raise DefinitionError(source, "trends must be a mapping of trend name to question")
    version = data.get("version", 1)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise DefinitionError(source, f"version must be a whole number from 1, got {version!r}")
    return SurveyDefinition(
        key=str(key),
        version=version,
        title=str(_require(data, "title", source)),
        audience=audience,
        purpose=purpose,
        intro=str(data.get("intro", "")),
        thanks=str(data.get("thanks") or SurveyDefinition.thanks),
        questions=tuple(questions.values()),
        rules=rules,
        trends=tuple(
            _parse_trend(name, raw, source, questions) for name, raw in raw_trends.items()
        ),
    )
