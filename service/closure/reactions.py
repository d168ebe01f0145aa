"""What the closure procedure does when a pair moves (wired in service/reactions.py)."""

from __future__ import annotations

from service.closure import service as closure
from service.pairs.domain_events import PairMoved
from workflows.pairing import State


def keep_closure_snapshot(moved: PairMoved) -> None:
    """A pair that reaches `closed` (closed or withdrawn) keeps the closure procedure as it
    stood on its transition record, so the closed record proves what was done."""
    if moved.to_state != State.CLOSED:
        return
    moved.record.details = {**moved.record.details, "closure": closure.snapshot(moved.pair)}
