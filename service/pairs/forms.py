"""The forms of the pair pages. Bounds a form shares with the API come from the domain's
`bounds.py`; `tests/console/test_form_bounds.py` fails when the two sides differ."""

from __future__ import annotations

from typing import Any

from wtforms import BooleanField, StringField, validators

from service.closure.models import ContactPolicy
from service.meetings import bounds as meeting_bounds
from service.meetings.models import MeetingStatus
from service.notes.models import Confidentiality
from service.pairs import bounds
from service.schemas import MAX_ID
from service.training import bounds as training_bounds
from service.training.models import TrainingSession
from service.web.forms import (
    Choices,
    ConsoleForm,
    Day,
    Id,
    Text,
    WholeNumber,
    all_digits,
    at_most,
    choices_of,
    one_of,
)
from workflows import cadence
from workflows.pairing import ClosureReason, Trigger
from workflows.signals import SIGNALS

# Console-only texts (no API takes them): bounded all the same, so a page cannot store a
# novel by accident.
NOTE_MAX = 20_000
CLOSURE_TEXT_MAX = 5000
MESSAGE_MAX = 5000


class EachLength(validators.Length):
    """Every line of a list is between `min` and `max` characters long (WTForms' `Length`
    would count the lines): the bound the API's schema puts on each item."""

    def __call__(self, form: Any, field: Any) -> None:
        for item in field.data or []:
            if not self.min <= len(item) <= (self.max if self.max != -1 else len(item)):
                raise validators.ValidationError(self.message or "Too long.")


class Lines(Choices):
    """Several boxes of the same name (the goals), read as a list of their non-empty texts."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = [text for value in valuelist if (text := value.strip())]

    def pre_validate(self, form: Any) -> None:
        """Any text is a valid line: there is no list of choices to pick from."""


class Topics(Lines):
    """One box of topics separated by commas, read as a list of them."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = [
            text for value in valuelist for part in value.split(",") if (text := part.strip())
        ]


def _buffer_override_reason() -> Text:
    return Text(
        "Buffer override reason",
        [
            validators.Optional(),
            validators.Length(
                *bounds.BUFFER_OVERRIDE_REASON,
                message="Buffer override reason: at most %(max)d characters.",
            ),
        ],
    )


class TransitionForm(ConsoleForm):
    trigger = StringField(validators=one_of(Trigger, "Choose what to do with the pair."))
    reason = Text("Reason", at_most("Reason", bounds.REASON_MAX))
    signals = Choices("Signals", choices=choices_of(SIGNALS))
    mentor_id = Id("Mentor")
    final_session_on = Day("Final session on")
    closure_reason = Text(
        validators=one_of(ClosureReason, "Choose why the pair closes.", optional=True)
    )
    buffer_override_reason = _buffer_override_reason()


class AcceptanceForm(ConsoleForm):
    role = StringField(
        validators=one_of(bounds.ROLES, "Say whether the mentor or the mentee accepted.")
    )


class InterventionForm(ConsoleForm):
    description = Text(
        "Description",
        [
            validators.DataRequired("Describe the intervention."),
            validators.Length(
                *bounds.INTERVENTION_DESCRIPTION,
                message="Description: at most %(max)d characters.",
            ),
        ],
    )
    approach = Text(
        validators=one_of(
            bounds.INTERVENTION_APPROACHES, "Choose how the pair was approached.", optional=True
        )
    )
    signal = Text(validators=one_of(SIGNALS, "Choose a warning sign.", optional=True))
    follow_up_on = Day("Follow up on")


class PauseForm(ConsoleForm):
    reason = Text(validators=one_of(cadence.PauseReason, "Choose why the pair pauses."))
    ends_on = Day("Until", [validators.InputRequired("Until: choose the day the pair resumes.")])
    note = Text("Note", at_most("Note", bounds.PAUSE_NOTE_MAX))


class MeetingForm(ConsoleForm):
    occurred_on = Day("Date", [validators.InputRequired("Give the date of the meeting.")])
    status = Text(
        validators=one_of(MeetingStatus, "Say whether the meeting was held.", optional=True)
    )
    duration_minutes = WholeNumber(
        "Duration minutes",
        [
            validators.Optional(),
            validators.NumberRange(
                *meeting_bounds.DURATION_MINUTES,
                message="Duration minutes: a whole number from %(min)s to %(max)s.",
            ),
        ],
    )
    attendees = Choices("Attendees", choices=choices_of(meeting_bounds.ATTENDEES))
    location = Text("Location", at_most("Location", meeting_bounds.LOCATION_MAX))
    activities = Text("Activities", at_most("Activities", meeting_bounds.ACTIVITIES_MAX))
    is_final_session = BooleanField()
    back = StringField()

    def back_to(self) -> str | None:
        """Where the form was posted from, if it is a console page (never another site)."""
        target = self.back.data or ""
        return target if target.startswith("/console") and "//" not in target else None


class NoteForm(ConsoleForm):
    body = Text("Note", at_most("Note", NOTE_MAX, required="Write the note."))
    confidentiality = Text(
        validators=one_of(Confidentiality, "Choose who may read the note.", optional=True)
    )


class TrainingForm(ConsoleForm):
    participant_id = Id(validators=[validators.DataRequired("Choose someone of this pair.")])
    session = Text(validators=one_of(TrainingSession, "Choose the training session."))
    completed_on = Day("Completed on")
    # What the session covered: one box, topics separated by commas.
    topics = Topics(
        "Topics",
        validate_choice=False,
        validators=[
            EachLength(
                *training_bounds.TOPIC,
                message=f"Topics: each at most {training_bounds.TOPIC[1]} characters.",
            )
        ],
    )

    def validate_topics(self, field: Any) -> None:
        if len(field.data or []) > training_bounds.TOPICS_MAX:
            raise validators.ValidationError(
                f"Topics: at most {training_bounds.TOPICS_MAX}, separated by commas."
            )


class StaffForm(ConsoleForm):
    coordinator_id = Id()
    # Ids of support staff; one that is not a number names nobody and is left out.
    support = Choices(validate_choice=False)

    def support_ids(self) -> set[int]:
        return {int(u) for u in self.support.data or [] if all_digits(u) and int(u) <= MAX_ID}


class RematchForm(ConsoleForm):
    mentor_id = Id(validators=[validators.DataRequired("Choose the new mentor.")])
    reason = Text("Reason", at_most("Reason", bounds.REASON_MAX))
    buffer_override_reason = _buffer_override_reason()
    reassure = BooleanField()
    message = Text("Message", at_most("Message", MESSAGE_MAX))


CLOSURE_STEPS = ("begin", "plan", "policy", "reflections", "close")


class ClosureStepForm(ConsoleForm):
    step = StringField(validators=one_of(CLOSURE_STEPS, "Unknown closure step."))


class BeginClosureForm(ConsoleForm):
    kind = Text(
        validators=one_of(
            ("anticipated", "unanticipated"), "Anticipated or unanticipated?", optional=True
        )
    )
    closure_reason = Text(
        validators=one_of(
            (ClosureReason.COMPLETED, ClosureReason.ENDED_EARLY),
            "Completed, or ended early?",
            optional=True,
        )
    )
    final_session_on = Day("Final session on")
    reason = Text("Reason", at_most("Reason", bounds.REASON_MAX))


class CelebrationForm(ConsoleForm):
    celebration_plan = Text("Plan", at_most("Plan", CLOSURE_TEXT_MAX))
    celebration_on = Day("Celebration on")


class ContactPolicyForm(ConsoleForm):
    contact_policy = Text(
        validators=one_of(ContactPolicy, "Choose what was agreed about contact.", optional=True)
    )
    contact_policy_notes = Text("Notes", at_most("Notes", CLOSURE_TEXT_MAX))


def _agreement_text(label: str, bound: tuple[int, int], required: str) -> Text:
    return Text(
        label,
        [
            validators.DataRequired(required),
            validators.Length(*bound, message=f"{label}: at most %(max)d characters."),
        ],
    )


class AgreementForm(ConsoleForm):
    agreed_on = Day("Agreed on", [validators.InputRequired("Give the date of the agreement.")])
    meeting_frequency = _agreement_text(
        "How often", bounds.AGREEMENT_MEETING, "Say how often the pair meets."
    )
    meeting_format = _agreement_text(
        "How they meet", bounds.AGREEMENT_MEETING, "Say how and where the pair meets."
    )
    ground_rules = _agreement_text(
        "Ground rules", bounds.AGREEMENT_TEXT, "Write down the ground rules they agreed."
    )
    chemistry_plan = _agreement_text(
        "Chemistry problems",
        bounds.AGREEMENT_TEXT,
        "Say how they will handle it if they do not click.",
    )
    goals = Lines(
        "Goals",
        validate_choice=False,
        validators=[
            EachLength(
                *bounds.AGREEMENT_GOAL,
                message=f"Goals: each at most {bounds.AGREEMENT_GOAL[1]} characters.",
            )
        ],
    )

    def validate_goals(self, field: Any) -> None:
        low, high = bounds.AGREEMENT_GOALS
        if not low <= len(field.data or []) <= high:
            raise validators.ValidationError(f"Goals: agree from {low} to {high} goals.")


class GroupCheckinForm(ConsoleForm):
    # Ids of the pairs ticked; one that is not a number names no pair and is left out.
    pair_ids = Choices(validate_choice=False)
    held_on = Day("Held on", [validators.InputRequired("Give the date of the group check-in.")])
    notes = Text("Notes", at_most("Notes", bounds.GROUP_CHECKIN_NOTES))

    def ids(self) -> list[int]:
        return [int(i) for i in self.pair_ids.data or [] if all_digits(i) and int(i) <= MAX_ID]


# The longest text of each box on the pair pages, by what it holds (their `maxlength`).
MAXLENGTH: dict[str, int] = {
    "reason": bounds.REASON_MAX,
    "buffer_override_reason": bounds.BUFFER_OVERRIDE_REASON[1],
    "intervention": bounds.INTERVENTION_DESCRIPTION[1],
    "location": meeting_bounds.LOCATION_MAX,
    "activities": meeting_bounds.ACTIVITIES_MAX,
    "note": NOTE_MAX,
    "closure_text": CLOSURE_TEXT_MAX,
    "message": MESSAGE_MAX,
    "agreement_meeting": bounds.AGREEMENT_MEETING[1],
    "agreement_text": bounds.AGREEMENT_TEXT[1],
    "goal": bounds.AGREEMENT_GOAL[1],
    "group_notes": bounds.GROUP_CHECKIN_NOTES,
    # Topics in one box, separated by commas.
    "topics": training_bounds.TOPICS_MAX * (training_bounds.TOPIC[1] + 2),
}
