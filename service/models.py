"""Every table, imported in one place so Alembic and `db.metadata` see them all."""

from service.accounts.models import LoginFailure, SavedView, StaffSession, User
from service.approvals.models import Proposal
from service.calendar.models import Compliance, Contact, DigestRun, Schedule
from service.choice.models import ChoiceOffer
from service.closure.models import ClosureRecord, EndingReasons
from service.events.models import Lease, OutboxEvent
from service.idempotency.models import IdempotencyKey
from service.inbound.models import InboundEvent, InboundSource
from service.inbox.models import InboxItem
from service.insights.models import RiskModel
from service.meetings.models import Meeting
from service.notes.models import AccessRecord, Note
from service.notifications.models import Notification
from service.pairs.models import (
    AgreementGoal,
    GoalProgress,
    Intervention,
    MentoringAgreement,
    Pair,
    TransitionRecord,
)
from service.participants.models import Participant
from service.programs.models import Program
from service.signals.models import Signal
from service.surveys.models import (
    GroupCheckin,
    GroupCheckinPair,
    Invitation,
    SurveyResponse,
    SurveyVersion,
)
from service.tokens.models import ApiToken
from service.training.models import TrainingRecord
from service.webhooks.models import Attempt, Delivery, Endpoint

__all__ = [
    "AccessRecord",
    "AgreementGoal",
    "ApiToken",
    "Attempt",
    "ChoiceOffer",
    "ClosureRecord",
    "Compliance",
    "Contact",
    "Delivery",
    "DigestRun",
    "EndingReasons",
    "Endpoint",
    "GoalProgress",
    "GroupCheckin",
    "GroupCheckinPair",
    "IdempotencyKey",
    "InboundEvent",
    "InboundSource",
    "InboxItem",
    "Intervention",
    "Invitation",
    "Lease",
    "LoginFailure",
    "Meeting",
    "MentoringAgreement",
    "Note",
    "Notification",
    "OutboxEvent",
    "Pair",
    "Participant",
    "Program",
    "Proposal",
    "RiskModel",
    "SavedView",
    "Schedule",
    "Signal",
    "StaffSession",
    "SurveyResponse",
    "SurveyVersion",
    "TrainingRecord",
    "TransitionRecord",
    "User",
]
