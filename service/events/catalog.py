"""Every event type the service publishes, in one place.

Payloads carry ids, states and links, never free text, answers or anything
confidential: receivers outside the service see them.
"""

from __future__ import annotations

EVENT_TYPES: dict[str, str] = {
    "pair.created": "A pair was created for a mentee (state `recruited`, or `matched` for a "
    "successor pair after a re-match).",
    "pair.transitioned": "A pair changed state: from, to, trigger, actor kind.",
    "pair.closed": "A pair reached `closed`; `closure_reason` says why.",
    "choice.offered": "A waiting mentee was sent a link to choose their mentor among the "
    "mentors offered (ids, best first); their choice arrives as the pair's `match`.",
    "proposal.created": "A transition waits for a coordinator's approval.",
    "proposal.decided": "A proposal was approved, rejected or superseded.",
    "meeting.logged": "A meeting was logged for a pair (held, cancelled or no-show).",
    "survey.submitted": "A participant answered a survey; ids and roles, never the answers.",
    "signal.raised": "A signal was observed about a pair; safety signals read `safety_concern`.",
    "alert.safety": "Urgent: a safety concern was reported about a pair. Ids only; staff act.",
    "checkin.due": "The calendar made a contact: a survey to a participant, or a coordinator's "
    "check-in now due. Role and date, never names.",
    "checkin.overdue": "A contact was not answered after its reminder, or a coordinator's "
    "check-in is overdue.",
    "participant.applied": "An application arrived: a mentor or mentee to screen (state "
    "`applied`). Ids, program and role, never names.",
    "participant.transitioned": "An applicant's intake moved on: screening started, approved, "
    "declined or withdrawn; from, to, trigger, actor kind.",
}

# Events that stay inside the service: never in the feed or in webhooks.
INTERNAL_EVENT_TYPES: frozenset[str] = frozenset()


def public_event_types() -> list[str]:
    return [name for name in EVENT_TYPES if name not in INTERNAL_EVENT_TYPES]


def is_known(event_type: str) -> bool:
    return event_type in EVENT_TYPES
