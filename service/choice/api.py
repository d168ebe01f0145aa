"""Mentee choice through the API: offer a waiting mentee their best suggested mentors, and
read a pair's offers."""

from __future__ import annotations

from typing import Any

from service.auth import current_actor, require_scope
from service.choice import service as choice
from service.choice.models import ChoiceOffer
from service.choice.schemas import ChoiceOfferListSchema, ChoiceOfferSchema
from service.idempotency.decorators import idempotent
from service.pairs import service as pairs
from service.schemas import Blueprint, documents

blueprint = Blueprint(
    "choice_api",
    __name__,
    url_prefix="/api/v1",
    description="Mentee choice: a waiting mentee chooses their mentor among their best "
    "suggestions, through a signed link.",
)


def _fields(offer: ChoiceOffer) -> dict[str, Any]:
    return {
        "id": offer.id,
        "pair_id": offer.pair_id,
        "mentee_id": offer.mentee_id,
        "status": offer.status,
        "options": offer.options,
        "chosen_mentor_id": offer.chosen_mentor_id,
        "expires_at": offer.expires_at,
        "used_at": offer.used_at,
        "created_at": offer.created_at,
    }


@blueprint.post("/pairs/<id:pair_id>/choice-offers")
@require_scope("pairs:write")
@idempotent(blueprint)
@blueprint.response(201, ChoiceOfferSchema)
@documents(blueprint, 401, 403, 404, 409)
def create_offer(pair_id: int):
    """Offer the pair's waiting mentee their best suggested mentors (the program's
    `mentee_choice_mentors`, ranked by its matching criteria and frozen as they stand), and
    e-mail them a signed, single-use link that works for the program's
    `invitation_valid_days`. The mentee's choice becomes the pair's `match`, by the mentee,
    with its score and reasons on the transition record. An earlier open offer for the pair
    stops working. A 409 when the program does not let mentees choose, when the pair is not
    waiting for a mentor, or when no mentor fits."""
    offer = choice.send(pair_id=pair_id, actor=current_actor())
    return {**_fields(offer), "url": choice.link_for(offer)}, 201


@blueprint.get("/pairs/<id:pair_id>/choice-offers")
@require_scope("pairs:read")
@blueprint.response(200, ChoiceOfferListSchema)
@documents(blueprint, 401, 403, 404)
def list_offers(pair_id: int):
    """The pair's choice offers, newest first, with what became of each."""
    pairs.get(pair_id=pair_id)
    return {"items": [_fields(offer) for offer in choice.offers_for(pair_id=pair_id)]}
