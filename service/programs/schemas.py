from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from marshmallow import ValidationError, fields, validate, validates_schema

from service.programs import bounds
from service.programs.models import ProgramKind
from service.schemas import BoundedDict, BoundedList, PageArgsSchema, Schema, api_link
from service.training.models import TrainingSession
from workflows.cadence import POLICIES
from workflows.matching import CRITERIA, EXCLUSIONS
from workflows.pairing import Trigger
from workflows.signals import SIGNALS


def _valid_timezone(name: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"{name!r} is not an IANA timezone such as Europe/Oslo.") from None


class MeetingRequirementSchema(Schema):
    period = fields.String(required=True, validate=validate.OneOf(bounds.REQUIREMENT_PERIODS))
    meetings = fields.Integer(load_default=0, validate=validate.Range(*bounds.REQUIREMENT_MEETINGS))
    minutes = fields.Integer(load_default=0, validate=validate.Range(*bounds.REQUIREMENT_MINUTES))

    @validates_schema
    def _asks_for_something(self, data: dict, **kwargs) -> None:
        if not data.get("meetings") and not data.get("minutes"):
            raise ValidationError("Require some meetings, some minutes, or both.", "meetings")


class CriterionSchema(Schema):
    mode = fields.String(
        validate=validate.OneOf(bounds.MATCHING_MODES),
        metadata={
            "description": "off: not used; prefer: adds weight x the criterion's value (0 to "
            "1) to a mentor's score; require: a mentor who fails it is never proposed, and "
            "the weight still ranks those who pass."
        },
    )
    weight = fields.Integer(
        validate=validate.Range(*bounds.MATCHING_WEIGHT),
        metadata={
            "description": f"How much it counts, from {bounds.MATCHING_WEIGHT[0]} (nothing) "
            f"to {bounds.MATCHING_WEIGHT[1]}."
        },
    )


MatchingSchema = Schema.from_dict(
    {
        name: fields.Nested(
            CriterionSchema, metadata={"description": f"{c.label}. {c.what} {c.why}"}
        )
        for name, c in CRITERIA.items()
    },
    name="MatchingSchema",
)


class ProgramSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=bounds.NAME_MAX))
    slug = fields.String(
        validate=[
            validate.Length(min=1, max=bounds.SLUG_MAX),
            validate.Regexp(bounds.SLUG_PATTERN, error=bounds.SLUG_RULE),
        ],
        metadata={"description": "Made from the name when left out."},
    )
    description = fields.String(validate=validate.Length(max=bounds.DESCRIPTION_MAX))
    kind = fields.String(
        validate=validate.OneOf(list(ProgramKind)),
        metadata={"description": "long_term, or event_based"},
    )
    youth = fields.Boolean(metadata={"description": "Parents or guardians take part."})
    timezone = fields.String(validate=[validate.Length(max=bounds.TIMEZONE_MAX), _valid_timezone])
    approval_required = BoundedList(
        fields.String(validate=validate.OneOf(list(Trigger))),
        max_items=len(Trigger),
        metadata={
            "description": "Triggers a coordinator must approve. Removing one from an existing "
            "program needs the admin scope."
        },
    )
    allow_self_approval = fields.Boolean(
        metadata={
            "description": "Four-eyes is the default (false): whoever filed a proposal, a token "
            "or a member of staff, may not approve it; someone else must. true lets them "
            "approve their own (for a one-person team). Turning it on needs the admin scope."
        }
    )
    required_training = BoundedDict(
        max_entries=3,
        keys=fields.String(validate=validate.OneOf(["mentor", "mentee", "guardian"])),
        # The re-match briefing belongs to one pair; `activate` asks for it by itself.
        values=BoundedList(
            fields.String(
                validate=validate.OneOf(
                    [s for s in TrainingSession if s != TrainingSession.REMATCH_BRIEFING]
                )
            ),
            max_items=len(TrainingSession),
        ),
        metadata={
            "description": "Sessions each role attends before `activate`; `guardian`: what "
            "the mentee's parents or guardians attend (guardian_orientation, joint_workshop)."
        },
    )
    rating_drop_threshold = fields.Integer(
        validate=validate.Range(*bounds.NUMBERS["rating_drop_threshold"]),
        metadata={
            "description": "Points the 1-10 pulse may fall since the last check-in "
            "before `rating_drop` is raised (default 3)."
        },
    )
    rating_divergence_gap = fields.Integer(
        validate=validate.Range(*bounds.NUMBERS["rating_divergence_gap"]),
        metadata={
            "description": "Points mentor and mentee ratings may differ before "
            "`rating_divergence` is raised (default 3)."
        },
    )
    cadence_policy = fields.String(
        validate=validate.OneOf(list(POLICIES)),
        metadata={
            "description": "When participants and staff are contacted: "
            + "; ".join(f"{p.name}: {p.title}" for p in POLICIES.values())
        },
    )
    reminder_after_days = fields.Integer(
        validate=validate.Range(*bounds.NUMBERS["reminder_after_days"]),
        metadata={"description": "Days an invitation may stay unanswered before a reminder."},
    )
    reminders_max = fields.Integer(
        validate=validate.Range(*bounds.NUMBERS["reminders_max"]),
        metadata={"description": "Reminders before the contact is overdue for the coordinator."},
    )
    staff_contact_grace_days = fields.Integer(
        validate=validate.Range(*bounds.NUMBERS["staff_contact_grace_days"]),
        metadata={"description": "Days after its due date a coordinator's check-in is overdue."},
    )
    checkin_spacing_days = fields.Integer(
        validate=validate.Range(*bounds.NUMBERS["checkin_spacing_days"]),
        metadata={
            "description": "No participant gets two check-ins closer than this many days: "
            "the later one merges into the first."
        },
    )
    meeting_requirement = fields.Nested(
        MeetingRequirementSchema,
        allow_none=True,
        metadata={"description": "e.g. a meeting a week, or 240 minutes a month."},
    )
    no_meeting_alert_days = fields.Integer(
        allow_none=True,
        validate=validate.Range(*bounds.OPTIONAL_NUMBERS["no_meeting_alert_days"]),
        metadata={"description": "Days without a logged meeting before a signal is raised."},
    )
    match_length_months = fields.Integer(
        allow_none=True,
        validate=validate.Range(*bounds.OPTIONAL_NUMBERS["match_length_months"]),
        metadata={"description": "Planned length of a match, from activation."},
    )
    waiting_target_days = fields.Integer(
        allow_none=True,
        validate=validate.Range(*bounds.OPTIONAL_NUMBERS["waiting_target_days"]),
        metadata={
            "description": "The longest a mentee should wait for a match: the dashboard counts "
            "those who waited longer, and each is sent a kind word once; null: no target."
        },
    )
    screening_interview = fields.Boolean(
        metadata={"description": "A mentor is approved only once an interview is recorded."}
    )
    screening_references = fields.Boolean(
        metadata={"description": "A mentor is approved only once references are recorded."}
    )
    mentee_choice = fields.Boolean(
        metadata={
            "description": "A waiting mentee may be sent a link to choose their mentor among "
            "their best suggestions (`POST /pairs/{id}/choice-offers`); the choice is the "
            "pair's `match`, and both accept the introduction as usual (default false)."
        }
    )
    mentee_choice_mentors = fields.Integer(
        validate=validate.Range(*bounds.MENTEE_CHOICE_MENTORS),
        metadata={
            "description": "How many of the mentee's best suggested mentors a choice offers, "
            "best first, as they stand when it is sent (default 3)."
        },
    )
    outcome_measures = fields.Boolean(
        metadata={
            "description": "The mentee's outcome survey (`outcomes_mentee`) is sent when the "
            "match becomes active (the baseline), at `outcome_months` after it and when it "
            "closes; the insights report the change per scale (default false)."
        }
    )
    outcome_months = BoundedList(
        fields.Integer(validate=validate.Range(*bounds.OUTCOME_MONTHS)),
        max_items=bounds.OUTCOME_OCCASIONS_MAX,
        metadata={
            "description": "Months after activation the outcome survey is given again "
            "(default [6, 12])."
        },
    )
    closure_notice_days = fields.Integer(
        validate=validate.Range(*bounds.NUMBERS["closure_notice_days"]),
        metadata={"description": "How long before the planned end closure is proposed."},
    )
    event_on = fields.Date(
        allow_none=True,
        metadata={"description": "Event-based programs: the day follow-ups count from."},
    )
    rematch_buffer_days = fields.Integer(
        validate=validate.Range(*bounds.NUMBERS["rematch_buffer_days"]),
        metadata={
            "description": "Days a re-match waits after the final interaction (default "
            "14), unless a coordinator overrides it with a reason."
        },
    )
    cancellations_to_flag = fields.Integer(
        validate=validate.Range(*bounds.NUMBERS["cancellations_to_flag"]),
        metadata={
            "description": "Cancellations and no-shows within the window that raise "
            "`missed_meetings` (default 3)."
        },
    )
    cancellation_window_days = fields.Integer(
        validate=validate.Range(*bounds.NUMBERS["cancellation_window_days"]),
        metadata={"description": "The window for meeting-event warning signs (default 30)."},
    )
    late_notice_hours = fields.Integer(
        validate=validate.Range(*bounds.NUMBERS["late_notice_hours"]),
        metadata={
            "description": "Less notice than this makes a cancellation or move last-minute; the "
            "second within the window raises `last_minute_rescheduling` (default 24)."
        },
    )
    insights_min_group = fields.Integer(
        validate=validate.Range(*bounds.NUMBERS["insights_min_group"]),
        metadata={
            "description": "No insight drawn from fewer pairs or respondents than this is "
            "shown or exported: it reads as suppressed (default 5)."
        },
    )
    risk_min_closed_matches = fields.Integer(
        validate=validate.Range(*bounds.NUMBERS["risk_min_closed_matches"]),
        metadata={
            "description": "The closure-risk model is fitted only from at least this many "
            "ended matches; below it, no pair is scored (default 50)."
        },
    )
    risk_threshold_percent = fields.Integer(
        validate=validate.Range(*bounds.NUMBERS["risk_threshold_percent"]),
        metadata={
            "description": "A pair whose estimated chance of ending early within six months "
            "reaches this percentage raises `closure_risk_high` (default 30)."
        },
    )
    playbook = BoundedDict(
        max_entries=len(SIGNALS),
        keys=fields.String(validate=validate.OneOf(list(SIGNALS))),
        values=fields.String(validate=validate.Length(max=bounds.PLAYBOOK_TEXT_MAX)),
        metadata={"description": "The program's own words for the playbook, by signal."},
    )
    matching = fields.Nested(
        MatchingSchema,
        attribute="matching_rules",
        metadata={
            "description": "How mentors are chosen for mentees: each criterion off, preferred "
            "(its weight adds to the score) or required. Criteria left out stay as they are "
            f"(a new program's defaults otherwise). {EXCLUSIONS}"
        },
    )
    invitation_valid_days = fields.Integer(
        validate=validate.Range(*bounds.NUMBERS["invitation_valid_days"]),
        metadata={"description": "How long survey links work (default 14 days)."},
    )
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)
    links = fields.Method("_links", dump_only=True)

    def _links(self, program) -> dict[str, str]:
        return {
            "self": api_link(f"/programs/{program.id}"),
            "pairs": api_link(f"/pairs?program_id={program.id}"),
            "participants": api_link(f"/participants?program_id={program.id}"),
        }


class ProgramQuerySchema(PageArgsSchema):
    kind = fields.String(validate=validate.OneOf(list(ProgramKind)))
