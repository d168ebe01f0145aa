"""The insights API's shapes: the filters, and the figures (each with the size of the group it
is drawn from, and null when that group is smaller than the program's minimum)."""

from __future__ import annotations

from marshmallow import ValidationError, fields, validates_schema

from service.schemas import Schema, id_field


class InsightsQuerySchema(Schema):
    since = fields.Date(
        data_key="from",
        load_default=None,
        metadata={"description": "The first day of the period (matches made from it on). "
                  "Default: two years before `to`."},
    )  # fmt: skip
    until = fields.Date(
        data_key="to",
        load_default=None,
        metadata={"description": "The last day of the period. Default: today."},
    )
    coordinator_id = id_field(
        load_default=None,
        metadata={"description": "Only the matches this member of staff coordinates."},
    )

    @validates_schema
    def _in_order(self, data, **kwargs) -> None:
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            raise ValidationError("The period must start on or before its last day.", "from")


class FigureSchema(Schema):
    value = fields.Float(
        allow_none=True,
        metadata={"description": "The figure; null when suppressed or when there is none."},
    )
    n = fields.Integer(
        metadata={"description": "How many pairs or respondents the figure is drawn from."}
    )
    suppressed = fields.Boolean(
        metadata={"description": "True when `n` is below the program's minimum group."}
    )


def _figure(description: str) -> fields.Nested:
    return fields.Nested(FigureSchema, metadata={"description": description})


def _by_months(description: str) -> fields.Dict:
    return fields.Dict(
        keys=fields.String(), values=fields.Nested(FigureSchema),
        metadata={"description": description, "example": {"3": {"value": 0.12, "n": 240,
                                                                "suppressed": False}}},
    )  # fmt: skip


class StepSchema(Schema):
    day = fields.Float(metadata={"description": "Days since the match."})
    at_risk = fields.Integer(metadata={"description": "Matches still open just before."})
    closed = fields.Integer(metadata={"description": "Matches that ended that day."})
    censored = fields.Integer(metadata={"description": "Open matches last seen that day."})
    survival = fields.Float(metadata={"description": "Share of matches lasting beyond `day`."})


class DurationSchema(Schema):
    median_days = _figure("Median length of a match, in days (Kaplan-Meier).")
    closed_before_months = _by_months(
        "Share of matches closed before 3, 6 and 12 months, among those whose fate is known."
    )
    closed_before_planned_end = _figure("Share of matches that ended before their planned end.")
    survival_suppressed = fields.Boolean()
    survival = fields.List(
        fields.Nested(StepSchema),
        metadata={"description": "The Kaplan-Meier curve; empty when suppressed."},
    )


class EndingsSchema(Schema):
    ended = fields.Integer()
    by_closure = fields.Dict(
        keys=fields.String(), values=fields.Integer(allow_none=True),
        metadata={"description": "Ended matches by how they closed (completed, ended_early, "
                  "withdrawn, safety, rematched); null for a count below the minimum group."},
    )  # fmt: skip
    by_reason = fields.Dict(
        keys=fields.String(), values=fields.Integer(allow_none=True),
        metadata={"description": "Ended matches by the coordinator's main reason."},
    )  # fmt: skip
    rematch_rate = _figure("Share of the period's matches that ended in a re-match.")


class WaitingSchema(Schema):
    median_days = _figure("Median days a mentee waited from joining to the match.")
    waiting_now = fields.Integer(metadata={"description": "Mentees waiting for a match now."})


class PulseMonthSchema(Schema):
    month = fields.String(metadata={"example": "2025-03"})
    mentee = _figure("Mentees' mean relationship rating (1-10); n: mentees answering.")
    mentor = _figure("Mentors' mean relationship rating (1-10); n: mentors answering.")


class QualitySchema(Schema):
    pulse = fields.List(fields.Nested(PulseMonthSchema))
    rating_fell = fields.Dict(
        keys=fields.String(), values=fields.Nested(FigureSchema),
        metadata={"description": "By side: the share of pairs whose last rating in the period "
                  "is below their first."},
    )  # fmt: skip


class MeetingMonthSchema(Schema):
    month = fields.String()
    pairs = fields.Integer()
    meetings = fields.Integer()
    per_pair = fields.Nested(FigureSchema)


class SurveyRateSchema(Schema):
    survey = fields.String()
    asked = fields.Integer()
    answered = fields.Integer()
    rate = fields.Nested(FigureSchema)


class EngagementSchema(Schema):
    meetings_per_pair_month = _figure("Meetings held per running pair per month.")
    by_month = fields.List(fields.Nested(MeetingMonthSchema))
    response_rate = _figure("Share of survey invitations answered.")
    answered_without_reminder = _figure("Share of answers that needed no reminder.")
    by_survey = fields.List(fields.Nested(SurveyRateSchema))


class StaffPracticeSchema(Schema):
    contacts = fields.Dict(
        keys=fields.String(), values=fields.Integer(), allow_none=True,
        metadata={"description": "The coordinators' contacts due: on_time, late, overdue, "
                  "not_yet_late; null when suppressed."},
    )  # fmt: skip
    on_time = _figure("Share of coordinators' contacts made within the days of grace.")
    meeting_requirement_met = _figure("Share of judged periods in which pairs met the requirement.")


class FidelityContactSchema(Schema):
    contact = fields.String()
    pairs = fields.Integer()
    due = fields.Integer()
    kept = fields.Integer()
    share = fields.Nested(FigureSchema)


class ShortPairSchema(Schema):
    pair_id = fields.Integer()
    due = fields.Integer()
    kept = fields.Integer()


class FidelitySchema(Schema):
    overall = _figure("Share of every promised contact (per person) that was made in time.")
    pairs_fully_served = _figure("Share of pairs that received everything promised.")
    by_contact = fields.List(fields.Nested(FidelityContactSchema))
    pairs_short = fields.List(
        fields.Nested(ShortPairSchema),
        metadata={"description": "Up to 20 pairs that received the least of what was promised."},
    )


class GroupSchema(Schema):
    group = fields.String(
        allow_none=True, metadata={"description": "A quarter (2025 Q1), or a staff member's id."}
    )
    matches = fields.Integer()
    median_days = fields.Nested(FigureSchema)
    closed_before_months = _by_months("Share closed before 3, 6 and 12 months.")


class InsightsSchema(Schema):
    program_id = fields.Integer()
    since = fields.Date(data_key="from", allow_none=True)
    until = fields.Date(data_key="to")
    coordinator_id = fields.Integer(allow_none=True)
    minimum_group = fields.Integer(
        metadata={"description": "The program's smallest group a figure is drawn from."}
    )
    cadence_policy = fields.String()
    matches = fields.Integer(metadata={"description": "Matches made in the period."})
    duration = fields.Nested(DurationSchema)
    endings = fields.Nested(EndingsSchema)
    waiting = fields.Nested(WaitingSchema)
    quality = fields.Nested(QualitySchema)
    engagement = fields.Nested(EngagementSchema)
    staff_practice = fields.Nested(StaffPracticeSchema)
    fidelity = fields.Nested(FidelitySchema)
    cohorts = fields.List(
        fields.Nested(GroupSchema), metadata={"description": "By quarter matched."}
    )
    coordinators = fields.List(
        fields.Nested(GroupSchema),
        metadata={"description": "By coordinator (when no coordinator is chosen)."},
    )
