"""What approvals do when a pair moves (wired in service/reactions.py)."""

from __future__ import annotations

from service.approvals import proposals
from service.pairs.domain_events import PairMoved


def supersede_stale_proposals(moved: PairMoved) -> None:
    """Pending proposals the pair's new state no longer allows are closed, not left hanging
    (not looked for when the transition knows the pair had none)."""
    if moved.pending_proposals:
        proposals.supersede_stale(pair=moved.pair)
