"""A console form and the API accept the same values: for every field a console form shares
with an API schema, the numbers, lengths and choices are the same on both sides, so changing
one side alone fails here."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
import pytest
from flask_wtf import FlaskForm
from marshmallow import validate
from wtforms import SelectFieldBase, validators

from service.approvals.forms import DecisionForm
from service.approvals.schemas import ApproveSchema, RejectSchema
from service.meetings.schemas import MeetingSchema
from service.pairs.forms import (
    AcceptanceForm,
    AgreementForm,
    BeginClosureForm,
    GroupCheckinForm,
    InterventionForm,
    MeetingForm,
    RematchForm,
    TrainingForm,
    TransitionForm,
)
from service.pairs.schemas import (
    AcceptanceSchema,
    AgreementSchema,
    InterventionSchema,
    TransitionRequestSchema,
)
from service.participants.forms import ParticipantFilterForm, ParticipantForm
from service.participants.schemas import ParticipantQuerySchema, ParticipantSchema
from service.programs import bounds as program_bounds
from service.programs.forms import ProgramForm, ProgramSettingsForm
from service.programs.schemas import CriterionSchema, MeetingRequirementSchema, ProgramSchema
from service.surveys.schemas import GroupCheckinSchema
from service.training.schemas import TrainingRecordSchema
from service.webhooks.api import EndpointSchema
from service.webhooks.forms import EndpointForm
from workflows.matching import CRITERIA
from workflows.signals import SIGNALS

Limits = dict[str, Any]


def _form_limits(field: Any) -> Limits:
    limits: Limits = {}
    for check in field.validators:
        if isinstance(check, validators.NumberRange):
            limits["range"] = (check.min, check.max)
        elif isinstance(check, validators.Length):
            limits["length"] = (max(check.min, 0), None if check.max == -1 else check.max)
        elif isinstance(check, validators.AnyOf):
            limits["choices"] = {str(v) for v in check.values}
    if "choices" not in limits and isinstance(field, SelectFieldBase) and field.validate_choice:
        limits["choices"] = {str(value) for value, *_ in field.iter_choices()}
    return limits


def _schema_limits(field: ma.fields.Field) -> Limits:
    if isinstance(field, ma.fields.List):  # the items are what a console box ticks
        field = field.inner
    if isinstance(field, ma.fields.Dict):  # the playbook: its texts, by signal
        field = field.value_field
    limits: Limits = {}
    for check in field.validators:
        if isinstance(check, validate.Range):
            limits["range"] = (check.min, check.max)
        elif isinstance(check, validate.Length):
            limits["length"] = (check.min or 0, check.max)
        elif isinstance(check, validate.OneOf):
            limits["choices"] = {str(v) for v in check.choices}
    return limits


# Fields a form shares with a schema under another name: form field -> schema field.
_PROGRAM_RENAMED: dict[str, tuple[type[ma.Schema], str]] = {
    "requirement_period": (MeetingRequirementSchema, "period"),
    "requirement_meetings": (MeetingRequirementSchema, "meetings"),
    "requirement_minutes": (MeetingRequirementSchema, "minutes"),
    **{f"playbook_{code}": (ProgramSchema, "playbook") for code in SIGNALS},
    **{f"matching_{name}_mode": (CriterionSchema, "mode") for name in CRITERIA},
    **{f"matching_{name}_weight": (CriterionSchema, "weight") for name in CRITERIA},
}
RENAMED: dict[type[FlaskForm], dict[str, tuple[type[ma.Schema], str]]] = {
    ProgramSettingsForm: _PROGRAM_RENAMED,
    ProgramForm: _PROGRAM_RENAMED,
}
# Shared names that do not carry the same bounds, and why.
NOT_COMPARED = {
    # Ids are picked from rows on the page; the database says whether one exists.
    (TransitionForm, "mentor_id"),
    (RematchForm, "mentor_id"),
    (GroupCheckinForm, "pair_ids"),
    # Closure is begun from its own page, which offers the two reasons begin_closure takes;
    # the API takes every reason and checks it against the trigger.
    (BeginClosureForm, "closure_reason"),
    (ParticipantForm, "program_id"),
    (ParticipantForm, "guardian_of_id"),
    # Participant numbers typed in one box; the database says whether each exists.
    (ParticipantForm, "conflicts"),
    (ParticipantFilterForm, "program_id"),
    # The list's next page: an id its own link carries; one that names nobody starts over.
    (ParticipantFilterForm, "after"),
    # A yes-or-no choice on the page, a boolean in the API: neither has bounds to share.
    (ProgramForm, "youth"),
}
PAIRS: list[tuple[type[FlaskForm], type[ma.Schema]]] = [
    (ProgramSettingsForm, ProgramSchema),
    (ProgramForm, ProgramSchema),
    (TransitionForm, TransitionRequestSchema),
    (BeginClosureForm, TransitionRequestSchema),
    (RematchForm, TransitionRequestSchema),
    (AcceptanceForm, AcceptanceSchema),
    (AgreementForm, AgreementSchema),
    (GroupCheckinForm, GroupCheckinSchema),
    (InterventionForm, InterventionSchema),
    (MeetingForm, MeetingSchema),
    (TrainingForm, TrainingRecordSchema),
    (DecisionForm, ApproveSchema),
    (EndpointForm, EndpointSchema),
    (ParticipantForm, ParticipantSchema),
    (ParticipantFilterForm, ParticipantQuerySchema),
]


def shared_fields(form: FlaskForm, schema: ma.Schema) -> dict[str, ma.fields.Field]:
    """The form's fields the API also takes, each with the schema field it matches."""
    loaded = {name: f for name, f in schema.fields.items() if not f.dump_only}
    shared = {name: loaded[name] for name in form._fields if name in loaded}
    for name, (other, field) in RENAMED.get(type(form), {}).items():
        if name in form._fields:
            shared[name] = other().fields[field]
    return {n: f for n, f in shared.items() if (type(form), n) not in NOT_COMPARED}


def drift(form: FlaskForm, schema: ma.Schema) -> list[str]:
    """Every shared field whose bounds differ, with both sides."""
    return [
        f"{type(form).__name__}.{name}: console {_form_limits(form[name])}, "
        f"API {_schema_limits(field)}"
        for name, field in shared_fields(form, schema).items()
        if _form_limits(form[name]) != _schema_limits(field)
    ]


@pytest.mark.parametrize(("form_class", "schema_class"), PAIRS, ids=lambda c: c.__name__)
def test_a_console_form_bounds_every_field_it_shares_with_the_api_as_the_api_does(
    app, form_class, schema_class
):
    with app.test_request_context():
        assert drift(form_class(), schema_class()) == []


def test_every_setting_the_api_bounds_is_on_the_console_form_with_its_bounds(app):
    with app.test_request_context():
        shared = shared_fields(ProgramSettingsForm(), ProgramSchema())
    bounded = {**program_bounds.NUMBERS, **program_bounds.OPTIONAL_NUMBERS}
    assert set(bounded) <= set(shared)
    assert {"cadence_policy", "approval_required", "requirement_minutes"} <= set(shared)


def test_a_reason_for_rejecting_is_as_long_in_the_console_as_in_the_api(app):
    with app.test_request_context():
        console = _form_limits(DecisionForm()["reason"])["length"][1]
    assert console == _schema_limits(RejectSchema().fields["reason"])["length"][1]


def test_a_bound_changed_on_one_side_only_is_found(app):
    class Drifted(ProgramSettingsForm):
        pass

    Drifted.cancellation_window_days = ProgramSettingsForm.cancellation_window_days.field_class(
        "Cancellation window days", [validators.NumberRange(1, 180)]
    )
    with app.test_request_context():
        found = drift(Drifted(), ProgramSchema())
    assert found == [
        "Drifted.cancellation_window_days: console {'range': (1, 180)}, API {'range': (1, 365)}"
    ]


def test_the_participant_forms_share_their_bounded_fields_with_the_api(app):
    with app.test_request_context():
        details = shared_fields(ParticipantForm(), ParticipantSchema())
        listing = shared_fields(ParticipantFilterForm(), ParticipantQuerySchema())
    assert {"full_name", "email", "phone", "language", "capacity", "goals", "skills"} <= set(
        details
    )
    assert {"q", "role", "waited_days"} <= set(listing)


def test_a_new_program_is_named_and_placed_within_the_api_s_bounds(app):
    with app.test_request_context():
        shared = shared_fields(ProgramForm(), ProgramSchema())
    assert {"name", "slug", "description", "kind", "timezone", "event_on"} <= set(shared)
