"""Signals enter here, whoever observed them: recorded, published, and handed to the
lifecycle, all in the caller's transaction."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import sqlalchemy as sa

from service.actors import Actor
from service.database import db
from service.errors import DomainError
from service.events import payloads
from service.events import service as events
from service.pairs import lifecycle
from service.pairs.facts import TransitionRequest
from service.pairs.models import Pair
from service.signals.models import Signal
from workflows.rules import RaisedSignal, reaction
from workflows.signals import SIGNALS, is_safety

log = logging.getLogger(__name__)


def raise_signals(
    *,
    pair: Pair,
    raised: Sequence[RaisedSignal],
    source: str,
    source_id: str | None,
    actor: Actor,
    reason: str,
) -> list[Signal]:
    """Record `raised`, publish them, and flag the pair if the lifecycle says so.

    A safety signal also publishes an urgent `alert.safety` event, which carries ids only.
    """
    if not raised:
        return []
    rows = [
        Signal(
            pair_id=pair.id,
            code=signal.code,
            category=SIGNALS[signal.code].category,
            source=source,
            source_id=source_id,
            question=signal.question or None,
        )
        for signal in raised
    ]
    db.session.add_all(rows)
    db.session.flush()
    for row in rows:
        events.emit(
            "signal.raised",
            {"pair": payloads.pair(pair), "signal": payloads.signal(row)},
            pair=pair,
        )
    safety = [row for row in rows if is_safety(row.code)]
    if safety:
        alert = {
            "pair": payloads.pair(pair),
            "urgency": "urgent",
            "category": "safety",
            "signal_ids": [row.id for row in safety],
            "source": source,
        }
        events.emit("alert.safety", alert, pair=pair)
    codes = tuple(row.code for row in rows)
    trigger = reaction(pair.state, codes)
    if trigger is not None:
        request = TransitionRequest(trigger, signals=codes, reason=reason)
        try:
            # A savepoint: a refusal leaves the signals recorded and the caller's work intact.
            with db.session.begin_nested():
                lifecycle.request_transition_within(pair=pair, request=request, actor=actor)
        except DomainError as refusal:
            log.info("signals on pair %s did not move it: %s", pair.id, refusal.detail)
    return rows


def for_pair(*, pair_id: int) -> list[Signal]:
    return list(
        db.session.scalars(
            sa.select(Signal).where(Signal.pair_id == pair_id).order_by(Signal.raised_at, Signal.id)
        )
    )
