"""What the pair domain announces (see `service.bus`); the reactions live with the domains
that react, and `service/reactions.py` says which run, in which order."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from workflows.pairing import State

if TYPE_CHECKING:
    from service.actors import Actor
    from service.pairs.facts import TransitionRequest
    from service.pairs.models import Intervention, Pair, Pause, TransitionRecord
    from service.programs.models import Program


@dataclass(frozen=True)
class PairMoved:
    """A transition was applied: the pair is in `to_state`, its record and outbox events are
    written, and the transaction is still open."""

    pair: Pair
    program: Program
    record: TransitionRecord
    request: TransitionRequest
    actor: Actor
    from_state: State
    to_state: State
    # A re-match opens a successor pair for the same mentee, with the new mentor.
    successor: Pair | None = None
    # Whether the pair may have pending proposals: False when the transition read, under
    # the pair's lock, that it had none (so nothing is looked for to supersede).
    pending_proposals: bool = True


@dataclass(frozen=True)
class PlannedEndChanged:
    """A coordinator moved the pair's planned end (or cleared it)."""

    pair: Pair
    program: Program


@dataclass(frozen=True)
class InterventionRecorded:
    """A coordinator recorded what they did about the pair's trouble."""

    pair: Pair
    program: Program
    intervention: Intervention


@dataclass(frozen=True)
class PairPaused:
    """A coordinator recorded a pause: the pair's calendar holds until it ends."""

    pair: Pair
    program: Program
    pause: Pause
