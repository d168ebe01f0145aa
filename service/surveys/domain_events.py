"""What the surveys domain announces (see `service.bus`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from service.pairs.models import Pair
    from service.surveys.models import SurveyResponse


@dataclass(frozen=True)
class ResponseSubmitted:
    """A participant answered through their invitation (which is now used up)."""

    response: SurveyResponse
    invitation_id: int


@dataclass(frozen=True)
class StaffCheckinRecorded:
    """A coordinator recorded their own check-in with the pair: with the pair alone (its
    response), or with several pairs at once (a group check-in, which has no response of
    its own for each pair)."""

    pair: Pair
    response: SurveyResponse | None
