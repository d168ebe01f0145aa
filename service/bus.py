"""In-process domain events: a domain announces what happened; other domains react.

A domain never calls up into the domains that follow it. The lifecycle does not know the
calendar redraws a pair's schedules when it moves; it announces `PairMoved`, and the calendar
reacts. Which reactions run, and in which order, is wired in one module a reader can open:
`service/reactions.py` (the app factory wires it, so every web process and worker has it).

Reactions run inside `announce`, hence inside the announcer's transaction: what they write
commits with the change they react to, and a reaction that fails rolls the whole change back.
`Timing` is where a reaction would be marked to run after the commit instead (in the outbox's
consumer, say), without changing a single announcer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

Event = TypeVar("Event")


class Timing(StrEnum):
    # Inside the announcer's transaction, before `announce` returns.
    IN_TRANSACTION = "in_transaction"


@dataclass(frozen=True)
class Reaction:
    event: type
    handler: Callable[[Any], None]
    timing: Timing

    @property
    def name(self) -> str:
        return f"{self.handler.__module__}.{self.handler.__qualname__}"


class NotWired(RuntimeError):
    """An event was announced before any reaction was wired: the app factory was skipped."""


_reactions: dict[type, list[Reaction]] = {}
_wired = False


def react(
    event: type[Event],
    handler: Callable[[Event], None],
    *,
    timing: Timing = Timing.IN_TRANSACTION,
) -> None:
    """Run `handler` whenever an `event` is announced, after the reactions added before it."""
    if timing != Timing.IN_TRANSACTION:
        raise ValueError(f"reactions run {Timing.IN_TRANSACTION} only, not {timing!r}")
    registered = _reactions.setdefault(event, [])
    if all(reaction.handler is not handler for reaction in registered):
        registered.append(Reaction(event, handler, timing))


def reactions_to(event: type) -> list[Reaction]:
    return list(_reactions.get(event, []))


def wire(wiring: Callable[[], None]) -> None:
    """Replace every reaction with those `wiring` adds (wiring twice is wiring once)."""
    global _wired
    _reactions.clear()
    wiring()
    _wired = True


def announce(event: object) -> None:
    """Tell the reactions to `event`, in their order, in the caller's transaction."""
    if not _wired:
        raise NotWired(f"{type(event).__name__} announced before service.reactions was wired")
    for reaction in _reactions.get(type(event), []):
        reaction.handler(event)
