"""The insights API's shapes: the filters, and the figures (each with the size of the group it
is drawn from, and null when that group is smaller than the program's minimum)."""

from __future__ import annotations

from datetime import UTC

from marshmallow import ValidationError, fields, validates_schema
from marshmallow.validate import OneOf

from service.insights import warehouse
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


class WarehouseQuerySchema(Schema):
    since = fields.AwareDateTime(
        load_default=None,
        default_timezone=UTC,
        metadata={
            "description": "Only the rows changed after this time (ISO 8601; without an "
            "offset, UTC): the `cursor` of the previous export's manifest. Default: every row."
        },
    )
    format = fields.String(
        load_default="csv",
        validate=OneOf(warehouse.FORMATS),
        metadata={"description": "One file per table: `csv` or `parquet`."},
    )


class FigureSchema(Schema):
    value = fields.Float(
        allow_none=True,
        metadata={"description": "The figure; null when suppressed or when there is none."},
    )
    n = fields.Integer(
        metadata={"description": "How many pairs or respondents the figure is drawn from."}
    )
    suppressed = fields.Boolean(
        metadata={
            "description": "True when `n` is below the program's minimum group, or when the "
            "figure is left out with such a one (in a breakdown whose groups add up to the "
            "program: the total less it would give the small group's back)."
        }
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


class DifferenceSchema(Schema):
    difference = fields.Float(metadata={"description": "Kept minus did not."})
    low = fields.Float(metadata={"description": "The 95% confidence interval's lower end."})
    high = fields.Float(metadata={"description": "The 95% confidence interval's upper end."})


class RuleSideSchema(Schema):
    pairs = fields.Integer(
        allow_none=True,
        metadata={
            "description": "Pairs in the group; null when fewer than the minimum (but some)."
        },
    )
    ended_early = _figure("Share of the group's pairs that ended early.")
    mean_rating = _figure("Mean of the pairs' mean relationship ratings (1-10); n: pairs rated.")


class RuleCheckSchema(Schema):
    rule = fields.String(metadata={"description": "meeting_requirement or cadence."})
    kept = fields.Nested(
        RuleSideSchema,
        metadata={"description": "Pairs that met the requirement in most periods judged, or "
                  "received most of the contacts the cadence promised."},
    )  # fmt: skip
    did_not = fields.Nested(RuleSideSchema)
    ended_early_difference = fields.Nested(
        DifferenceSchema, allow_none=True,
        metadata={"description": "Newcombe's hybrid score interval; null when either group is "
                  "smaller than the minimum group."},
    )  # fmt: skip
    rating_difference = fields.Nested(
        DifferenceSchema, allow_none=True,
        metadata={"description": "Welch's interval; null when either group of rated pairs is "
                  "smaller than the minimum group."},
    )  # fmt: skip


class InterventionOutcomeSchema(Schema):
    signal = fields.String(
        allow_none=True, metadata={"description": "The warning sign (playbook entry) answered."}
    )
    label = fields.String()
    used = fields.Integer(
        allow_none=True,
        metadata={
            "description": "Interventions recorded in the period; null when fewer than the "
            "minimum (but some)."
        },
    )
    resolved = fields.Integer(
        allow_none=True, metadata={"description": "Followed by a resolve within the window."}
    )
    ended = fields.Integer(
        allow_none=True, metadata={"description": "Followed by an ending within the window."}
    )
    neither = fields.Integer(
        allow_none=True, metadata={"description": "Neither, and the window has passed."}
    )
    share_resolved = _figure(
        "Resolved among the uses whose window has passed or that were "
        "resolved or ended; n: those uses."
    )
    low = fields.Float(allow_none=True, metadata={"description": "Wilson 95% interval, low."})
    high = fields.Float(allow_none=True, metadata={"description": "Wilson 95% interval, high."})


class RulesSchema(Schema):
    window_days = fields.Integer(
        metadata={"description": "Days after an intervention in which its outcome is sought."}
    )
    checks = fields.List(fields.Nested(RuleCheckSchema))
    interventions = fields.List(
        fields.Nested(InterventionOutcomeSchema),
        metadata={"description": "Ranked by share resolved, best first; unranked last."},
    )


class OutcomeSchema(Schema):
    scale = fields.String(
        metadata={"description": "The scale's key, or `scale.subscale` for a subscale."}
    )
    title = fields.String()
    subscale_of = fields.String(
        allow_none=True, metadata={"description": "The scale's title, for a subscale."}
    )
    occasion = fields.String(
        metadata={"description": "month_6, month_12…, or closure: compared with the baseline."}
    )
    months = fields.Integer(
        allow_none=True, metadata={"description": "Months after activation; null at closure."}
    )
    respondents = fields.Integer(
        allow_none=True,
        metadata={
            "description": "Mentees with a score both at the baseline and on this occasion; "
            "null when fewer than the minimum (but some)."
        },
    )
    suppressed = fields.Boolean(
        metadata={"description": "True when the respondents are fewer than the minimum group "
                  "(or than two): every figure below is then null."}
    )  # fmt: skip
    baseline_mean = fields.Float(allow_none=True, metadata={"description": "Mean at baseline."})
    mean = fields.Float(allow_none=True, metadata={"description": "Mean on this occasion."})
    change = fields.Float(
        allow_none=True, metadata={"description": "Mean change: this occasion minus baseline."}
    )
    low = fields.Float(allow_none=True, metadata={"description": "Paired t 95% interval, low."})
    high = fields.Float(allow_none=True, metadata={"description": "Paired t 95% interval, high."})


class CalibrationGroupSchema(Schema):
    group = fields.Integer(metadata={"description": "Fifth of the estimates, 1 the lowest."})
    n = fields.Integer()
    predicted = fields.Float(allow_none=True)
    observed = fields.Float(allow_none=True)
    suppressed = fields.Boolean()


class RiskValidationSchema(Schema):
    cut = fields.String(
        allow_none=True, metadata={"description": "Matches made from this day on: the hold-out."}
    )
    training_pairs = fields.Integer(allow_none=True)
    hold_out_pairs = fields.Integer(allow_none=True)
    concordance = fields.Float(
        allow_none=True, metadata={"description": "On the hold-out: 0.5 is chance, 1 perfect."}
    )
    threshold = fields.Float(allow_none=True)
    sensitivity = fields.Float(allow_none=True)
    specificity = fields.Float(allow_none=True)
    ended = fields.Integer(allow_none=True)
    lasted = fields.Integer(allow_none=True)
    horizon_days = fields.Integer(allow_none=True)
    calibration = fields.List(fields.Nested(CalibrationGroupSchema))
    note = fields.String(
        allow_none=True, metadata={"description": "Why the model could not be checked."}
    )


class RiskModelSchema(Schema):
    status = fields.String(
        metadata={"description": "fitted, refused (see `detail`), or not_fitted (never run)."}
    )
    detail = fields.String(metadata={"description": "Why the model was not fitted."})
    as_of = fields.Date(allow_none=True)
    fitted_at = fields.DateTime(allow_none=True)
    closed_matches = fields.Integer(allow_none=True)
    validation = fields.Nested(RiskValidationSchema, allow_none=True)


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
    rules = fields.Nested(
        RulesSchema,
        metadata={"description": "Do the rules work: pairs that kept the meeting requirement "
                  "and the cadence against those that did not; interventions by outcome."},
    )  # fmt: skip
    outcomes = fields.List(
        fields.Nested(OutcomeSchema),
        metadata={"description": "Outcome measures: for each scale and subscale of the outcome "
                  "survey and each occasion, the change since the baseline."},
    )  # fmt: skip
    risk_model = fields.Nested(
        RiskModelSchema,
        metadata={"description": "The closure-risk model's latest fit (the whole history, "
                  "not only the period) and how it did on its time-based hold-out."},
    )  # fmt: skip
    cohorts = fields.List(
        fields.Nested(GroupSchema), metadata={"description": "By quarter matched."}
    )
    coordinators = fields.List(
        fields.Nested(GroupSchema),
        metadata={"description": "By coordinator (when no coordinator is chosen)."},
    )
