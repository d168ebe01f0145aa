"""The closure procedure: whether anticipated or not, the mentee is told
the last session's date, a celebratory final session is planned, reflections are collected
from mentor, mentee and guardian, and a contact policy is agreed. Each step shows whether it
is done; the closing transition keeps a snapshot, so the closed record proves it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa

from service.actors import Actor
from service.clock import now
from service.closure.models import ClosureRecord, ContactPolicy, EndingReasons
from service.database import db, transaction
from service.errors import Invalid, NotFound
from service.meetings.models import Meeting, MeetingStatus
from service.notifications.models import Notification
from service.pairs import service as pairs
from service.pairs.models import Pair
from service.participants.models import Participant
from service.surveys import invitations
from service.surveys.models import SurveyResponse
from workflows.endings import EndingReason, Viewpoint, is_confidential
from workflows.pairing import ClosureReason


@dataclass(frozen=True)
class Step:
    key: str
    title: str
    done: bool
    detail: str


def record_for(pair_id: int) -> ClosureRecord | None:
    return db.session.get(ClosureRecord, pair_id)


def save(
    *,
    pair_id: int,
    kind: str | None = None,
    celebration_plan: str | None = None,
    celebration_on: date | None = None,
    contact_policy: str | None = None,
    contact_policy_notes: str | None = None,
) -> ClosureRecord:
    if contact_policy is not None and contact_policy not in set(ContactPolicy):
        raise Invalid("contact_policy", f"choose one of {', '.join(ContactPolicy)}")
    if kind is not None and kind not in ("anticipated", "unanticipated"):
        raise Invalid("kind", "anticipated or unanticipated")
    with transaction():
        if db.session.get(Pair, pair_id) is None:
            raise NotFound.of("pair", pair_id)
        record = db.session.get(ClosureRecord, pair_id) or ClosureRecord(pair_id=pair_id)
        db.session.add(record)
        for field, value in (
            ("kind", kind),
            ("celebration_plan", celebration_plan),
            ("celebration_on", celebration_on),
            ("contact_policy", contact_policy),
            ("contact_policy_notes", contact_policy_notes),
        ):
            if value is not None:
                setattr(record, field, value)
        record.updated_at = now()
    return record


def record_reasons(
    *,
    pair_id: int,
    viewpoint: str,
    primary_reason: str,
    other_reasons: Iterable[str] = (),
    actor: Actor,
) -> EndingReasons:
    """Record why the match ended, from one point of view; a later account replaces it."""
    with transaction():
        pair = pairs.lock(pair_id)
        return record_reasons_within(
            pair=pair,
            viewpoint=viewpoint,
            primary_reason=primary_reason,
            other_reasons=other_reasons,
            actor=actor,
        )


def record_reasons_within(
    *,
    pair: Pair,
    viewpoint: str,
    primary_reason: str,
    other_reasons: Iterable[str],
    actor: Actor,
) -> EndingReasons:
    """`record_reasons` in the caller's transaction, for the pair it holds."""
    others = list(dict.fromkeys(other_reasons))
    if viewpoint not in set(Viewpoint):
        raise Invalid("viewpoint", f"choose one of {', '.join(Viewpoint)}")
    if primary_reason not in set(EndingReason):
        raise Invalid("primary_reason", f"choose one of {', '.join(EndingReason)}")
    unknown = [reason for reason in others if reason not in set(EndingReason)]
    if unknown:
        raise Invalid("other_reasons", f"unknown reason(s) {', '.join(unknown)}")
    row = db.session.scalar(
        sa.select(EndingReasons).where(
            EndingReasons.pair_id == pair.id, EndingReasons.viewpoint == viewpoint
        )
    ) or EndingReasons(pair_id=pair.id, viewpoint=viewpoint)
    row.primary_reason = primary_reason
    # The primary reason is not repeated among the others.
    row.other_reasons = [reason for reason in others if reason != primary_reason]
    row.recorded_by = actor.ref
    row.recorded_at = now()
    db.session.add(row)
    db.session.flush()
    return row


def reasons_for(pair_id: int) -> list[EndingReasons]:
    """The accounts recorded for a pair: mentor, mentee, then coordinator."""
    order = list(Viewpoint)
    rows = db.session.scalars(sa.select(EndingReasons).where(EndingReasons.pair_id == pair_id))
    return sorted(rows, key=lambda row: order.index(Viewpoint(row.viewpoint)))


def confidential_ending(pair: Pair, rows: Iterable[EndingReasons]) -> bool:
    """An ending for safety, by the closure reason or by anyone's account, is confidential."""
    named = [reason for row in rows for reason in (row.primary_reason, *row.other_reasons)]
    return pair.closure_reason == ClosureReason.SAFETY or is_confidential(named)


def public_reasons(pair: Pair) -> dict[str, dict[str, Any]] | None:
    """The reasons as they may leave the service in the closure event, or None: when
    none are recorded, and when the ending is confidential (a receiver cannot tell the two
    apart)."""
    rows = reasons_for(pair.id)
    if not rows or confidential_ending(pair, rows):
        return None
    return {
        row.viewpoint: {"primary": row.primary_reason, "others": list(row.other_reasons)}
        for row in rows
    }


def _reflections(pair: Pair) -> dict[str, bool]:
    program = pair.program
    roles = ["mentee", "mentor"] + (["guardian"] if program.youth else [])
    answered = set(
        db.session.scalars(
            sa.select(SurveyResponse.respondent_role).where(
                SurveyResponse.pair_id == pair.id, SurveyResponse.survey_key == "closure_reflection"
            )
        )
    )
    return {role: role in answered for role in roles}


def steps(pair: Pair) -> list[Step]:
    record = record_for(pair.id)
    told = db.session.scalar(
        sa.select(Notification)
        .where(
            Notification.pair_id == pair.id,
            Notification.template == "final_session_date",
            Notification.participant_id == pair.mentee_id,
        )
        .order_by(Notification.id.desc())
        .limit(1)
    )
    final = db.session.scalar(
        sa.select(Meeting).where(
            Meeting.pair_id == pair.id,
            Meeting.is_final_session.is_(True),
            Meeting.status == MeetingStatus.HELD,
        )
    )
    reflections = _reflections(pair)
    ending = reasons_for(pair.id)
    return [
        Step(
            "told",
            "The mentee is told the date of the last session",
            told is not None and pair.final_session_on is not None,
            f"{pair.final_session_on:%d %B %Y}, e-mail {told.status}"
            if told and pair.final_session_on
            else "not yet",
        ),
        Step(
            "celebration",
            "A celebratory final session is planned",
            bool(record and record.celebration_plan),
            record.celebration_plan if record and record.celebration_plan else "not yet",
        ),
        Step(
            "reflections",
            "Exit reflections are collected",
            all(reflections.values()),
            ", ".join(
                f"{role}: {'received' if got else 'waiting'}" for role, got in reflections.items()
            ),
        ),
        Step(
            "contact_policy",
            "The post-closure contact policy is agreed",
            bool(record and record.contact_policy),
            (record.contact_policy or "").replace("_", " ")
            if record and record.contact_policy
            else "not yet",
        ),
        Step(
            "reasons",
            "Why the match ended is recorded",
            any(row.viewpoint == Viewpoint.COORDINATOR for row in ending),
            ", ".join(f"{row.viewpoint}: recorded" for row in ending) or "not yet",
        ),
        Step(
            "final_session",
            "The final session is held and logged",
            final is not None,
            f"on {final.occurred_at:%d %B %Y}" if final else "not yet",
        ),
    ]


def snapshot(pair: Pair) -> dict[str, Any]:
    """The procedure as it stood at closure, kept on the transition record."""
    record = record_for(pair.id)
    return {
        "kind": record.kind if record else "unanticipated",
        "steps": [asdict(step) for step in steps(pair)],
    }


def send_reflections(*, pair_id: int, actor: Actor) -> int:
    """Invite mentee, mentor (and guardian) to the closure reflection, unless invited already."""
    with transaction():
        pair = db.session.get(Pair, pair_id)
        if pair is None:
            raise NotFound.of("pair", pair_id)
        program = pair.program
        people = [pair.mentee_id, pair.mentor_id]
        if program.youth:
            people += db.session.scalars(
                sa.select(Participant.id).where(Participant.guardian_of_id == pair.mentee_id)
            ).all()
        invited = invitations.invited_to(pair_id=pair.id, survey_key="closure_reflection")
        sent = 0
        for person_id in people:
            if person_id and person_id not in invited:
                invitations.invite_within(
                    survey_key="closure_reflection",
                    participant_id=person_id,
                    pair_id=pair.id,
                    actor=actor,
                    send_email=True,
                )
                sent += 1
        return sent
