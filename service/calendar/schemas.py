from __future__ import annotations

from marshmallow import fields

from service.schemas import Schema


class ScheduleSchema(Schema):
    kind = fields.String(
        metadata={
            "description": "checkin, staff_contact, in_depth, first_meeting, "
            "event_followup, six_month_update, meeting_requirement, no_meeting, "
            "end_of_match, final_session_reminder, closure_reflection, rematch_briefing, "
            "intervention_follow_up, rematch_prompt, pause_end, or the outcome survey's "
            "outcome_baseline, outcome_month_<n> and outcome_closure"
        }
    )
    next_due_at = fields.DateTime()
    next_due_on = fields.Date()
    last_done_on = fields.Date(allow_none=True)


class ContactSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    recipient_role = fields.Function(lambda c: c.recipient.split(":", 1)[0])
    participant_id = fields.Integer(allow_none=True)
    due_on = fields.Date()
    status = fields.String()
    reminders_sent = fields.Integer()
    invitation_id = fields.Integer(allow_none=True)
    done_at = fields.DateTime(allow_none=True)


class ComplianceSchema(Schema):
    period_start = fields.Date()
    period_end = fields.Date()
    required_meetings = fields.Integer()
    required_minutes = fields.Integer()
    meetings = fields.Integer()
    minutes = fields.Integer()
    compliant = fields.Boolean()
    closed = fields.Boolean(metadata={"description": "False for the period still running."})


class CalendarSchema(Schema):
    pair_id = fields.Integer()
    upcoming = fields.List(fields.Nested(ScheduleSchema))
    contacts = fields.List(fields.Nested(ContactSchema))
    compliance = fields.List(fields.Nested(ComplianceSchema))
