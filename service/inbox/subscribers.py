"""Staff hear about some events: the inbox's consumers of the outbox (wired in
service/reactions.py, run by a worker after the change committed)."""

from __future__ import annotations

from service.approvals.models import Proposal
from service.database import db
from service.events.models import OutboxEvent
from service.inbox import service as inbox
from service.notifications import service as notifications
from service.pairs.models import Pair


def alert_staff_to_safety(event: OutboxEvent) -> None:
    """A safety concern: the coordinator and the admins, at once, by e-mail and inbox.

    The message says where to look, never what was reported.
    """
    pair = db.session.get_one(Pair, event.pair_id)
    emails = inbox.notify(
        users=inbox.staff_for(pair, and_admins=True),
        kind="safety_alert",
        pair=pair,
        urgent=True,
        event_id=event.event_id,
        title=f"Safety concern reported for pair #{pair.id}",
        body=f"A safety concern was reported through {event.payload.get('source', 'a report')}. "
        "Open the pair to read it; safety notes are shown to admins and its coordinator only.",
    )
    db.session.commit()
    # Within this worker cycle, not after another trip through the queue.
    notifications.deliver_now(emails)


def ask_for_a_decision(event: OutboxEvent) -> None:
    proposal = db.session.get(Proposal, event.payload["proposal"]["id"])
    if proposal is None or proposal.status != "pending":
        return
    pair = db.session.get_one(Pair, proposal.pair_id)
    inbox.notify(
        users=inbox.staff_for(pair),
        kind="proposal_waiting",
        pair=pair,
        event_id=event.event_id,
        title=f"Approval needed: {proposal.trigger.replace('_', ' ')} for pair #{pair.id}",
        body=f"Proposed by {proposal.proposed_by.label}. Approve or reject it in Pairwise.",
    )
    db.session.commit()
