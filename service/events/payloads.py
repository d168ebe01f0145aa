"""The public shape of each resource inside event payloads: ids, states and links only.

Each is its schema in `schemas.py` dumped; the schema is the one declaration of what leaves
the service, and the OpenAPI document publishes the same schemas.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from service.events import schemas
from service.events.schemas import public_signals

if TYPE_CHECKING:
    from service.approvals.models import Proposal
    from service.choice.models import ChoiceOffer
    from service.meetings.models import Meeting
    from service.pairs.models import Pair, TransitionRecord
    from service.participants.models import IntakeRecord, Participant
    from service.signals.models import Signal
    from service.surveys.models import SurveyResponse

__all__ = [
    "choice_offer",
    "intake_transition",
    "meeting",
    "pair",
    "participant",
    "proposal",
    "public_signals",
    "response",
    "signal",
    "transition",
]

# Built once: a schema instance dumps any number of objects.
_PAIR = schemas.PairRefSchema()
_TRANSITION = schemas.TransitionPayloadSchema()
_PROPOSAL = schemas.ProposalPayloadSchema()
_SIGNAL = schemas.SignalPayloadSchema()
_RESPONSE = schemas.ResponsePayloadSchema()
_MEETING = schemas.MeetingPayloadSchema()
_PARTICIPANT = schemas.ParticipantRefSchema()
_INTAKE_TRANSITION = schemas.IntakeTransitionPayloadSchema()
_CHOICE_OFFER = schemas.ChoiceOfferPayloadSchema()


def pair(pair: Pair) -> dict[str, Any]:
    return _PAIR.dump(pair)


def transition(record: TransitionRecord) -> dict[str, Any]:
    return _TRANSITION.dump(record)


def participant(participant: Participant) -> dict[str, Any]:
    """A participant by id, program, role and intake state; never a name or an address."""
    return _PARTICIPANT.dump(participant)


def intake_transition(record: IntakeRecord) -> dict[str, Any]:
    return _INTAKE_TRANSITION.dump(record)


def proposal(proposal: Proposal) -> dict[str, Any]:
    return _PROPOSAL.dump(proposal)


def signal(signal: Signal) -> dict[str, Any]:
    return _SIGNAL.dump(signal)


def response(response: SurveyResponse) -> dict[str, Any]:
    """That a survey was answered, by whom (role) and for which pair; never the answers."""
    return _RESPONSE.dump(response)


def meeting(meeting: Meeting) -> dict[str, Any]:
    return _MEETING.dump(meeting)


def choice_offer(offer: ChoiceOffer) -> dict[str, Any]:
    """The mentors offered to a mentee by id, best first; never their names."""
    return _CHOICE_OFFER.dump(
        {
            "id": offer.id,
            "mentor_ids": [option["mentor_id"] for option in offer.options],
            "expires_at": offer.expires_at,
        }
    )
