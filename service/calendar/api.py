from __future__ import annotations

from service.auth import require_scope
from service.calendar import schedule
from service.calendar.schemas import CalendarSchema
from service.pairs import service as pairs
from service.schemas import Blueprint, documents

blueprint = Blueprint(
    "calendar",
    __name__,
    url_prefix="/api/v1/pairs",
    description="The program calendar of a pair: what is due, what was sent, compliance.",
)


@blueprint.get("/<id:pair_id>/calendar")
@require_scope("pairs:read")
@blueprint.response(200, CalendarSchema)
@documents(blueprint, 401, 403, 404)
def get_calendar(pair_id: int):
    pairs.get(pair_id=pair_id)
    return {
        "pair_id": pair_id,
        "upcoming": schedule.upcoming(pair_id=pair_id),
        "contacts": schedule.contacts_for(pair_id=pair_id),
        "compliance": schedule.compliance_for(pair_id=pair_id),
    }
