"""Every table, imported in one place so Alembic and `db.metadata` see them all."""

from service.accounts.models import User
from service.approvals.models import Proposal
from service.calendar.models import Compliance, Contact, DigestRun, Schedule
from service.events.models import Lease, OutboxEvent
from service.inbox.models import InboxItem
from service.meetings.models import Meeting
from service.notifications.models import Notification
from service.pairs.models import Intervention, Pair, TransitionRecord
from service.participants.models import Participant
from service.programs.models import Program
from service.signals.models import Signal
from service.surveys.models import Invitation, SurveyResponse, SurveyVersion
from service.tokens.models import ApiToken
from service.training.models import TrainingRecord

__all__ = [
    "ApiToken",
    "Compliance",
    "Contact",
    "DigestRun",
    "InboxItem",
    "Intervention",
    "Invitation",
    "Lease",
    "Meeting",
    "Notification",
    "OutboxEvent",
    "Pair",
    "Participant",
    "Program",
    "Proposal",
    "Schedule",
    "Signal",
    "SurveyResponse",
    "SurveyVersion",
    "TrainingRecord",
    "TransitionRecord",
    "User",
]
