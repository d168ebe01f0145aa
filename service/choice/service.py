"""Mentee choice: a waiting mentee chooses their mentor among their best suggestions.

A coordinator (or a service, through the API) sends the offer: the program's matching engine
ranks the mentors for the mentee (`matching.suggestions.rank`), and the best few are frozen
into the offer as they stand, then e-mailed to the mentee as a signed, expiring, single-use
link, made as survey links are (itsdangerous, a random nonce kept with the offer, a salt of
its own so neither kind of link works as the other). The mentee's choice is the pair's
`match`, through the lifecycle like any other, recorded with its score and reasons as cohort
matching records them; then both accept the introduction as usual.

A choice is checked again when it is made: a mentor who has no open place left, or is no
longer matchable, since the offer was sent is refused and the others stay open. The offer
is used by compare-and-set under the pair's lock, so a double submit makes one match.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from service.actors import Actor, ActorKind
from service.choice.models import ChoiceOffer, OfferOutcome
from service.clock import now
from service.database import db, rowcount, transaction
from service.errors import Conflict, DomainError, Invalid, NotFound
from service.events import payloads
from service.events import service as events
from service.matching import suggestions
from service.notifications import service as notifications
from service.pairs import lifecycle
from service.pairs import service as pairs
from service.pairs.bounds import REASON_MAX
from service.pairs.facts import TransitionRequest
from service.pairs.models import Pair
from service.participants.models import Participant
from service.programs.models import Program
from workflows import matching
from workflows.intake import IntakeState
from workflows.pairing import TERMINAL_STATES, State, Trigger

TOKEN_SALT = "pairwise-mentee-choice"
# Who made the match: the mentee, through their link.
MENTEE_CHOICE = Actor(ActorKind.SYSTEM, None, "mentee choice")


class InvalidLink(Exception):
    """A link that was tampered with, or names no offer."""


class LinkUsed(Exception):
    """The offer did its job already (the mentee chose), or a newer one replaced it."""

    def __init__(self, offer: ChoiceOffer) -> None:
        super().__init__(offer.outcome)
        self.offer = offer


class LinkExpired(Exception):
    """The offer's time ran out before the mentee chose."""


class ChoiceClosed(Exception):
    """The mentee can no longer choose: the pair has a mentor already (`matched`), or has
    ended (`ended`), or the program stopped letting mentees choose (`program`)."""

    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


class MentorUnavailable(Exception):
    """The mentor chosen cannot be matched any more; the others may still be."""

    def __init__(self, first_name: str) -> None:
        super().__init__(first_name)
        self.first_name = first_name


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=TOKEN_SALT)


def link_for(offer: ChoiceOffer) -> str:
    # Built by hand, not url_for: the API and jobs make links too.
    token = _serializer().dumps([offer.id, offer.nonce])
    return f"{current_app.config['PUBLIC_URL']}/choose/{token}"


def reason_for(score: float, reasons: list[str], offered: int) -> str:
    """What the transition record says about the choice, in words."""
    said = f"The mentee's choice among {offered} mentors, score {score:g}: " + "; ".join(
        reasons or ["no preference met"]
    )
    return said[:REASON_MAX]


def _first_name(participant: Participant) -> str:
    return (participant.full_name.split() or ["Your mentor"])[0]


# ------------------------------------------------------------------------------- sending


def send(*, pair_id: int, actor: Actor) -> ChoiceOffer:
    """Offer the waiting mentee of this pair their best suggested mentors, and e-mail them
    the link. An earlier offer still open for the pair stops working."""
    with transaction(keep_loaded=True):
        pair, program, _ = pairs.lock_with_program(pair_id)
        return _send_within(pair, program, actor)


def _send_within(pair: Pair, program: Program, actor: Actor) -> ChoiceOffer:
    if not program.mentee_choice:
        raise Conflict(
            f"{program.name} does not let mentees choose their mentor: turn on "
            "Mentee choice in the program's settings first."
        )
    if pair.state != State.RECRUITED or pair.mentor_id is not None:
        raise Conflict(
            f"Pair #{pair.id} is {pair.state} already: only a mentee still waiting for a "
            "mentor chooses one.",
            state=pair.state,
        )
    mentee = db.session.get(Participant, pair.mentee_id)
    assert mentee is not None
    if not mentee.active:
        raise Conflict(f"{mentee.full_name} is inactive: nobody can be offered to them.")
    ranking = suggestions.rank(mentee_id=mentee.id, limit=program.mentee_choice_mentors)
    if not ranking.candidates:
        raise Conflict(
            f"No mentor of {program.name} fits {mentee.full_name} now: there is nobody to "
            "choose from."
        )
    seen_as = suggestions.person_of(mentee)
    options = [
        {
            "mentor_id": candidate.mentor.id,
            "first_name": _first_name(candidate.mentor),
            "score": candidate.score,
            "reasons": candidate.reasons,
            "in_common": matching.in_common(seen_as, suggestions.person_of(candidate.mentor)),
        }
        for candidate in ranking.candidates
    ]
    moment = now()
    db.session.execute(
        sa.update(ChoiceOffer)
        .where(ChoiceOffer.pair_id == pair.id, ChoiceOffer.used_at.is_(None))
        .values(used_at=moment, outcome=OfferOutcome.REPLACED)
        .execution_options(synchronize_session=False)
    )
    offer = ChoiceOffer(
        nonce=secrets.token_urlsafe(16),
        pair_id=pair.id,
        mentee_id=mentee.id,
        options=options,
        expires_at=moment + timedelta(days=program.invitation_valid_days),
        created_by=actor.ref,
        created_at=moment,
    )
    db.session.add(offer)
    db.session.flush()
    notifications.email_participant(
        mentee,
        program,
        template="mentee_choice",
        pair_id=pair.id,
        link=link_for(offer),
        mentors=len(options),
        expires_on=offer.expires_at.date().isoformat(),
    )
    events.emit(
        "choice.offered",
        {"pair": payloads.pair(pair), "offer": payloads.choice_offer(offer)},
        pair=pair,
    )
    return offer


def offers_for(*, pair_id: int) -> list[ChoiceOffer]:
    """The pair's offers, newest first."""
    return list(
        db.session.scalars(
            sa.select(ChoiceOffer)
            .where(ChoiceOffer.pair_id == pair_id)
            .order_by(ChoiceOffer.id.desc())
        )
    )


def get(*, offer_id: int) -> ChoiceOffer:
    offer = db.session.get(ChoiceOffer, offer_id)
    if offer is None:
        raise NotFound.of("choice offer", offer_id)
    return offer


# ------------------------------------------------------------------------------- choosing


@dataclass(frozen=True)
class Opened:
    """The offer a link names, with what its page needs."""

    offer: ChoiceOffer
    program: Program
    pair: Pair


@dataclass(frozen=True)
class Option:
    """A mentor as the mentee sees them: a first name, what they share, and whether they
    may still be chosen."""

    mentor_id: int
    first_name: str
    in_common: list[str]
    available: bool


def resolve(token: str) -> Opened:
    """The offer a link names, read with its program and pair in one query."""
    try:
        offer_id, nonce = _serializer().loads(token)
    except (BadSignature, ValueError, TypeError):
        raise InvalidLink("the link's signature does not match") from None
    found = (
        db.session.execute(
            sa.select(ChoiceOffer, Program, Pair)
            .join(Pair, Pair.id == ChoiceOffer.pair_id)
            .join(Program, Program.id == Pair.program_id)
            .where(ChoiceOffer.id == offer_id)
        ).first()
        if isinstance(offer_id, int)
        else None
    )
    if found is None or found[0].nonce != nonce:
        raise InvalidLink("no such offer")
    return Opened(*found)


def check_open(opened: Opened) -> None:
    """Raise why the mentee cannot choose through this link now, if they cannot."""
    offer, program, pair = opened.offer, opened.program, opened.pair
    if offer.used_at is not None:
        raise LinkUsed(offer)
    if offer.expires_at <= now():
        raise LinkExpired()
    if pair.state in TERMINAL_STATES:
        raise ChoiceClosed("ended")
    if pair.state != State.RECRUITED or pair.mentor_id is not None:
        raise ChoiceClosed("matched")
    if not program.mentee_choice:
        raise ChoiceClosed("program")


def _unavailable(offer: ChoiceOffer, mentor_id: int) -> bool:
    """Whether the mentor may no longer be matched with the mentee, as things stand now."""
    mentor = db.session.get(Participant, mentor_id)
    if mentor is None or not mentor.active or mentor.intake_state != IntakeState.APPROVED:
        return True
    try:
        why = suggestions.explain_couple(mentee_id=offer.mentee_id, mentor_id=mentor_id)
    except DomainError:
        return True
    return bool(why.failures)


def options_of(offer: ChoiceOffer) -> list[Option]:
    """The mentors offered, best first, each marked whether it may still be chosen."""
    return [
        Option(
            option["mentor_id"],
            option["first_name"],
            list(option["in_common"]),
            not _unavailable(offer, option["mentor_id"]),
        )
        for option in offer.options
    ]


def chosen_option(offer: ChoiceOffer) -> dict[str, Any] | None:
    return next((o for o in offer.options if o["mentor_id"] == offer.chosen_mentor_id), None)


def choose(*, offer_id: int, mentor_id: int) -> ChoiceOffer:
    """The mentee's choice: the pair's `match` with this mentor, by the mentee, with its
    score and reasons on the transition record (or a proposal, when the program wants a
    coordinator to approve matches). One choice per offer, however many submits arrive."""
    with transaction(keep_loaded=True):
        # The pair's lock serialises choices (and a coordinator's match) on this pair.
        pair, program, _ = pairs.lock_with_program(
            db.session.scalar(sa.select(ChoiceOffer.pair_id).where(ChoiceOffer.id == offer_id)) or 0
        )
        offer = db.session.execute(
            sa.select(ChoiceOffer)
            .where(ChoiceOffer.id == offer_id)
            .execution_options(populate_existing=True)
        ).scalar_one()
        check_open(Opened(offer, program, pair))
        option = next((o for o in offer.options if o["mentor_id"] == mentor_id), None)
        if option is None:
            raise Invalid("mentor_id", f"mentor {mentor_id} was not offered to this mentee")
        if _unavailable(offer, mentor_id):
            raise MentorUnavailable(option["first_name"])
        moment = now()
        used = db.session.execute(
            sa.update(ChoiceOffer)
            .where(ChoiceOffer.id == offer.id, ChoiceOffer.used_at.is_(None))
            .values(used_at=moment, chosen_mentor_id=mentor_id)
            .execution_options(synchronize_session=False)
        )
        if rowcount(used) != 1:
            raise LinkUsed(offer)
        why = suggestions.explain_couple(mentee_id=offer.mentee_id, mentor_id=mentor_id)
        try:
            outcome = lifecycle.request_transition_within(
                pair=pair,
                program=program,
                actor=MENTEE_CHOICE,
                request=TransitionRequest(
                    Trigger.MATCH,
                    mentor_id=mentor_id,
                    reason=reason_for(why.score, why.reasons, len(offer.options)),
                ),
            )
        except DomainError:
            # The mentor's last place went between the check and the match: the same answer.
            raise MentorUnavailable(option["first_name"]) from None
        if outcome.transition is not None:
            record = outcome.transition
            record.details = {
                **record.details,
                "matching": {"score": why.score, "reasons": why.reasons},
                "choice_offer_id": offer.id,
            }
        offer.used_at = moment
        offer.chosen_mentor_id = mentor_id
        offer.outcome = OfferOutcome.CHOSEN if outcome.applied else OfferOutcome.PROPOSED
        db.session.flush()
        return offer
