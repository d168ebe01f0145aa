"""The program settings form of the console; its bounds are the API's (`bounds.py`)."""

from __future__ import annotations

from typing import Any

from wtforms import (
    BooleanField,
    RadioField,
    SelectField,
    TextAreaField,
    ValidationError,
    validators,
)

from service.programs import bounds
from service.programs.models import Program
from service.web.forms import (
    Choices,
    ConsoleForm,
    WholeNumber,
    at_most,
    between,
    choices_of,
    one_of,
    skip_unless,
)
from workflows.cadence import POLICIES
from workflows.pairing import Trigger
from workflows.playbook import APPROACHES
from workflows.signals import SIGNALS


def label_of(name: str) -> str:
    """reminder_after_days → 'Reminder after days', as the page and its messages say it."""
    return name.replace("_", " ").capitalize()


def _optional_between(label: str, limits: tuple[int, int]) -> list[Any]:
    """Empty turns the setting off; anything else is a whole number within `limits`."""
    return [validators.Optional(), between(label, limits)[1]]


class ProgramSettingsForm(ConsoleForm):
    """Every setting on the page. The numbers are added below, one field per bound."""

    cadence_policy = RadioField(
        choices=choices_of(POLICIES),
        validate_choice=False,
        validators=one_of(POLICIES, "Choose a cadence policy."),
    )
    approval_required = Choices(choices=choices_of(t.value for t in Trigger))
    allow_self_approval = BooleanField()
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


def settings_of(program: Program) -> dict[str, Any]:
    """The form's values before anything is posted: the program as it stands."""
    requirement = program.meeting_requirement or {}
    return {
        **{name: getattr(program, name) for name in NUMBER_FIELDS},
        "cadence_policy": program.cadence_policy,
        "approval_required": list(program.approval_required),
        "allow_self_approval": program.allow_self_approval,
        "requirement_period": requirement.get("period", ""),
        "requirement_meetings": requirement.get("meetings") or 0,
        "requirement_minutes": requirement.get("minutes") or 0,
        **{
            f"playbook_{code}": program.playbook.get(code) or text
            for code, text in APPROACHES.items()
        },
    }
