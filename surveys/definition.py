"""What a survey is: questions, who sees each answer, and which answers raise which signals.

Definitions are data (YAML files under `surveys/definitions/`, or JSON published by a
program through the API). The models below declare what a definition may say; they are
the validation, the objects the service reads, and the source of the JSON Schema that
editors use (`surveys/definition.schema.json`, written by `python -m surveys.schema`).
`parse()` validates one and names the file and the question in every error, so a broken
definition never reaches a participant.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache, cached_property
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeVar, get_args

from pydantic import (
    AfterValidator,
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    ValidationError,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import ErrorDetails, PydanticCustomError

from workflows.signals import SIGNALS

if TYPE_CHECKING:
    import numpy as np

QuestionType = Literal[
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
]
# Who may read an answer: program staff only, the pair too, or published with consent.
Visibility = Literal["staff", "pair", "public"]
Audience = Literal["mentee", "mentor", "guardian", "coordinator"]
Purpose = Literal[
    "application",
    "training_feedback",
    "meeting_log",
    "first_meeting",
    "periodic_checkin",
    "coordinator_checkin",
    "closure_reflection",
    "event_followup",
    "six_month_update",
    "outcome_measure",
]
TrendName = Literal["rating_drop", "rating_divergence"]

QUESTION_TYPES: tuple[str, ...] = get_args(QuestionType)
VISIBILITIES: tuple[str, ...] = get_args(Visibility)
AUDIENCES: tuple[str, ...] = get_args(Audience)
PURPOSES: tuple[str, ...] = get_args(Purpose)
TRENDS: tuple[str, ...] = get_args(TrendName)
OPERATORS = ("equals", "in", "includes", "at_least", "at_most", "answered")

CHOICE_TYPES = frozenset({"single_choice", "multiple_choice"})
# Questions whose answer is one value from a fixed set: these can steer `show_if`.
SELECT_ONE_TYPES = frozenset({"single_choice", "yes_no", "likert"})
NUMERIC_TYPES = frozenset({"number", "rating", "likert"})
RANGE_TYPES = frozenset({"number", "rating"})
TEXT_LENGTHS = {"text": 200, "long_text": 4000}
RATING_DEFAULTS = (1, 10)
RATING_MOST_POINTS = 21

LIKERT_CHOICES = (
    ("1", "Strongly disagree"),
    ("2", "Disagree"),
    ("3", "Neither agree nor disagree"),
    ("4", "Agree"),
    ("5", "Strongly agree"),
)
YES_NO_CHOICES = (("yes", "Yes"), ("no", "No"))
DEFAULT_THANKS = "Thank you. Your answers have been received."

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


def _refusal(problem: str, question: str | None = None) -> PydanticCustomError:
    """A rule the models check themselves, worded for the person who wrote the definition."""
    return PydanticCustomError(
        "definition", "{problem}", {"problem": problem, "question": question}
    )


def _known_signal(code: str) -> str:
    if code not in SIGNALS:
        raise _refusal(f"unknown signal {code!r}")
    return code


def _one_or_many(value: Any) -> Any:
    return value if isinstance(value, list | tuple) else [value]


def _none_as_blank(value: Any) -> Any:
    return "" if value is None else value


def _blank_as_thanks(value: Any) -> Any:
    return value or DEFAULT_THANKS


# Generous bounds, so that a version published through the API stays a survey a person
# can answer (and a row of sane size).
MAX_CHOICES = 50
MAX_LABEL = 500
MAX_HINT = 1000
MAX_CHOICE_LABEL = 300
MAX_CHOICE_VALUE = 60
MAX_TEXT_ANSWER = 10_000

Text = Annotated[str, Field(min_length=1)]
OptionalText = Annotated[str, BeforeValidator(_none_as_blank, json_schema_input_type=str | None)]
Label = Annotated[str, Field(min_length=1, max_length=MAX_LABEL)]
ChoiceLabel = Annotated[str, Field(min_length=1, max_length=MAX_CHOICE_LABEL)]
ChoiceValue = Annotated[str, Field(min_length=1, max_length=MAX_CHOICE_VALUE)]
Hint = Annotated[OptionalText, Field(max_length=MAX_HINT)]
EndLabel = Annotated[OptionalText, Field(max_length=MAX_CHOICE_LABEL)]
SignalCode = Annotated[
    str,
    AfterValidator(_known_signal),
    WithJsonSchema({"type": "string", "enum": sorted(SIGNALS)}),
]
KEY_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
Key = Annotated[str, Field(pattern=KEY_PATTERN)]
Scalar = str | int | float | bool
T = TypeVar("T")
NonEmptyList = Annotated[list[T], Field(min_length=1)]


class _Declared(BaseModel):
    # Misspelt fields are errors; numbers are read as text where text is expected (YAML
    # reads `value: 1` as a number); attribute docstrings describe fields in the schema.
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        coerce_numbers_to_str=True,
        use_attribute_docstrings=True,
    )


class Choice(_Declared):
    """One answer a choice question offers."""

    value: ChoiceValue
    """What is stored, and what `show_if` and rules compare with."""
    label: ChoiceLabel
    """What the participant reads."""
    signal: SignalCode | None = None
    """A signal raised whenever this choice is picked."""


class Condition(_Declared):
    """Show a question only when an earlier one was answered with one of `values`."""

    question: str
    """The key of an earlier single choice, yes/no or Likert question."""
    values: Annotated[
        Annotated[tuple[Text, ...], Field(min_length=1)],
        BeforeValidator(_one_or_many, json_schema_input_type=Text | NonEmptyList[Text]),
    ] = Field(validation_alias=AliasChoices("equals", "values"))
    """The answer (or list of answers) that shows the question (`values:` is read too)."""


class Question(_Declared):
    """One question: how it is asked, who may read the answer, and when it is shown."""

    key: Key
    """Names the answer: letters, digits and _, unique in the survey."""
    type: QuestionType
    """How it is answered; yes/no, Likert and rating questions bring their own choices."""
    label: Label
    """The question as the participant reads it."""
    hint: Hint = ""
    """A line of help under the question."""
    required: bool = True
    visibility: Visibility = "staff"
    """Who may read the answer: program staff only, the pair too, or published with consent."""
    safety: bool = False
    """A safety report: read only by admins and the pair's coordinator, never sent out."""
    choices: Annotated[tuple[Choice, ...], Field(max_length=MAX_CHOICES)] = ()
    """The answers offered by single_choice and multiple_choice questions."""
    min: StrictInt | None = None
    """The lowest number or rating (a rating scale defaults to 1-10)."""
    max: StrictInt | None = None
    min_label: EndLabel = ""
    max_label: EndLabel = ""
    max_length: Annotated[StrictInt, Field(ge=1, le=MAX_TEXT_ANSWER)] | None = None
    """The longest text answer (defaults: 200 for text, 4000 for long_text)."""
    show_if: Condition | None = None
    """Ask this only after a given answer to an earlier question."""

    @model_validator(mode="before")
    @classmethod
    def _defaults(cls, data: Any) -> Any:
        """A rating scale runs 1-10 unless told otherwise; text answers have a length."""
        if not isinstance(data, Mapping):
            return data
        kind = data.get("type")
        if not isinstance(kind, str):
            return data
        if kind == "rating":
            low, high = RATING_DEFAULTS
            data = {
                **data,
                "min": low if data.get("min") is None else data["min"],
                "max": high if data.get("max") is None else data["max"],
            }
        length = data.get("max_length")
        if kind in TEXT_LENGTHS and (length is None or (type(length) is int and length == 0)):
            data = {**data, "max_length": TEXT_LENGTHS[kind]}
        return data

    @model_validator(mode="after")
    def _consistent(self) -> Question:
        kind = self.type
        if kind in CHOICE_TYPES and not self.choices:
            raise _refusal("a choice question needs a non-empty list of choices")
        if kind not in CHOICE_TYPES and "choices" in self.model_fields_set:
            raise _refusal(f"a {kind} question has no choices")
        values = [choice.value for choice in self.choices]
        duplicates = sorted({value for value in values if values.count(value) > 1})
        if duplicates:
            raise _refusal(f"duplicate choice value(s) {', '.join(duplicates)}")
        low, high = self.min, self.max
        if low is not None and high is not None:
            if kind == "rating" and high - low + 1 > RATING_MOST_POINTS:
                raise _refusal(f"a rating scale has at most {RATING_MOST_POINTS} points")
            if low > high:
                raise _refusal(f"min {low} is above max {high}")
        if (low is not None or high is not None) and kind not in RANGE_TYPES:
            raise _refusal(f"min and max apply to number and rating, not {kind}")
        if self.max_length is not None and kind not in TEXT_LENGTHS:
            raise _refusal(f"max_length applies to text questions, not {kind}")
        return self

    @property
    def options(self) -> tuple[Choice, ...]:
        """The choices offered, including the fixed ones of yes/no, Likert and rating."""
        if self.type == "yes_no":
            return _YES_NO
        if self.type == "likert":
            return _LIKERT
        if self.type == "rating":
            low = RATING_DEFAULTS[0] if self.min is None else self.min
            high = RATING_DEFAULTS[1] if self.max is None else self.max
            return tuple(
                Choice.model_construct(value=str(n), label=str(n), signal=None)
                for n in range(low, high + 1)
            )
        return self.choices

    def choice_label(self, value: str) -> str:
        return next((c.label for c in self.options if c.value == str(value)), str(value))


_YES_NO = tuple(Choice(value=value, label=label) for value, label in YES_NO_CHOICES)
_LIKERT = tuple(Choice(value=value, label=label) for value, label in LIKERT_CHOICES)


class When(_Declared):
    """The question a rule reads, and one test of its answer."""

    question: str
    """The key of the question whose answer is tested."""
    equals: Scalar | None = None
    in_: list[Scalar] | None = Field(default=None, alias="in")
    includes: Scalar | None = None
    """A multiple choice answer includes this value."""
    at_least: float | None = None
    at_most: float | None = None
    answered: bool | None = None
    """true: raised when answered; false: raised when left blank."""

    @model_validator(mode="after")
    def _one_test(self) -> When:
        if len(self._tests()) != 1:
            raise _refusal(f"a rule's 'when' takes the question and one of {', '.join(OPERATORS)}")
        return self

    def _tests(self) -> list[str]:
        return [op for op in OPERATORS if _field_of(op) in self.model_fields_set]

    @property
    def operator(self) -> str:
        return self._tests()[0]

    @property
    def value(self) -> Any:
        return getattr(self, _field_of(self.operator))


def _field_of(operator: str) -> str:
    return "in_" if operator == "in" else operator


@dataclass(frozen=True)
class Rule:
    """Raise `signal` when the answer to `question` satisfies `operator` `value`."""

    signal: str
    question: str
    operator: str
    value: Any = None


class DeclaredRule(_Declared):
    """A rule as a definition writes it: `{signal: …, when: {question: …, at_least: 2}}`."""

    signal: SignalCode
    when: When

    @property
    def rule(self) -> Rule:
        return Rule(self.signal, self.when.question, self.when.operator, self.when.value)


class Trend(_Declared):
    """A rule across responses: `rating_drop` or `rating_divergence` on a rating question."""

    signal: TrendName
    question: str


class TrendTarget(BaseModel):
    question: str
    """The key of a rating question."""


def _trends_from_mapping(value: Any) -> Any:
    if not value:
        return []
    if not isinstance(value, Mapping):
        raise _refusal("trends must be a mapping of trend name to question")
    trends = []
    for name, target in value.items():
        if not isinstance(target, Mapping):
            raise _refusal(f"trend {name!r} needs {{question: <key of a rating question>}}")
        trends.append({"signal": name, "question": target.get("question")})
    return trends


def _none_as_empty(value: Any) -> Any:
    return [] if value is None else value


# A scale's score needs at least half of its items answered: a response missing more has
# no score for it (a mean of one or two items of ten says little about the rest).
SCORED_TYPES = frozenset({"likert", "rating"})
NUMBERS = (int, float)
MAX_SCALE_ITEMS = 100


class Subscale(_Declared):
    """A part of a scale scored on its own: some of the scale's items."""

    key: Key
    """Names the subscale: letters, digits and _, unique within its scale."""
    title: Label
    """What reports call it."""
    items: Annotated[tuple[Key, ...], Field(min_length=1, max_length=MAX_SCALE_ITEMS)]
    """The keys of its items, all among the scale's items."""


class Scale(_Declared):
    """An outcome measured by several Likert or rating questions: a response's score is the
    mean of its items, reverse-scored ones turned round (the lowest answer counts as the
    highest), when at least half of them were answered."""

    key: Key
    """Names the scale: letters, digits and _, unique in the survey."""
    title: Label
    """What reports call it."""
    items: Annotated[tuple[Key, ...], Field(min_length=1, max_length=MAX_SCALE_ITEMS)]
    """The keys of its Likert or rating questions."""
    reverse: Annotated[
        tuple[Key, ...],
        BeforeValidator(_none_as_empty, json_schema_input_type=list[Key] | None),
    ] = ()
    """Items worded the other way round ("I often feel alone"): scored min + max - answer."""
    subscales: Annotated[
        tuple[Subscale, ...],
        BeforeValidator(_none_as_empty, json_schema_input_type=list[Subscale] | None),
    ] = ()
    """Parts of the scale scored on their own."""

    @property
    def parts(self) -> tuple[tuple[str, str, tuple[str, ...]], ...]:
        """The scale and its subscales as (key, title, items); a subscale's key is
        `scale.subscale`."""
        return (
            (self.key, self.title, self.items),
            *((f"{self.key}.{sub.key}", sub.title, sub.items) for sub in self.subscales),
        )


def item_range(question: Question) -> tuple[int, int]:
    """The lowest and highest answer of a Likert or rating question."""
    if question.type == "likert":
        return int(LIKERT_CHOICES[0][0]), int(LIKERT_CHOICES[-1][0])
    low = RATING_DEFAULTS[0] if question.min is None else question.min
    high = RATING_DEFAULTS[1] if question.max is None else question.max
    return low, high


class SurveyDefinition(_Declared):
    """A survey: its questions, who answers it, and which answers raise which signals."""

    key: Text
    """Names the survey; a file's key is unique among the definitions."""
    version: Annotated[StrictInt, Field(ge=1)] = 1
    """Give a changed definition a new version: answers keep the version they were given."""
    title: Text
    """The survey's heading, on its page and in the e-mails about it."""
    audience: Annotated[
        Annotated[tuple[Audience, ...], Field(min_length=1)],
        BeforeValidator(_one_or_many, json_schema_input_type=Audience | NonEmptyList[Audience]),
    ]
    """Who answers it: one role, or a list of roles."""
    purpose: Purpose
    """What the answers are for; some purposes need certain questions."""
    intro: OptionalText = ""
    """A paragraph above the questions."""
    thanks: Annotated[str, BeforeValidator(_blank_as_thanks, json_schema_input_type=str | None)] = (
        DEFAULT_THANKS
    )
    """What the participant reads after sending their answers."""
    questions: Annotated[tuple[Question, ...], Field(min_length=1)]
    rules: Annotated[
        tuple[DeclaredRule, ...],
        BeforeValidator(_none_as_empty, json_schema_input_type=list[DeclaredRule] | None),
    ] = ()
    """Signals raised by answers, besides those carried by choices."""
    trends: Annotated[
        tuple[Trend, ...],
        BeforeValidator(
            _trends_from_mapping, json_schema_input_type=dict[TrendName, TrendTarget] | None
        ),
    ] = Field(default_factory=tuple)
    """Signals raised by comparing a rating with earlier ones: trend name to question."""
    scales: Annotated[
        tuple[Scale, ...],
        BeforeValidator(_none_as_empty, json_schema_input_type=list[Scale] | None),
    ] = ()
    """Outcomes measured by groups of Likert or rating questions, reported as change."""

    @model_validator(mode="after")
    def _references(self) -> SurveyDefinition:
        """Questions refer only to earlier ones; rules and trends only to existing ones."""
        earlier: dict[str, Question] = {}
        for question in self.questions:
            if question.key in earlier:
                raise _refusal("duplicate key", question.key)
            if question.show_if is not None:
                _check_condition(question.key, question.show_if, earlier)
            earlier[question.key] = question
        for needed in REQUIRED_KEYS.get(self.purpose, ()):
            if needed not in earlier:
                raise _refusal(f"a {self.purpose} survey must keep this question", needed)
        for declared in self.rules:
            _check_rule(declared, earlier)
        for trend in self.trends:
            target = earlier.get(trend.question)
            if target is None:
                raise _refusal(f"trend {trend.signal!r} names a missing question", trend.question)
            if target.type != "rating":
                raise _refusal(f"trend {trend.signal!r} needs a rating question", trend.question)
        _check_scales(self.scales, earlier)
        return self

    @cached_property
    def _scoring(self) -> tuple[tuple[str, tuple[tuple[str, int | None], ...]], ...]:
        """Each scale and subscale by key, with its items and, for a reverse-scored one, the
        sum of its range's ends (an answer a counts that minus a): worked out once, since a
        report scores thousands of responses."""
        questions = {q.key: q for q in self.questions}
        return tuple(
            (
                key,
                tuple(
                    (item, sum(item_range(questions[item])) if item in scale.reverse else None)
                    for item in items
                ),
            )
            for scale in self.scales
            for key, _, items in scale.parts
        )

    def scale_scores(self, answers: Mapping[str, Any]) -> dict[str, float | None]:
        """Every scale's and subscale's score of one response, by key (`scale.subscale`): the
        mean of its items' answers, reverse-scored ones turned round; None when more than
        half of its items are unanswered."""
        scores: dict[str, float | None] = {}
        for key, items in self._scoring:
            total, answered = 0.0, 0
            for item, ends in items:
                answer = answers.get(item)
                if answer is None or isinstance(answer, bool) or not isinstance(answer, NUMBERS):
                    continue
                total += answer if ends is None else ends - answer
                answered += 1
            missing = len(items) - answered
            scores[key] = total / answered if answered and 2 * missing <= len(items) else None
        return scores

    def scale_scores_of(
        self, responses: Sequence[Mapping[str, Any]]
    ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """What `scale_scores` gives each of many responses, by key, as two arrays: the
        scores, and whether each is known (False where `scale_scores` gives None). The same
        numbers added in the same order, so the same scores to the last bit; each answer is
        looked at once, however many scales and subscales hold its item. (numpy is imported
        here: a definition is read by tools that score nothing.)"""
        import numpy as np

        values: dict[str, np.ndarray] = {}
        usable: dict[str, np.ndarray] = {}
        for _, items in self._scoring:
            for item, _ends in items:
                if item in values:
                    continue
                answers = [response.get(item) for response in responses]
                ok = [isinstance(a, NUMBERS) and not isinstance(a, bool) for a in answers]
                values[item] = np.array(
                    [a if good else 0.0 for a, good in zip(answers, ok, strict=True)],
                    dtype=np.float64,
                )
                usable[item] = np.array(ok, dtype=bool)
        scores: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for key, items in self._scoring:
            total = np.zeros(len(responses))
            answered = np.zeros(len(responses), dtype=np.int64)
            for item, ends in items:
                answer = values[item] if ends is None else ends - values[item]
                # Adding 0.0 where there is no answer leaves the total as it was.
                total = total + np.where(usable[item], answer, 0.0)
                answered += usable[item]
            known = (answered > 0) & (2 * (len(items) - answered) <= len(items))
            score = np.divide(total, answered, out=np.zeros(len(responses)), where=known)
            scores[key] = (score, known)
        return scores

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
        return tuple(declared.rule for declared in self.rules) + carried


def _check_condition(key: str, condition: Condition, earlier: Mapping[str, Question]) -> None:
    target, values = condition.question, condition.values
    controller = earlier.get(target)
    if controller is None:
        raise _refusal(f"show_if names {target!r}, which is not an earlier question", key)
    if controller.type not in SELECT_ONE_TYPES:
        raise _refusal(
            f"show_if can follow a single choice, yes/no or Likert question; {target!r} is "
            f"{controller.type}",
            key,
        )
    offered = {choice.value for choice in controller.options}
    if any(value not in offered for value in values):
        raise _refusal(f"show_if value(s) {list(values)} are not among {target!r}'s choices", key)


def _check_scales(scales: tuple[Scale, ...], questions: Mapping[str, Question]) -> None:
    """Scales name existing Likert or rating questions, once each; reverse-scored items and
    subscales' items are the scale's own items."""
    seen: set[str] = set()
    for scale in scales:
        where = f"scale {scale.key!r}"
        if scale.key in seen:
            raise _refusal(f"{where}: another scale has this key")
        seen.add(scale.key)
        _check_items(where, scale.items, questions)
        for key in scale.reverse:
            if key not in scale.items:
                raise _refusal(f"{where}: a reverse-scored item must be one of its items", key)
        subkeys: set[str] = set()
        for sub in scale.subscales:
            inner = f"{where}: subscale {sub.key!r}"
            if sub.key in subkeys:
                raise _refusal(f"{inner}: another subscale of the scale has this key")
            subkeys.add(sub.key)
            _check_items(inner, sub.items, questions)
            for key in sub.items:
                if key not in scale.items:
                    raise _refusal(f"{inner}: its items must be items of the scale", key)


def _check_items(where: str, items: tuple[str, ...], questions: Mapping[str, Question]) -> None:
    if len(set(items)) != len(items):
        repeated = next(key for key in items if items.count(key) > 1)
        raise _refusal(f"{where}: an item is listed twice", repeated)
    for key in items:
        question = questions.get(key)
        if question is None:
            raise _refusal(f"{where}: names a missing question", key)
        if question.type not in SCORED_TYPES:
            raise _refusal(
                f"{where}: an item must be a Likert or rating question, not {question.type}", key
            )


def _check_rule(declared: DeclaredRule, questions: Mapping[str, Question]) -> None:
    target = declared.when.question
    question = questions.get(target)
    if question is None:
        raise _refusal(f"rule for {declared.signal!r} names a missing question", target)
    operator = declared.when.operator
    if operator in ("at_least", "at_most") and question.type not in NUMERIC_TYPES:
        raise _refusal(f"{operator} needs a number or rating question", target)
    if operator == "includes" and question.type != "multiple_choice":
        raise _refusal("includes needs a multiple choice question", target)


def parse(data: Any, source: str) -> SurveyDefinition:
    """Validate and build a definition; every error names `source` and the question."""
    try:
        return SurveyDefinition.model_validate(data)
    except ValidationError as invalid:
        errors = invalid.errors(include_url=False)
        raise DefinitionError(source, *_explain(errors, data)) from None


# -- errors in plain words -----------------------------------------------------------------

_KINDS = {
    "string_type": "text",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "a list",
    "tuple_type": "a list",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "dict_type": "a mapping",
}
_MAPPING_KINDS = frozenset({"model_type", "model_attributes_type", "dict_type"})
# Lists whose items are mappings: an error in one names the item (question, choice, rule…).
_ITEMS = frozenset({"questions", "choices", "rules", "trends", "scales", "subscales"})
# Enumerations short enough to list in a message (the signal catalogue is not).
_MOST_LISTED = 12

Loc = tuple[int | str, ...]


@cache
def _field_names() -> frozenset[str]:
    models: tuple[type[BaseModel], ...] = (
        SurveyDefinition,
        Question,
        Choice,
        Condition,
        When,
        DeclaredRule,
        Trend,
        Scale,
        Subscale,
    )
    names = {"equals", "in"}
    for model in models:
        names.update(model.model_fields)
    return frozenset(names)


def _explain(errors: list[ErrorDetails], data: Any) -> tuple[str, str | None]:
    """The first error as a problem in plain words, and the question it concerns."""
    first = errors[0]
    if first["type"] == "extra_forbidden":
        container = _path(first["loc"][:-1])
        where, question = _where(container, data)
        names = [
            repr(e["loc"][-1])
            for e in errors
            if e["type"] == "extra_forbidden" and _path(e["loc"][:-1]) == container
        ]
        return _join(where, f"unknown field(s) {', '.join(names)}"), question
    container, field = _split(_path(first["loc"]))
    where, question = _where(container, data)
    if container[:1] == ("trends",) and field == "signal":
        # The trend's name is the thing that is wrong: say so once.
        where, field = [], "trend"
    if first["type"] == "definition":
        context = first.get("ctx") or {}
        return _join(where, str(context["problem"])), context.get("question") or question
    return _join(where, _what(first, container, field)), question


def _path(loc: Loc) -> Loc:
    """The location without the names pydantic gives the members of a union (`str`, `int`)."""
    fields = _field_names()
    return tuple(step for step in loc if isinstance(step, int) or step in fields)


def _split(loc: Loc) -> tuple[Loc, str | None]:
    """Where the error is (a mapping), and the field of it that is wrong, if one is."""
    if loc and isinstance(loc[-1], str):
        return loc[:-1], loc[-1]
    if len(loc) >= 2 and isinstance(loc[-2], str) and loc[-2] not in _ITEMS:
        return loc[:-2], loc[-2]  # an item of a list of values: audience, equals, in
    return loc, None


def _join(where: list[str], what: str) -> str:
    return ": ".join([*where, what])


def _where(path: Loc, data: Any) -> tuple[list[str], str | None]:
    """`path` in words (question #2, choice 'a', show_if…) and the question it is about."""
    where: list[str] = []
    question: str | None = None
    node = data
    steps = list(path)
    while steps:
        step = steps.pop(0)
        items = node.get(step) if isinstance(node, Mapping) else None
        if step in _ITEMS and steps and isinstance(steps[0], int):
            index = int(steps.pop(0))
            if isinstance(items, Mapping):  # trends: name to question
                name = list(items)[index] if index < len(items) else index + 1
                node = items.get(name)
                where.append(f"trend {name!r}")
                continue
            node = items[index] if isinstance(items, list) and index < len(items) else None
            described, about = _describe(str(step), index, node)
            where += described
            question = about or question
        else:
            node = items
            where.append(str(step))
    return where, question


def _describe(section: str, index: int, item: Any) -> tuple[list[str], str | None]:
    raw = item if isinstance(item, Mapping) else {}
    if section == "questions":
        key = raw.get("key")
        if isinstance(key, str) and re.match(KEY_PATTERN, key):
            return [], key
        return [f"question #{index + 1}"], None
    if section == "choices":
        value = raw.get("value")
        return [f"choice {value!r}" if value is not None else f"choice #{index + 1}"], None
    if section in ("scales", "subscales"):
        name = section.removesuffix("s")
        key = raw.get("key")
        return [f"{name} {key!r}" if isinstance(key, str) else f"{name} #{index + 1}"], None
    when = raw.get("when")
    target = when.get("question") if isinstance(when, Mapping) else None
    return [f"rule #{index + 1}"], target if isinstance(target, str) else None


def _what(error: ErrorDetails, container: Loc, field: str | None) -> str:
    """What is wrong with `field` (or with the item itself), in plain words."""
    kind, given = error["type"], error.get("input")
    context = error.get("ctx") or {}
    name = field or ""
    if container == () and field == "questions":
        return "a survey needs a non-empty list of questions"
    if container[:1] == ("questions",) and len(container) == 2 and field == "key":
        return "needs a key made of letters, digits and _"
    if field == "show_if" and kind in _MAPPING_KINDS:
        return "show_if needs 'question' and 'equals'"
    if container[-1:] == ("show_if",) and kind == "missing":
        return "needs 'question' and 'equals'"
    if container == () and field is None and kind in _MAPPING_KINDS:
        return f"a survey definition must be a mapping, got {given!r}"
    if kind in ("missing", "string_too_short"):
        return f"missing {name!r}"
    if kind == "literal_error":
        expected = str(context.get("expected", ""))
        listed = expected.count(",") < _MOST_LISTED
        return f"unknown {name} {given!r}" + (f"; use one of {expected}" if listed else "")
    if kind == "too_short":
        return f"{name} needs at least one item"
    if kind == "too_long" and field == "choices":
        return f"a question has at most {context.get('max_length')} choices"
    if kind == "too_long":
        return f"{name} has at most {context.get('max_length')} items"
    if kind == "string_too_long":
        return f"{name} is longer than {context.get('max_length')} characters"
    if kind == "less_than_equal":
        return f"{name} must be at most {context.get('le')}, got {given!r}"
    if kind == "greater_than_equal":
        return f"{name} must be at least {context.get('ge')}, got {given!r}"
    if kind in _KINDS:
        subject = f"{name} must" if name else "must"
        quote = isinstance(given, bool) and kind == "string_type"
        hint = " (put it in quotes: YAML reads yes and no as true and false)" if quote else ""
        return f"{subject} be {_KINDS[kind]}, got {given!r}{hint}"
    return f"{name}: {error['msg']}" if name else error["msg"]
