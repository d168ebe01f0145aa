"""Who may read what. Safety reports and their notes are for admins and the assigned
coordinator only (SPEC.md); the console's coordinators join this rule later."""

from __future__ import annotations

from collections.abc import Iterable

from flask import g

from service.actors import Actor
from service.events.payloads import public_signals
from workflows.pairing import ClosureReason
from workflows.signals import is_safety


def is_safety_related(signals: Iterable[str], closure_reason: str | None = None) -> bool:
    return closure_reason == ClosureReason.SAFETY or any(is_safety(code) for code in signals)


def may_read_safety_notes(actor: Actor | None) -> bool:
    return actor is not None and actor.is_admin


def answer_visible_to(actor: Actor | None, *, visibility: str, safety: bool) -> bool:
    """Whether a token may read one survey answer (SPEC.md: a mentor never sees the mentee's
    private answers; safety answers are for admins and the assigned coordinator only)."""
    if actor is None:
        return False
    if safety:
        return may_read_safety_notes(actor)
    if actor.is_admin:
        return True
    if visibility == "staff":
        return "responses:read_private" in actor.scopes
    return "responses:read" in actor.scopes or "responses:read_private" in actor.scopes


def visible_signals(codes: Iterable[str]) -> list[str]:
    """Signal codes as the caller may see them: the kind of a safety report is for those
    who may read safety notes; others see only that there is a safety concern."""
    if may_read_safety_notes(g.get("actor")):
        return list(codes)
    return public_signals(list(codes))


def visible_reason(reason: str | None, signals: Iterable[str], closure_reason: str | None = None):
    """The free-text reason, unless it belongs to a safety report the caller may not read."""
    if is_safety_related(signals, closure_reason) and not may_read_safety_notes(g.get("actor")):
        return None
    return reason
