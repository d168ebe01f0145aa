"""Who may read what. One rule for safety reports, the same in the console and the API:
safety notes, safety answers and the kind of a safety signal are for admins (an admin
user, or a token with the `admin` scope) and the pair's assigned coordinator.

The helpers below that take no pair serve the API, where the caller is a token: a token is
never a pair's coordinator, so there the rule comes down to the `admin` scope."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from flask import g

from service.accounts.models import StaffRole
from service.actors import Actor
from service.approvals.models import Proposal
from service.database import db
from service.events.payloads import public_signals
from service.notes.models import Confidentiality, Note
from service.pairs.models import Pair, TransitionRecord
from service.signals.models import Signal
from service.surveys import answers
from service.surveys.models import SurveyResponse
from workflows.pairing import ClosureReason
from workflows.signals import SIGNALS, is_safety


def is_safety_related(signals: Iterable[str], closure_reason: str | None = None) -> bool:
    return closure_reason == ClosureReason.SAFETY or any(is_safety(code) for code in signals)


def holds_pair(actor: Actor | None, pair: Pair | None) -> bool:
    """Whether `actor` is the console user assigned as the pair's coordinator."""
    return actor is not None and pair is not None and actor.is_user(pair.coordinator_id)


def may_read_safety(actor: Actor | None, pair: Pair | None = None) -> bool:
    """Admins, and the coordinator assigned to `pair`. A token is never a pair's coordinator,
    so a token reads safety reports only with the `admin` scope; without a pair (a list
    across pairs), only admins do."""
    if actor is None:
        return False
    return actor.is_admin or (actor.role == StaffRole.COORDINATOR and holds_pair(actor, pair))


def answer_visible_to(actor: Actor | None, *, visibility: str, safety: bool) -> bool:
    """Whether the caller may read one survey answer: a mentor never sees the mentee's
    private answers, and safety answers follow `may_read_safety`."""
    if actor is None:
        return False
    if safety:
        return may_read_safety(actor)
    if actor.is_admin:
        return True
    if visibility == "staff":
        return "responses:read_private" in actor.scopes
    return "responses:read" in actor.scopes or "responses:read_private" in actor.scopes


def visible_signals(codes: Iterable[str]) -> list[str]:
    """Signal codes as the caller may see them: the kind of a safety report is for those
    who may read safety notes; others see only that there is a safety concern."""
    if may_read_safety(g.get("actor")):
        return list(codes)
    return public_signals(list(codes))


def visible_reason(reason: str | None, signals: Iterable[str], closure_reason: str | None = None):
    """The free-text reason, unless it belongs to a safety report the caller may not read."""
    if is_safety_related(signals, closure_reason) and not may_read_safety(g.get("actor")):
        return None
    return reason


def has_safety_records(pair: Pair) -> bool:
    """Whether the pair holds anything only safety readers may read: a safety signal, a
    safety note, an answer given to a safety question (other than "no"), a transition or
    proposal naming a safety signal, or a closure for safety."""
    if pair.closure_reason == ClosureReason.SAFETY:
        return True
    safety_codes = [code for code in SIGNALS if is_safety(code)]
    for query in (
        sa.select(Signal.id).where(Signal.pair_id == pair.id, Signal.code.in_(safety_codes)),
        sa.select(Note.id).where(
            Note.pair_id == pair.id, Note.confidentiality == Confidentiality.SAFETY
        ),
    ):
        if db.session.scalar(query.limit(1)) is not None:
            return True
    for model in (TransitionRecord, Proposal):
        for signals in db.session.scalars(sa.select(model.signals).where(model.pair_id == pair.id)):
            if is_safety_related(signals or ()):
                return True
    responses = db.session.scalars(
        sa.select(SurveyResponse).where(SurveyResponse.pair_id == pair.id)
    )
    return any(
        answer.safety and answer.value not in (None, "", "no", [])
        for response in responses
        for answer in answers.readable_answers(response)
    )
