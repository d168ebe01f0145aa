"""The console's participant forms: the list's filters and a participant's details. Their
bounds are the API's (`bounds.py`)."""

from __future__ import annotations

import re
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from wtforms import BooleanField, SelectField, TextAreaField, ValidationError, validators

from service.pairs.forms import EachLength, Topics
from service.participants import bounds
from service.participants.models import Participant
from service.schemas import is_idn_email
from service.web.forms import (
    ConsoleForm,
    Id,
    Text,
    WholeNumber,
    all_digits,
    at_most,
    between,
    choices_of,
    one_of,
)


class ParticipantFilterForm(ConsoleForm):
    """The list's search, filters, order and place (read from the page's address)."""

    q = Text(
        "Search",
        [
            validators.Optional(),
            validators.Length(
                *bounds.SEARCH, message=f"Search: at most {bounds.SEARCH[1]} characters."
            ),
        ],
    )
    program_id = Id("Program")
    role = SelectField(
        "Role",
        choices=choices_of(["", *bounds.ROLES]),
        validate_choice=False,
        validators=one_of(bounds.ROLES, "Choose a role.", optional=True),
    )
    status = SelectField(
        "Status",
        choices=choices_of(["", "active", "inactive"]),
        validate_choice=False,
        validators=one_of(("active", "inactive"), "Choose a status.", optional=True),
    )
    waiting = BooleanField("Waiting for a match")
    waited_days = WholeNumber(
        "Waited at least (days)",
        between("Waited at least (days)", bounds.WAITED_DAYS, optional=True),
    )
    sort = SelectField(
        "Sort by",
        choices=choices_of(bounds.SORTS),
        validate_choice=False,
        validators=one_of(bounds.SORTS, "Choose an order.", optional=True),
    )
    after = Id()

    def filters(self) -> dict[str, Any]:
        """The filters as `participants.service.list_query` takes them."""
        status = self.status.data
        return {
            "q": self.q.data,
            "program_id": self.program_id.data,
            "role": self.role.data or None,
            "active": {"active": True, "inactive": False}.get(status or ""),
            "waiting": True if self.waiting.data else None,
            "waited_days": self.waited_days.data,
        }


class ParticipantForm(ConsoleForm):
    """A participant's details, as the API's `ParticipantSchema` takes them."""

    program_id = Id("Program", [validators.DataRequired("Choose a program.")])
    role = SelectField(
        "Role",
        choices=choices_of(bounds.ROLES),
        validate_choice=False,
        validators=one_of(bounds.ROLES, "Choose a role."),
    )
    full_name = Text(
        "Full name",
        [
            validators.InputRequired("Full name: enter their name."),
            validators.Length(
                *bounds.FULL_NAME, message=f"Full name: at most {bounds.FULL_NAME[1]} characters."
            ),
        ],
    )
    email = Text(
        "E-mail address",
        at_most("E-mail address", bounds.EMAIL_MAX, required="E-mail address: enter one."),
    )
    phone = Text("Phone", at_most("Phone", bounds.PHONE_MAX))
    language = Text(
        "Language",
        [
            *at_most("Language", bounds.LANGUAGE_MAX),
            validators.Regexp(bounds.LANGUAGE_PATTERN, message=bounds.LANGUAGE_MESSAGE),
        ],
    )
    capacity = WholeNumber("Capacity", between("Capacity", bounds.CAPACITY, optional=True))
    guardian_of_id = Id("Parent or guardian of")
    # One box each, separated by commas.
    goals = Topics(
        "Goals",
        validate_choice=False,
        validators=[
            EachLength(*bounds.TAG, message=f"Goals: each at most {bounds.TAG[1]} characters.")
        ],
    )
    skills = Topics(
        "Skills and interests",
        validate_choice=False,
        validators=[
            EachLength(*bounds.TAG, message=f"Skills: each at most {bounds.TAG[1]} characters.")
        ],
    )
    availability = TextAreaField("Availability", at_most("Availability", bounds.AVAILABILITY_MAX))
    # What matching compares (workflows/matching.py).
    languages = Topics(
        "Other languages",
        validate_choice=False,
        validators=[
            EachLength(
                max=bounds.LANGUAGE_MAX,
                message=f"Other languages: each at most {bounds.LANGUAGE_MAX} characters.",
            )
        ],
    )
    location = Text("Location", at_most("Location", bounds.LOCATION_MAX))
    timezone = Text("Time zone", at_most("Time zone", bounds.TIMEZONE_MAX))
    gender = Text("Gender", at_most("Gender", bounds.GENDER_MAX))
    gender_preference = Text(
        "Mentor's gender asked for", at_most("Mentor's gender asked for", bounds.GENDER_MAX)
    )
    household = Text("Family or household", at_most("Family or household", bounds.HOUSEHOLD_MAX))
    conflicts = Topics("Never to be paired with", validate_choice=False)
    active = BooleanField("Active")

    def validate_email(self, field: Text) -> None:
        if field.data and not is_idn_email(field.data):
            raise ValidationError("E-mail address: not a valid e-mail address.")

    def validate_goals(self, field: Topics) -> None:
        _at_most_tags("Goals", field)

    def validate_skills(self, field: Topics) -> None:
        _at_most_tags("Skills", field)

    def validate_languages(self, field: Topics) -> None:
        if len(field.data or []) > bounds.LANGUAGES_MAX:
            raise ValidationError(
                f"Other languages: at most {bounds.LANGUAGES_MAX}, separated by commas."
            )
        for tag in field.data or []:
            if not re.match(bounds.LANGUAGE_PATTERN, tag):
                raise ValidationError(f"Other languages: {bounds.LANGUAGE_MESSAGE}")

    def validate_timezone(self, field: Text) -> None:
        if field.data:
            try:
                ZoneInfo(field.data)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValidationError(
                    f"Time zone: {field.data!r} is not a time zone such as Europe/Oslo."
                ) from None

    def validate_conflicts(self, field: Topics) -> None:
        if len(field.data or []) > bounds.CONFLICTS_MAX:
            raise ValidationError(f"Never to be paired with: at most {bounds.CONFLICTS_MAX}.")
        if not all(all_digits(item) and int(item) > 0 for item in field.data or []):
            raise ValidationError(
                "Never to be paired with: participant numbers, separated by commas."
            )

    def details(self, *, creating: bool) -> dict[str, Any]:
        """The details as `participants.service.create` (or `update`) takes them."""
        details: dict[str, Any] = {
            "full_name": self.full_name.data,
            "email": self.email.data,
            "phone": self.phone.data,
            "language": self.language.data or "en",
            "goals": self.goals.data or [],
            "skills": self.skills.data or [],
            "availability": (self.availability.data or "").strip(),
            "languages": self.languages.data or [],
            "location": self.location.data or "",
            "timezone": self.timezone.data or None,
            "gender": self.gender.data or None,
            "household": self.household.data or None,
            "conflicts": [int(item) for item in self.conflicts.data or []],
            "active": bool(self.active.data),
        }
        if self.role.data == "mentee":
            details["gender_preference"] = self.gender_preference.data or None
        if self.role.data == "mentor":
            details["capacity"] = self.capacity.data or 1
        if self.role.data == "guardian":
            details["guardian_of_id"] = self.guardian_of_id.data
        if creating:
            details["program_id"] = self.program_id.data
            details["role"] = self.role.data
        return details


def _at_most_tags(label: str, field: Topics) -> None:
    if len(field.data or []) > bounds.TAGS_MAX:
        raise ValidationError(f"{label}: at most {bounds.TAGS_MAX}, separated by commas.")


def details_of(participant: Participant) -> dict[str, Any]:
    """The form's values before anything is posted: the participant as they stand."""
    return {
        "program_id": participant.program_id,
        "role": participant.role,
        "full_name": participant.full_name,
        "email": participant.email,
        "phone": participant.phone,
        "language": participant.language,
        "capacity": participant.capacity,
        "guardian_of_id": participant.guardian_of_id,
        "goals": list(participant.goals),
        "skills": list(participant.skills),
        "availability": participant.availability,
        "languages": list(participant.languages),
        "location": participant.location,
        "timezone": participant.timezone,
        "gender": participant.gender,
        "gender_preference": participant.gender_preference,
        "household": participant.household,
        "conflicts": [str(pid) for pid in participant.conflicts],
        "active": participant.active,
    }
