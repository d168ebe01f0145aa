"""The public shape of each resource inside event payloads: ids, states and links only."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from service.events.service import link
from workflows.signals import is_safety

if TYPE_CHECKING:
    from service.approvals.models import Proposal
    from service.meetings.models import Meeting
    from service.pairs.models import Pair, TransitionRecord
    from service.signals.models import Signal
    from service.surveys.models import SurveyResponse


def public_signals(codes: list[str]) -> list[str]:
    """Signal codes fit to leave the service: the kind of a safety report never does."""
    public: list[str] = []
    for code in codes:
        code = "safety_concern" if is_safety(code) else code
        if code not in public:
            public.append(code)
    return public


def pair(pair: Pair) -> dict[str, Any]:
    return {
        "id": pair.id,
        "program_id": pair.program_id,
        "state": pair.state,
        "mentee_id": pair.mentee_id,
        "mentor_id": pair.mentor_id,
        "predecessor_id": pair.predecessor_id,
        "successor_id": pair.successor_id,
        "links": {"self": link(f"/api/v1/pairs/{pair.id}")},
    }


def transition(record: TransitionRecord) -> dict[str, Any]:
    return {
        "sequence": record.sequence,
        "trigger": record.trigger,
        "from": record.from_state,
        "to": record.to_state,
        "actor_kind": record.actor.kind,
        "signals": public_signals(record.signals),
        "proposal_id": record.proposal_id,
        "occurred_at": record.created_at.isoformat(),
        "links": {"history": link(f"/api/v1/pairs/{record.pair_id}/history")},
    }


def proposal(proposal: Proposal) -> dict[str, Any]:
    return {
        "id": proposal.id,
        "pair_id": proposal.pair_id,
        "trigger": proposal.trigger,
        "status": proposal.status,
        "signals": public_signals(proposal.signals),
        "links": {"self": link(f"/api/v1/proposals/{proposal.id}")},
    }


def signal(signal: Signal) -> dict[str, Any]:
    return {
        "id": signal.id,
        "code": public_signals([signal.code])[0],
        "category": signal.category,
        "source": signal.source,
        "raised_at": signal.raised_at.isoformat(),
    }


def response(response: SurveyResponse) -> dict[str, Any]:
    """That a survey was answered, by whom (role) and for which pair; never the answers."""
    return {
        "id": response.id,
        "survey": response.survey_key,
        "purpose": response.purpose,
        "respondent_role": response.respondent_role,
        "pair_id": response.pair_id,
        "participant_id": response.participant_id,
        "submitted_at": response.submitted_at.isoformat(),
        "links": {"self": link(f"/api/v1/responses/{response.id}")},
    }


def meeting(meeting: Meeting) -> dict[str, Any]:
    return {
        "id": meeting.id,
        "pair_id": meeting.pair_id,
        "status": meeting.status,
        "occurred_at": meeting.occurred_at.isoformat(),
        "duration_minutes": meeting.duration_minutes,
        "is_final_session": meeting.is_final_session,
        "links": {"meetings": link(f"/api/v1/pairs/{meeting.pair_id}/meetings")},
    }
