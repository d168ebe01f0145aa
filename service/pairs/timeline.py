"""Everything that happened to a pair, in time order: the pair page's timeline."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from service.accounts.models import User
from service.approvals.models import Proposal
from service.database import db
from service.meetings.models import Meeting
from service.notes.models import Note
from service.notifications.models import Notification
from service.pairs.models import (
    Intervention,
    MentoringAgreement,
    Pair,
    Pause,
    StaffChange,
    StaffPost,
    TransitionRecord,
)
from service.signals.models import Signal
from service.surveys.models import GroupCheckin, GroupCheckinPair, SurveyResponse
from workflows.cadence import PAUSE_REASON_LABELS, PauseReason
from workflows.signals import SIGNALS, is_safety


@dataclass(frozen=True)
class Entry:
    at: datetime
    kind: str
    summary: str
    data: dict[str, Any] = field(default_factory=dict)


def _all(model: type[Any], pair_id: int) -> list[Any]:
    return list(db.session.scalars(sa.select(model).where(model.pair_id == pair_id)))


def timeline(pair: Pair, *, show_safety_kinds: bool = False) -> list[Entry]:
    """The pair's story. The kind of a safety signal is shown only to those who may read it."""
    entries = [
        Entry(pair.created_at, "created", "Pair created", {"predecessor_id": pair.predecessor_id})
    ]
    for record in _all(TransitionRecord, pair.id):
        entries.append(
            Entry(
                record.created_at,
                "transition",
                f"{record.from_state} → {record.to_state} ({record.trigger})"
                f" by {record.actor.label}",
                {
                    "sequence": record.sequence,
                    "trigger": record.trigger,
                    "from": record.from_state,
                    "to": record.to_state,
                    "actor_kind": record.actor.kind,
                    "proposal_id": record.proposal_id,
                },
            )
        )
    for proposal in _all(Proposal, pair.id):
        entries.append(
            Entry(
                proposal.created_at,
                "proposal",
                f"Proposed {proposal.trigger} by {proposal.proposed_by.label}",
                {
                    "proposal_id": proposal.id,
                    "trigger": proposal.trigger,
                    "status": proposal.status,
                },
            )
        )
        if proposal.decided_at is not None:
            entries.append(
                Entry(
                    proposal.decided_at,
                    "decision",
                    f"Proposal to {proposal.trigger} {proposal.status}"
                    f" by {proposal.decided_by.label}",
                    {"proposal_id": proposal.id, "status": proposal.status},
                )
            )
    for meeting in _all(Meeting, pair.id):
        what = "Final session" if meeting.is_final_session else "Meeting"
        entries.append(
            Entry(
                meeting.occurred_at,
                "meeting",
                f"{what}: {meeting.status.replace('_', ' ')}",
                {
                    "meeting_id": meeting.id,
                    "status": meeting.status,
                    "duration_minutes": meeting.duration_minutes,
                },
            )
        )
    for signal in _all(Signal, pair.id):
        hidden = is_safety(signal.code) and not show_safety_kinds
        code = "safety_concern" if hidden else signal.code
        entries.append(
            Entry(
                signal.raised_at,
                "signal",
                f"Signal: {SIGNALS[code].label} (from {signal.source})",
                {
                    "signal_id": signal.id,
                    "code": code,
                    "category": signal.category,
                    "source": signal.source,
                    "source_id": signal.source_id,
                },
            )
        )
    for response in _all(SurveyResponse, pair.id):
        entries.append(
            Entry(
                response.submitted_at,
                "response",
                f"Survey answered: {response.survey_key} ({response.respondent_role})",
                {
                    "response_id": response.id,
                    "survey_key": response.survey_key,
                    "respondent_role": response.respondent_role,
                },
            )
        )
    together = sa.select(GroupCheckinPair.group_checkin_id).where(
        GroupCheckinPair.pair_id == pair.id
    )
    for group in db.session.scalars(sa.select(GroupCheckin).where(GroupCheckin.id.in_(together))):
        entries.append(
            Entry(
                group.created_at,
                "group_checkin",
                f"Group check-in on {group.held_on:%d %b %Y} by {group.recorded_by.label}"
                + (f": {group.notes}" if group.notes else ""),
                {"group_checkin_id": group.id, "held_on": group.held_on.isoformat()},
            )
        )
    for intervention in _all(Intervention, pair.id):
        entries.append(
            Entry(
                intervention.created_at,
                "intervention",
                f"Intervention recorded by {intervention.recorded_by.label}",
                {
                    "intervention_id": intervention.id,
                    "approach": intervention.approach,
                    "follow_up_on": intervention.follow_up_on.isoformat()
                    if intervention.follow_up_on
                    else None,
                },
            )
        )
    for note in _all(Note, pair.id):
        # Never the body here: a note is read on the pair page, safety notes on their own.
        entries.append(
            Entry(
                note.created_at,
                "note",
                f"Note ({note.confidentiality}) by {note.author.label}",
                {"note_id": note.id, "confidentiality": note.confidentiality},
            )
        )
    for message in _all(Notification, pair.id):
        recipient = "a participant" if message.participant_id else "staff"
        entries.append(
            Entry(
                message.created_at,
                "notification",
                f"E-mail {message.template.replace('_', ' ')} to {recipient}: {message.status}",
                {
                    "notification_id": message.id,
                    "template": message.template,
                    "status": message.status,
                    "participant_id": message.participant_id,
                },
            )
        )
    entries += _pauses(pair) + _agreement(pair) + _staff_changes(pair)
    return sorted(entries, key=lambda entry: entry.at)


def _pauses(pair: Pair) -> list[Entry]:
    return [
        Entry(
            pause.created_at,
            "pause",
            f"Paused from {pause.starts_on:%d %b %Y} until {pause.ends_on:%d %b %Y}"
            f" ({PAUSE_REASON_LABELS[PauseReason(pause.reason)].lower()})"
            f" by {pause.recorded_by.label}",
            {
                "pause_id": pause.id,
                "reason": pause.reason,
                "starts_on": pause.starts_on.isoformat(),
                "ends_on": pause.ends_on.isoformat(),
            },
        )
        for pause in _all(Pause, pair.id)
    ]


def _agreement(pair: Pair) -> list[Entry]:
    """When the mentoring agreement was recorded and, if since, last revisited."""
    agreement = db.session.scalar(
        sa.select(MentoringAgreement).where(MentoringAgreement.pair_id == pair.id)
    )
    if agreement is None:
        return []
    data = {"agreed_on": agreement.agreed_on.isoformat()}
    entries = [
        Entry(
            agreement.created_at,
            "agreement",
            f"Mentoring agreement recorded by {agreement.recorded_by.label}",
            data,
        )
    ]
    if agreement.updated_at > agreement.created_at:
        entries.append(
            Entry(
                agreement.updated_at,
                "agreement",
                f"Mentoring agreement revisited by {agreement.recorded_by.label}",
                data,
            )
        )
    return entries


def _staff_changes(pair: Pair) -> list[Entry]:
    """Who changed the pair's coordinator or support staff, from whom, to whom, and when."""
    changes = _all(StaffChange, pair.id)
    ids = {c.from_user_id for c in changes} | {c.to_user_id for c in changes}
    names = dict(
        db.session.execute(sa.select(User.id, User.full_name).where(User.id.in_(ids))).all()
    )
    entries = []
    for change in changes:
        before = names.get(change.from_user_id, "nobody")
        after = names.get(change.to_user_id, "nobody")
        if change.role == StaffPost.COORDINATOR:
            what = f"Coordinator: {before} → {after}"
        elif change.to_user_id is not None:
            what = f"Support staff: {after} added"
        else:
            what = f"Support staff: {before} removed"
        entries.append(
            Entry(
                change.created_at,
                "staff",
                f"{what} by {change.changed_by.label}",
                {
                    "role": change.role,
                    "from_user_id": change.from_user_id,
                    "from": names.get(change.from_user_id),
                    "to_user_id": change.to_user_id,
                    "to": names.get(change.to_user_id),
                    "changed_by": change.changed_by.label,
                    "actor_kind": change.changed_by.kind,
                },
            )
        )
    return entries
