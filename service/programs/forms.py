"""The program settings form of the console; its bounds are the API's (`bounds.py`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from wtforms import (
    BooleanField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
    ValidationError,
    validators,
)
from wtforms.validators import StopValidation

from service.programs import bounds
from service.programs.models import (
    OPTIONAL_DEFAULTS,
    Program,
    ProgramKind,
    default_approval_required,
    default_outcome_months,
)
from service.web.forms import (
    Choices,
    ConsoleForm,
    Day,
    Text,
    WholeNumber,
    at_most,
    between,
    choices_of,
    one_of,
    skip_unless,
)
from workflows.cadence import POLICIES
from workflows.matching import CRITERIA, default_settings
from workflows.pairing import Trigger
from workflows.playbook import APPROACHES
from workflows.signals import SIGNALS


def label_of(name: str) -> str:
    """reminder_after_days → 'Reminder after days', as the page and its messages say it."""
    return name.replace("_", " ").capitalize()


def _optional_between(label: str, limits: tuple[int, int]) -> list[Any]:
    """Empty turns the setting off; anything else is a whole number within `limits`."""
    return [validators.Optional(), between(label, limits)[1]]


class EachBetween(validators.NumberRange):
    """Every number of a list within the range (a `NumberRange`, so its bounds are compared
    with the API's like any other)."""

    def __call__(self, form: Any, field: Any) -> None:
        for value in field.data or []:
            if (self.min is not None and value < self.min) or (
                self.max is not None and value > self.max
            ):
                raise ValidationError(self.message or "Out of range.")


class Months(StringField):
    """Whole numbers of months typed in one box, "6, 12": read as a sorted list, each once."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.raw_data = valuelist
        if not valuelist:
            self.data = None  # left out of the post (an older page): stays as it is
            return
        raw = valuelist[0]
        parts = [part.strip() for part in raw.replace(";", ",").split(",") if part.strip()]
        if not all(part.isdigit() for part in parts):
            self.data = None
            raise ValueError("Outcome months: whole numbers of months, separated by commas.")
        self.data = sorted({int(part) for part in parts})  # type: ignore[assignment]

    def _value(self) -> str:
        return ", ".join(str(n) for n in self.data) if isinstance(self.data, list) else ""


def _few_months(form: Any, field: Any) -> None:
    if field.data and len(field.data) > bounds.OUTCOME_OCCASIONS_MAX:
        raise ValidationError(f"Outcome months: at most {bounds.OUTCOME_OCCASIONS_MAX} follow-ups.")


class ProgramSettingsForm(ConsoleForm):
    """Every setting on the page. The numbers are added below, one field per bound."""

    cadence_policy = RadioField(
        choices=choices_of(POLICIES),
        validate_choice=False,
        validators=one_of(POLICIES, "Choose a cadence policy."),
    )
    approval_required = Choices(choices=choices_of(t.value for t in Trigger))
    allow_self_approval = BooleanField()
    screening_interview = BooleanField()
    screening_references = BooleanField()
    mentee_choice = BooleanField()
    mentee_choice_mentors = WholeNumber(
        "Mentors to choose among",
        between("Mentors to choose among", bounds.MENTEE_CHOICE_MENTORS),
    )
    outcome_measures = BooleanField()
    outcome_months = Months(
        "Outcome months",
        [
            _few_months,
            EachBetween(
                *bounds.OUTCOME_MONTHS,
                message=f"Outcome months: each a whole number from {bounds.OUTCOME_MONTHS[0]} "
                f"to {bounds.OUTCOME_MONTHS[1]}.",
            ),
        ],
    )
    # Empty (or left out): no requirement.
    requirement_period = SelectField(
        choices=choices_of(["", *bounds.REQUIREMENT_PERIODS]),
        validate_choice=False,
        validators=[validators.Optional(), validators.AnyOf(bounds.REQUIREMENT_PERIODS)],
    )
    requirement_meetings = WholeNumber(
        "Requirement meetings",
        [
            skip_unless("requirement_period", *bounds.REQUIREMENT_PERIODS),
            *between("Requirement meetings", bounds.REQUIREMENT_MEETINGS),
        ],
    )
    requirement_minutes = WholeNumber(
        "Requirement minutes",
        [
            skip_unless("requirement_period", *bounds.REQUIREMENT_PERIODS),
            *between("Requirement minutes", bounds.REQUIREMENT_MINUTES),
        ],
    )

    def validate_requirement_minutes(self, field: WholeNumber) -> None:
        if self.requirement_period.data and not self.requirement_meetings.data and not field.data:
            raise ValidationError("A meeting requirement needs meetings or minutes.")

    def changes(self) -> dict[str, Any]:
        """The settings as `programs.service.update` takes them."""
        changes: dict[str, Any] = {name: self[name].data for name in NUMBER_FIELDS}
        changes["cadence_policy"] = self.cadence_policy.data
        changes["approval_required"] = sorted(self.approval_required.data or [])
        changes["allow_self_approval"] = self.allow_self_approval.data
        changes["screening_interview"] = self.screening_interview.data
        changes["screening_references"] = self.screening_references.data
        changes["mentee_choice"] = self.mentee_choice.data
        changes["mentee_choice_mentors"] = self.mentee_choice_mentors.data
        changes["outcome_measures"] = self.outcome_measures.data
        if self.outcome_months.data is not None:
            changes["outcome_months"] = self.outcome_months.data
        period = self.requirement_period.data
        changes["meeting_requirement"] = (
            {
                "period": period,
                "meetings": self.requirement_meetings.data,
                "minutes": self.requirement_minutes.data,
            }
            if period
            else None
        )
        # A criterion the post left out (an older page, a script) stays as it is.
        rules: dict[str, dict[str, Any]] = {}
        for name in CRITERIA:
            mode, weight = self[f"matching_{name}_mode"].data, self[f"matching_{name}_weight"].data
            rule = {"mode": mode} if mode else {}
            if weight is not None:
                rule["weight"] = weight
            if rule:
                rules[name] = rule
        changes["matching_rules"] = rules
        # Text left as the standard playbook says it is not the program's own words.
        changes["playbook"] = {
            code: text
            for code in SIGNALS
            if (text := (self[f"playbook_{code}"].data or "").strip())
            and text != APPROACHES.get(code, "")
        }
        return changes


NUMBER_FIELDS = (*bounds.NUMBERS, *bounds.OPTIONAL_NUMBERS)

for _name, _limits in bounds.NUMBERS.items():
    setattr(
        ProgramSettingsForm, _name, WholeNumber(label_of(_name), between(label_of(_name), _limits))
    )
for _name, _limits in bounds.OPTIONAL_NUMBERS.items():
    setattr(
        ProgramSettingsForm,
        _name,
        WholeNumber(label_of(_name), _optional_between(label_of(_name), _limits)),
    )
for _code in SIGNALS:
    setattr(
        ProgramSettingsForm,
        f"playbook_{_code}",
        TextAreaField(
            SIGNALS[_code].label,
            at_most(SIGNALS[_code].label, bounds.PLAYBOOK_TEXT_MAX),
        ),
    )
for _name, _criterion in CRITERIA.items():
    setattr(
        ProgramSettingsForm,
        f"matching_{_name}_mode",
        RadioField(
            _criterion.label,
            choices=choices_of(bounds.MATCHING_MODES),
            validate_choice=False,
            validators=one_of(
                bounds.MATCHING_MODES, f"{_criterion.label}: choose how it counts.", optional=True
            ),
        ),
    )
    setattr(
        ProgramSettingsForm,
        f"matching_{_name}_weight",
        WholeNumber(
            f"{_criterion.label}: weight",
            between(f"{_criterion.label}: weight", bounds.MATCHING_WEIGHT, optional=True),
        ),
    )


def matching_values(rules: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The matching criteria as the form's fields hold them."""
    values: dict[str, Any] = {}
    for name, rule in rules.items():
        values[f"matching_{name}_mode"] = rule["mode"]
        values[f"matching_{name}_weight"] = rule["weight"]
    return values


def settings_of(program: Program) -> dict[str, Any]:
    """The form's values before anything is posted: the program as it stands."""
    requirement = program.meeting_requirement or {}
    return {
        **{name: getattr(program, name) for name in NUMBER_FIELDS},
        "cadence_policy": program.cadence_policy,
        "approval_required": list(program.approval_required),
        "allow_self_approval": program.allow_self_approval,
        "screening_interview": program.screening_interview,
        "screening_references": program.screening_references,
        "mentee_choice": program.mentee_choice,
        "mentee_choice_mentors": program.mentee_choice_mentors,
        "outcome_measures": program.outcome_measures,
        "outcome_months": list(program.outcome_months or []),
        "requirement_period": requirement.get("period", ""),
        "requirement_meetings": requirement.get("meetings") or 0,
        "requirement_minutes": requirement.get("minutes") or 0,
        **matching_values(program.matching_rules),
        **{
            f"playbook_{code}": program.playbook.get(code) or text
            for code, text in APPROACHES.items()
        },
    }


# ---------------------------------------------------------------------------- a new program
# The settings above, and what a program is: its name, its kind, where it runs.


@dataclass(frozen=True)
class Explained:
    """A setting as the page explains it in place."""

    unit: str  # "days", "points"; "" when the setting is not a number
    what: str  # what the setting changes
    why: str  # why it matters in practice


EXPLAINED: dict[str, Explained] = {
    "name": Explained(
        "",
        "What staff and e-mails call the program.",
        "Participants read it in every survey e-mail: use the name they know.",
    ),
    "slug": Explained(
        "",
        "The program's short name in links and in the API; made from the name when left empty.",
        "Other services find the program by it; changing it later breaks their links.",
    ),
    "description": Explained(
        "", "A few lines for staff about who the program serves.", "New coordinators read it first."
    ),
    "kind": Explained(
        "",
        "Long-term pairs meet for months on a check-in calendar; an event-based program's "
        "follow-ups count from the day of its event.",
        "It decides which calendar every pair follows.",
    ),
    "youth": Explained(
        "",
        "Parents or guardians take part: they are told about the match, train, and are asked how "
        "it goes.",
        "Youth programs need a guardian's view and consent; adult programs must not send them "
        "anything.",
    ),
    "timezone": Explained(
        "",
        "The program's local time, an IANA name such as Europe/Oslo.",
        "Check-ins are due, and reminders sent, on local days: the wrong zone sends them at night.",
    ),
    "event_on": Explained(
        "",
        "Event-based programs: the day of the event (a date like 2026-12-01).",
        "Follow-up surveys are due a set number of days after it.",
    ),
    "cadence_policy": Explained(
        "",
        "When participants are asked to check in and when staff contact them.",
        "It is the rhythm of the whole program: too sparse and a failing match goes unseen for "
        "months.",
    ),
    "approval_required": Explained(
        "",
        "Moves filed by automation or a service's token wait for a coordinator's approval.",
        "A re-match or an ending changes a young person's relationship: someone should look "
        "before it happens.",
    ),
    "allow_self_approval": Explained(
        "",
        "Whoever filed a proposal, a service's token or a member of staff, may approve it too; "
        "off, someone else (four eyes) must. Rejecting one's own proposal is always allowed.",
        "Off, no one decides alone what the program wants checked: turn it on only if one "
        "person runs the program.",
    ),
    "requirement_period": Explained(
        "",
        "The meeting requirement: so many meetings, or minutes, or both, per week or per month; "
        "empty: none.",
        "Pairs below it are listed on the dashboard and their coordinator is told.",
    ),
    "requirement_meetings": Explained(
        "meetings",
        "Meetings a pair should hold per period (0: count minutes only).",
        "Regular meetings are what make a match work.",
    ),
    "requirement_minutes": Explained(
        "minutes",
        "Minutes a pair should meet per period (0: count meetings only).",
        "Some programs count time together rather than meetings.",
    ),
    "reminder_after_days": Explained(
        "days",
        "How long a survey invitation may stay unanswered before a reminder is sent.",
        "Sooner catches a busy week; too soon feels like nagging.",
    ),
    "reminders_max": Explained(
        "reminders",
        "Reminders sent before an unanswered check-in is overdue for the coordinator (0: none).",
        "After that a person, not another e-mail, should get in touch.",
    ),
    "staff_contact_grace_days": Explained(
        "days",
        "Days after its due date before a coordinator's own check-in counts as overdue.",
        "Gives staff room to plan their calls without hiding missed ones.",
    ),
    "checkin_spacing_days": Explained(
        "days",
        "No participant gets two check-ins closer than this: the later one merges into the first.",
        "Stops a pair that was just flagged getting several surveys in one week.",
    ),
    "closure_notice_days": Explained(
        "days",
        "How long before the planned end of a match its closure is proposed.",
        "The mentee needs to hear about the ending in good time, and to plan a last session.",
    ),
    "rematch_buffer_days": Explained(
        "days",
        "A re-match waits this long after the final interaction with the previous mentor, unless "
        "a coordinator gives a reason to go sooner.",
        "A mentee needs time to close one relationship before starting the next.",
    ),
    "invitation_valid_days": Explained(
        "days",
        "How long a survey link works.",
        "Long enough for a participant who is away; short, since a link lets anyone answer.",
    ),
    "rating_drop_threshold": Explained(
        "points on the 1 to 10 pulse",
        "How far a participant's rating may fall since their last check-in before a warning sign "
        "is raised.",
        "A sudden drop is often the first sign of trouble; too small a threshold raises noise.",
    ),
    "rating_divergence_gap": Explained(
        "points on the 1 to 10 pulse",
        "How far mentor and mentee may rate the match apart before a warning sign is raised.",
        "When one side thinks it goes well and the other does not, somebody is not being heard.",
    ),
    "cancellations_to_flag": Explained(
        "cancellations or no-shows",
        "How many, within the window below, raise a warning sign of missed meetings.",
        "One cancellation is life; several in a month is a match drifting apart.",
    ),
    "cancellation_window_days": Explained(
        "days",
        "The window in which cancellations, no-shows and last-minute changes are counted.",
        "Longer catches slow drift in monthly-meeting programs; shorter forgets old trouble "
        "sooner.",
    ),
    "late_notice_hours": Explained(
        "hours",
        "Less notice than this makes a cancellation or a move last-minute; the second within the "
        "window raises a warning sign.",
        "Last-minute changes hurt the one left waiting, most often the mentee.",
    ),
    "insights_min_group": Explained(
        "pairs or respondents",
        "The smallest group a figure on the insights pages and their exports is drawn from; "
        'a smaller one shows as "fewer than" this.',
        "A figure about two or three people can point at one of them.",
    ),
    "risk_min_closed_matches": Explained(
        "ended matches",
        "The closure-risk model learns from the program's own ended matches, and only once "
        "there are at least this many; until then no pair is scored.",
        "A model drawn from a handful of endings would invent patterns that are not there.",
    ),
    "risk_threshold_percent": Explained(
        "percent",
        "A pair whose estimated chance of ending early within six months reaches this raises a "
        "warning sign for its coordinator.",
        "Lower catches more pairs heading for an early end, and flags more that were fine.",
    ),
    "no_meeting_alert_days": Explained(
        "days",
        "Days without a logged meeting before a warning sign is raised; empty: never.",
        "Silence is the commonest way a match ends without anyone deciding it.",
    ),
    "waiting_target_days": Explained(
        "days",
        "The longest a mentee should wait for a match; the dashboard counts those who waited "
        "longer, and each is sent a kind word once; empty: no target.",
        "A long, silent wait is when mentees give up: they should hear from the program.",
    ),
    "screening_interview": Explained(
        "",
        "A mentor is approved only once their interview is recorded.",
        "Meeting a future mentor is how a program learns whether they fit its young people.",
    ),
    "screening_references": Explained(
        "",
        "A mentor is approved only once their references are recorded.",
        "Others who know the applicant see what an interview cannot.",
    ),
    "mentee_choice": Explained(
        "",
        "From a waiting mentee's pair page, a coordinator may e-mail the mentee a link to choose "
        "their mentor among their best suggestions; the choice is the match, and both accept "
        "the introduction as usual. The link works as long as a survey link.",
        "A mentee who chose their mentor starts the relationship wanting it; the choice stays "
        "within mentors the program's criteria put first.",
    ),
    "mentee_choice_mentors": Explained(
        "mentors",
        "How many of the mentee's best suggested mentors the link offers, best first, as they "
        "stand when it is sent.",
        "Two or three is a real choice; more makes it hard to choose at all.",
    ),
    "outcome_measures": Explained(
        "",
        "Mentees answer the outcome survey when their match becomes active, at the months below "
        "and when the match closes; the insights show how each scale changed since the start.",
        "Funders and boards ask whether young people are better off: the same questions asked "
        "over time are how a program can tell.",
    ),
    "outcome_months": Explained(
        "months after the match becomes active",
        "When the outcome survey is given again while the match runs, e.g. 6, 12.",
        "Far enough apart for change to show, close enough that mentees still take part.",
    ),
    "match_length_months": Explained(
        "months",
        "The planned length of a match, from the day it becomes active; empty: open-ended.",
        "Closure is proposed before it ends, so the ending is planned, not a fade-out.",
    ),
}


def default_of(name: str) -> Any:
    """A new program's value of `name`, as the database gives it when nothing is said."""
    if name in OPTIONAL_DEFAULTS:
        return OPTIONAL_DEFAULTS[name]
    column = Program.__table__.c.get(name)
    default = column.default if column is not None else None
    if default is None:
        return None
    return default.arg(None) if callable(default.arg) else default.arg


KIND_LABELS = {ProgramKind.LONG_TERM: "Long-term mentoring", ProgramKind.EVENT_BASED: "Event-based"}


def shown_default(name: str) -> str | None:
    """A new program's value of `name` in the page's words, or None when it has none."""
    value = default_of(name)
    if value is None or value == "" or isinstance(value, list | dict):
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if name == "kind":
        return KIND_LABELS[ProgramKind(value)]
    if name == "cadence_policy":
        return POLICIES[value].title
    return str(value)


def _unless_left_out(form: Any, field: Any) -> None:
    """On a change, a part of the program the post left out stays as it is: not checked."""
    if getattr(form, "editing", False) and not field.raw_data:
        field.errors = []
        raise StopValidation()


def _timezone(form: Any, field: Any) -> None:
    try:
        ZoneInfo(field.data)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"{field.data!r} is not a timezone such as Europe/Oslo.") from None


class ProgramForm(ProgramSettingsForm):
    """A program, new or changed: what it is, then every setting. On a change, a part left
    out of the post (an older page, a script) stays as it is."""

    name = Text(
        "Name",
        [
            _unless_left_out,
            validators.DataRequired("Give the program a name."),
            validators.Length(
                min=1, max=bounds.NAME_MAX, message=f"Name: at most {bounds.NAME_MAX} characters."
            ),
        ],
    )
    slug = Text(
        "Short name",
        [
            _unless_left_out,
            validators.Optional(),
            validators.Length(
                min=1,
                max=bounds.SLUG_MAX,
                message=f"Short name: at most {bounds.SLUG_MAX} characters.",
            ),
            validators.Regexp(bounds.SLUG_PATTERN, message=f"Short name: {bounds.SLUG_RULE}"),
        ],
    )
    description = TextAreaField(
        "Description", [_unless_left_out, *at_most("Description", bounds.DESCRIPTION_MAX)]
    )
    kind = RadioField(
        choices=choices_of(ProgramKind),
        validate_choice=False,
        validators=[_unless_left_out, *one_of(ProgramKind, "Choose the kind of program.")],
    )
    youth = RadioField(
        choices=choices_of(["yes", "no"]),
        validate_choice=False,
        validators=[
            _unless_left_out,
            validators.InputRequired("Say whether parents or guardians take part."),
        ],
    )
    timezone = Text(
        "Timezone",
        [
            _unless_left_out,
            validators.DataRequired("Give the program's timezone, e.g. Europe/Oslo."),
            validators.Length(
                max=bounds.TIMEZONE_MAX,
                message=f"Timezone: at most {bounds.TIMEZONE_MAX} characters.",
            ),
            _timezone,
        ],
    )
    event_on = Day("Event day", [validators.Optional()])

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.editing = editing

    def posted(self, name: str) -> bool:
        return bool(self[name].raw_data)

    def profile(self, *, creating: bool) -> dict[str, Any]:
        """What the program is, as `programs.service` takes it: on a change, only the parts
        the post carried."""
        values: dict[str, Any] = {
            "name": self.name.data,
            "slug": self.slug.data,
            "description": self.description.data or "",
            "kind": self.kind.data,
            "youth": self.youth.data == "yes",
            "timezone": self.timezone.data,
            "event_on": self.event_on.data,
        }
        if creating:
            return values if values["slug"] else {k: v for k, v in values.items() if k != "slug"}
        return {
            name: value
            for name, value in values.items()
            if self.posted(name) and not (name == "slug" and not value)
        }


def profile_of(program: Program) -> dict[str, Any]:
    return {
        "name": program.name,
        "slug": program.slug,
        "description": program.description,
        "kind": program.kind,
        "youth": "yes" if program.youth else "no",
        "timezone": program.timezone,
        "event_on": program.event_on,
    }


def new_program_defaults() -> dict[str, Any]:
    """The create page before anything is posted: every setting at its default."""
    numbers = {name: default_of(name) for name in NUMBER_FIELDS}
    return {
        **numbers,
        "kind": ProgramKind.LONG_TERM.value,
        "youth": "no",
        "timezone": "UTC",
        "cadence_policy": default_of("cadence_policy"),
        "approval_required": default_approval_required(),
        "allow_self_approval": False,
        "screening_interview": True,
        "screening_references": True,
        "mentee_choice": False,
        "mentee_choice_mentors": default_of("mentee_choice_mentors"),
        "outcome_measures": False,
        "outcome_months": default_outcome_months(),
        "requirement_period": "",
        "requirement_meetings": 0,
        "requirement_minutes": 0,
        **matching_values(default_settings()),
        **{f"playbook_{code}": text for code, text in APPROACHES.items()},
    }
