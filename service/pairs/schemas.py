from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, post_dump, validate, validates_schema

from service.confidentiality import visible_reason, visible_signals
from service.pairs import bounds
from service.schemas import (
    ActorSchema,
    BoundedList,
    PageArgsSchema,
    Schema,
    api_link,
    id_field,
)
from workflows import cadence, pairing
from workflows.endings import EndingReason, Viewpoint
from workflows.pairing import ClosureReason, State, Trigger
from workflows.signals import SIGNALS

# A signal named twice is still one signal: a list longer than the catalogue is a mistake.
_signal_list = BoundedList(
    fields.String(validate=validate.OneOf(list(SIGNALS))), max_items=len(SIGNALS)
)


class PairSchema(Schema):
    id = fields.Integer(dump_only=True)
    program_id = id_field(required=True)
    mentee_id = id_field(required=True)
    mentor_id = fields.Integer(dump_only=True, allow_none=True)
    state = fields.String(dump_only=True)
    version = fields.Integer(
        dump_only=True, metadata={"description": "Number of transitions applied so far."}
    )
    state_changed_at = fields.DateTime(dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    predecessor_id = fields.Integer(dump_only=True, allow_none=True)
    successor_id = fields.Integer(dump_only=True, allow_none=True)
    mentor_accepted_at = fields.DateTime(dump_only=True, allow_none=True)
    mentee_accepted_at = fields.DateTime(dump_only=True, allow_none=True)
    final_session_on = fields.Date(dump_only=True, allow_none=True)
    closure_reason = fields.String(dump_only=True, allow_none=True)
    closed_at = fields.DateTime(dump_only=True, allow_none=True)
    coordinator_id = fields.Integer(dump_only=True, allow_none=True)
    matched_at = fields.DateTime(dump_only=True, allow_none=True)
    activated_at = fields.DateTime(dump_only=True, allow_none=True)
    planned_end_on = fields.Date(dump_only=True, allow_none=True)
    paused_from = fields.Date(
        dump_only=True,
        allow_none=True,
        metadata={"description": "The latest pause began on this day (see /pauses)."},
    )
    paused_until = fields.Date(
        dump_only=True,
        allow_none=True,
        metadata={"description": "The latest pause ends on this day: the pair resumes then."},
    )
    allowed_triggers = fields.Method(
        "_allowed",
        dump_only=True,
        metadata={
            "description": "Triggers declared from the current state (guards may still refuse)."
        },
    )
    links = fields.Method("_links", dump_only=True)

    def _allowed(self, pair) -> list[str]:
        return [str(trigger) for trigger in pairing.allowed_triggers(pair.state)]

    def _links(self, pair) -> dict[str, str]:
        base = f"/pairs/{pair.id}"
        return {
            "self": api_link(base),
            "transitions": api_link(f"{base}/transitions"),
            "history": api_link(f"{base}/history"),
            "meetings": api_link(f"{base}/meetings"),
            "calendar": api_link(f"{base}/calendar"),
        }


class PairUpdateSchema(Schema):
    coordinator_id = id_field(
        allow_none=True, metadata={"description": "The member of staff who looks after the pair."}
    )
    planned_end_on = fields.Date(
        allow_none=True,
        metadata={"description": "When the match is planned to end; closure is proposed in time."},
    )


class PairQuerySchema(PageArgsSchema):
    program_id = id_field()
    state = BoundedList(
        fields.String(validate=validate.OneOf(list(State))),
        max_items=len(State),
        metadata={"description": "Repeat to match several: state=active&state=at_risk"},
    )
    mentor_id = id_field()
    mentee_id = id_field()


# Which request fields each trigger takes, and which of them it requires.
_TRIGGER_FIELDS: dict[Trigger, tuple[set[str], set[str]]] = {
    Trigger.MATCH: ({"mentor_id"}, {"mentor_id"}),
    Trigger.REMATCH: ({"mentor_id", "buffer_override_reason"}, {"mentor_id"}),
    Trigger.BEGIN_CLOSURE: ({"final_session_on", "closure_reason"}, {"final_session_on"}),
    Trigger.WITHDRAW: ({"closure_reason"}, {"closure_reason", "reason"}),
    Trigger.REOPEN: (set(), {"reason"}),
}
_CLOSURE_REASONS = {
    Trigger.BEGIN_CLOSURE: {ClosureReason.COMPLETED, ClosureReason.ENDED_EARLY},
    Trigger.WITHDRAW: {ClosureReason.WITHDRAWN, ClosureReason.ENDED_EARLY, ClosureReason.SAFETY},
}


class TransitionRequestSchema(Schema):
    trigger = fields.String(required=True, validate=validate.OneOf(list(Trigger)))
    reason = fields.String(validate=validate.Length(max=bounds.REASON_MAX))
    signals = _signal_list
    mentor_id = id_field(metadata={"description": "match and rematch: the mentor chosen."})
    final_session_on = fields.Date(
        metadata={"description": "begin_closure: the date of the last session, today or later."}
    )
    buffer_override_reason = fields.String(
        validate=validate.Length(*bounds.BUFFER_OVERRIDE_REASON),
        metadata={
            "description": "rematch: why the program's buffer after the final "
            "interaction is overridden."
        },
    )
    closure_reason = fields.String(
        validate=validate.OneOf(list(ClosureReason)),
        metadata={
            "description": "withdraw: withdrawn, ended_early or safety (safety is "
            "applied at once); begin_closure: completed (default) or ended_early."
        },
    )

    @validates_schema
    def _fits_trigger(self, data: dict[str, Any], **kwargs: Any) -> None:
        trigger = Trigger(data["trigger"]) if data.get("trigger") in set(Trigger) else None
        if trigger is None:
            return
        accepted, required = _TRIGGER_FIELDS.get(trigger, (set(), set()))
        errors: dict[str, list[str]] = {}
        for name in ("mentor_id", "final_session_on", "closure_reason", "buffer_override_reason"):
            if name in data and name not in accepted:
                errors[name] = [f"Not used by '{trigger}'."]
        for name in required:
            if not data.get(name):
                errors[name] = [f"Required by '{trigger}'."]
        reasons = _CLOSURE_REASONS.get(trigger)
        if reasons and data.get("closure_reason") and data["closure_reason"] not in reasons:
            errors["closure_reason"] = [f"'{trigger}' takes one of: {', '.join(sorted(reasons))}."]
        if trigger == Trigger.FLAG_RISK and not data.get("signals") and not data.get("reason"):
            errors["signals"] = [
                "flag_risk needs at least one signal, or a reason for a coordinator's flag."
            ]
        if errors:
            raise ValidationError(errors)


class TransitionRecordSchema(Schema):
    sequence = fields.Integer()
    trigger = fields.String()
    from_state = fields.String(data_key="from")
    to_state = fields.String(data_key="to")
    actor = fields.Nested(ActorSchema)
    reason = fields.Method("_reason", allow_none=True)
    signals = fields.Method("_signals")
    details = fields.Dict()
    proposal_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()

    def _reason(self, record) -> str | None:
        return visible_reason(record.reason, record.signals, record.details.get("closure_reason"))

    def _signals(self, record) -> list[str]:
        return visible_signals(record.signals)


class HistorySchema(Schema):
    pair_id = fields.Integer()
    items = fields.List(fields.Nested(TransitionRecordSchema))


class TimelineEntrySchema(Schema):
    at = fields.DateTime()
    kind = fields.String(
        metadata={
            "description": "created, transition, proposal, decision, meeting, signal, "
            "response, group_checkin (a coordinator's check-in with several pairs at once), "
            "intervention, note (never its text), notification, staff (a change of "
            "coordinator or support staff: who, from whom, to whom), pause (its reason and "
            "dates) or agreement (the mentoring agreement recorded or revisited)"
        }
    )
    summary = fields.String()
    data = fields.Dict()


class TimelineSchema(Schema):
    pair_id = fields.Integer()
    items = fields.List(fields.Nested(TimelineEntrySchema))


class AcceptanceSchema(Schema):
    role = fields.String(required=True, validate=validate.OneOf(bounds.ROLES))


class InterventionSchema(Schema):
    id = fields.Integer(dump_only=True)
    pair_id = fields.Integer(dump_only=True)
    description = fields.String(
        required=True, validate=validate.Length(*bounds.INTERVENTION_DESCRIPTION)
    )
    approach = fields.String(
        allow_none=True,
        validate=validate.OneOf(bounds.INTERVENTION_APPROACHES),
        metadata={"description": "With one of them, both, or a group."},
    )
    signal = fields.String(
        allow_none=True,
        validate=validate.OneOf(list(SIGNALS)),
        metadata={"description": "The challenge or warning sign this addresses."},
    )
    follow_up_on = fields.Date(allow_none=True)
    recorded_by = fields.Nested(ActorSchema, dump_only=True)
    created_at = fields.DateTime(dump_only=True)

    @post_dump
    def _redact_safety_notes(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        signals = [data["signal"]] if data.get("signal") else []
        data["description"] = visible_reason(data.get("description"), signals)
        if signals:
            data["signal"] = visible_signals(signals)[0]
        return data


class InterventionListSchema(Schema):
    items = fields.List(fields.Nested(InterventionSchema))


class PauseSchema(Schema):
    id = fields.Integer(dump_only=True)
    pair_id = fields.Integer(dump_only=True)
    reason = fields.String(
        required=True,
        validate=validate.OneOf(list(cadence.PauseReason)),
        metadata={"description": "school_holidays, illness, travel, step_back or other."},
    )
    note = fields.String(load_default="", validate=validate.Length(max=bounds.PAUSE_NOTE_MAX))
    starts_on = fields.Date(dump_only=True, metadata={"description": "The day it was recorded."})
    ends_on = fields.Date(
        required=True,
        metadata={"description": "The day the pair resumes, with a check-in."},
    )
    recorded_by = fields.Nested(ActorSchema, dump_only=True)
    created_at = fields.DateTime(dump_only=True)


class PauseListSchema(Schema):
    items = fields.List(fields.Nested(PauseSchema))


class EndingReasonsSchema(Schema):
    """Why a match ended, from one point of view: a primary reason and any others."""

    viewpoint = fields.String(
        required=True,
        validate=validate.OneOf(list(Viewpoint)),
        metadata={"description": "Whose account it is; a later one replaces it."},
    )
    primary_reason = fields.String(required=True, validate=validate.OneOf(list(EndingReason)))
    other_reasons = fields.List(
        fields.String(validate=validate.OneOf(list(EndingReason))),
        load_default=list,
        validate=validate.Length(max=len(EndingReason)),
    )
    recorded_by = fields.Nested(ActorSchema, dump_only=True)
    recorded_at = fields.DateTime(dump_only=True)


class EndingReasonsListSchema(Schema):
    pair_id = fields.Integer(required=True)
    items = fields.List(fields.Nested(EndingReasonsSchema), required=True)
    withheld = fields.Boolean(
        required=True,
        metadata={
            "description": "True when the ending is confidential (for safety) and the caller "
            "may not read safety records: the reasons are left out."
        },
    )


class AgreementSchema(Schema):
    """The mentoring agreement a pair makes at the joint workshop, as recorded."""

    agreed_on = fields.Date(required=True, metadata={"description": "When the pair agreed it."})
    meeting_frequency = fields.String(
        required=True,
        validate=validate.Length(*bounds.AGREEMENT_MEETING),
        metadata={"description": "How often they meet."},
    )
    meeting_format = fields.String(
        required=True,
        validate=validate.Length(*bounds.AGREEMENT_MEETING),
        metadata={"description": "How and where they meet (in person, online, by phone)."},
    )
    ground_rules = fields.String(required=True, validate=validate.Length(*bounds.AGREEMENT_TEXT))
    chemistry_plan = fields.String(
        required=True,
        validate=validate.Length(*bounds.AGREEMENT_TEXT),
        metadata={
            "description": 'How they will handle "chemistry" problems, if they do not click.'
        },
    )
    goals = BoundedList(
        fields.String(validate=validate.Length(*bounds.AGREEMENT_GOAL)),
        min_items=bounds.AGREEMENT_GOALS[0],
        max_items=bounds.AGREEMENT_GOALS[1],
        required=True,
        metadata={
            "description": "The goals, in order; each is asked about by name in the pair's "
            "meeting logs and check-ins. A goal kept with the same words keeps its progress."
        },
    )


class GoalProgressSchema(Schema):
    rating = fields.Integer(
        required=True,
        metadata={"description": "1 not started, 2 some, 3 good progress, 4 achieved."},
    )
    label = fields.String(required=True)
    respondent_role = fields.String(required=True)
    recorded_at = fields.DateTime(required=True)


class AgreementGoalSchema(Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    progress = fields.List(fields.Nested(GoalProgressSchema), required=True)


class AgreementReadSchema(AgreementSchema):
    """The agreement with each goal's progress over time, oldest report first."""

    pair_id = fields.Integer(required=True)
    goals = fields.List(fields.Nested(AgreementGoalSchema), required=True)  # type: ignore[assignment]
    recorded_by = fields.Nested(ActorSchema, required=True)
    updated_at = fields.DateTime(required=True)
