"""Every table, imported in one place so Alembic and `db.metadata` see them all."""

from service.approvals.models import Proposal
from service.events.models import Lease, OutboxEvent
from service.meetings.models import Meeting
from service.pairs.models import Intervention, Pair, TransitionRecord
from service.participants.models import Participant
from service.programs.models import Program
from service.tokens.models import ApiToken
from service.training.models import TrainingRecord

__all__ = [
    "ApiToken",
    "Intervention",
    "Lease",
    "Meeting",
    "OutboxEvent",
    "Pair",
    "Participant",
    "Program",
    "Proposal",
    "TrainingRecord",
    "TransitionRecord",
]
