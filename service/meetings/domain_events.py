"""What the meetings domain announces (see `service.bus`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from service.meetings.models import Meeting
    from service.pairs.models import Pair


@dataclass(frozen=True)
class MeetingLogged:
    """A meeting (held, cancelled or missed) was stored for the pair."""

    pair: Pair
    meeting: Meeting
