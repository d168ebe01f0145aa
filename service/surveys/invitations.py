"""Survey invitations: a signed, expiring, single-use link made for one participant, their
pair and one survey, and the e-mails that carry it."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from service.actors import Actor, ActorKind
from service.clock import now
from service.database import db, insert_rows, table_of, transaction
from service.errors import Invalid, NotFound
from service.notifications import service as notifications
from service.pairs.models import Pair
from service.participants.models import Participant, Role
from service.programs.models import Program
from service.surveys.models import Invitation, SurveyResponse, SurveyVersion
from service.surveys.versions import (
    STORED_DEFINITION,
    current_version,
    definition_of,
    definition_stored,
)
from surveys.definition import SurveyDefinition
from workflows import rules

TOKEN_SALT = "pairwise-survey-invitation"
# Purposes about a relationship need a pair; applications and training do not.
PAIR_PURPOSES = frozenset(
    {
        "meeting_log",
        "first_meeting",
        "periodic_checkin",
        "closure_reflection",
        "event_followup",
        "six_month_update",
        "outcome_measure",
    }
)
REISSUE_QUIET_PERIOD = timedelta(minutes=10)


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=TOKEN_SALT)


def token_for(invitation: Invitation) -> str:
    return _serializer().dumps([invitation.id, invitation.nonce])


def link_for(invitation: Invitation) -> str:
    return _link(invitation.id, invitation.nonce)


def _link(invitation_id: int, nonce: str, serializer: URLSafeSerializer | None = None) -> str:
    # Built by hand, not url_for: jobs make links outside any request.
    token = (serializer or _serializer()).dumps([invitation_id, nonce])
    return f"{current_app.config['PUBLIC_URL']}/s/{token}"


def invitation_template(definition: SurveyDefinition, role: str | None = None) -> str:
    """The e-mail that brings a survey's link. An event's follow-up has its own, one for each
    side: the mentee's encourages them to contact their mentor, with conversation starters;
    the mentor's thanks them."""
    if definition.purpose == "event_followup":
        return "event_followup_mentor" if role == Role.MENTOR else "event_followup_mentee"
    return "survey_invitation"


class InvalidLink(Exception):
    """A link that was tampered with, or names no invitation."""


@dataclass(frozen=True)
class Opened:
    """An invitation a link names, with what its page and its answers need."""

    invitation: Invitation
    # The survey version's definition, and a key naming its content (for what is derived
    # from it once per process, such as its form class).
    definition: SurveyDefinition
    definition_key: str
    participant: Participant
    program: Program
    pair: Pair | None
    # The pair's earlier pulse ratings, when asked for (a link being answered).
    ratings: rules.RatingHistory | None = None


def _latest_rating(*conditions: sa.ColumnElement[bool]) -> sa.ScalarSelect[Any]:
    """The latest pulse rating of the invitation's pair meeting `conditions`: a scalar
    subquery correlated to the invitation, on the responses' pair index."""
    return (
        sa.select(SurveyResponse.pulse_rating)
        .where(
            SurveyResponse.pair_id == Invitation.pair_id,
            SurveyResponse.pulse_rating.is_not(None),
            *conditions,
        )
        .order_by(SurveyResponse.submitted_at.desc(), SurveyResponse.id.desc())
        .limit(1)
        .scalar_subquery()
    )


# The other side of the pair from the respondent (as `respondent_role` places them): the
# mentor for a mentee, the mentee for a mentor, nobody for a guardian.
_OTHER_SIDE = sa.case(
    (Invitation.participant_id == Pair.mentee_id, Role.MENTOR.value),
    (Invitation.participant_id == Pair.mentor_id, Role.MENTEE.value),
    (Participant.role == Role.MENTEE, Role.MENTOR.value),
    (Participant.role == Role.MENTOR, Role.MENTEE.value),
    else_=sa.null(),
)
_RATINGS = (
    _latest_rating(SurveyResponse.participant_id == Invitation.participant_id),
    _latest_rating(SurveyResponse.respondent_role == _OTHER_SIDE),
)


def _resolving(*, ratings: bool) -> sa.Select[Any]:
    """`resolve`'s query. The version's definition comes as its stored text, not decoded:
    a version never changes, so its text is the key to its definition parsed once."""
    return (
        sa.select(
            Invitation,
            STORED_DEFINITION,
            SurveyVersion.survey_key,
            SurveyVersion.program_id,
            SurveyVersion.version,
            Participant,
            Program,
            Pair,
            *(_RATINGS if ratings else ()),
        )
        .join(SurveyVersion, SurveyVersion.id == Invitation.survey_version_id)
        .join(Participant, Participant.id == Invitation.participant_id)
        .join(Program, Program.id == Participant.program_id)
        .outerjoin(Pair, Pair.id == Invitation.pair_id)
        .where(Invitation.id == sa.bindparam("invitation_id"))
    )


# Built once: every survey page and answer asks it, and a statement built anew costs its
# construction and its cache key on each request before its compiled form is found.
_RESOLVING = {asked: _resolving(ratings=asked) for asked in (False, True)}


def resolve(token: str, *, ratings: bool = False) -> Opened:
    """The invitation a link names, read in one query with its survey version's
    definition, participant, program and pair (a link is opened, then answered: both need
    them). Holding the result keeps the rows loaded, so `db.session.get` finds them without
    a query.

    `ratings`: also the pair's earlier pulse ratings (the respondent's latest and the other
    side's), which the answers' rules compare with: a link being answered needs them."""
    try:
        invitation_id, nonce = _serializer().loads(token)
    except (BadSignature, ValueError, TypeError):
        raise InvalidLink("the link's signature does not match") from None
    found = (
        db.session.execute(_RESOLVING[ratings], {"invitation_id": invitation_id}).first()
        if isinstance(invitation_id, int)
        else None
    )
    if found is None or found[0].nonce != nonce:
        raise InvalidLink("no such invitation")
    invitation, content, survey_key, program_id, number, participant, program, pair = found[:8]
    definition = definition_stored(
        content, survey_key=survey_key, program_id=program_id, number=number
    )
    history = rules.RatingHistory(*found[8:]) if ratings else None
    return Opened(invitation, definition, content, participant, program, pair, ratings=history)


def invited_to(*, pair_id: int, survey_key: str) -> set[int]:
    """Who has been invited to a pair's survey, by whichever way (a coordinator, the calendar)."""
    return set(
        db.session.scalars(
            sa.select(Invitation.participant_id)
            .join(SurveyVersion, SurveyVersion.id == Invitation.survey_version_id)
            .where(Invitation.pair_id == pair_id, SurveyVersion.survey_key == survey_key)
        )
    )


def is_expired(invitation: Invitation) -> bool:
    return invitation.expires_at <= now()


def respondent_role(invitation: Invitation, participant: Participant) -> str:
    """The role the participant answers in: their place in the pair, else their own role."""
    pair = invitation.pair
    return (_pair_member_role(pair, participant) if pair else None) or participant.role


def _pair_member_role(pair: Pair, participant: Participant) -> str | None:
    if participant.id == pair.mentee_id:
        return Role.MENTEE
    if participant.id == pair.mentor_id:
        return Role.MENTOR
    if participant.role == Role.GUARDIAN and participant.guardian_of_id == pair.mentee_id:
        return Role.GUARDIAN
    return None


def invite(
    *,
    survey_key: str,
    participant_id: int,
    actor: Actor,
    pair_id: int | None = None,
    valid_days: int | None = None,
    send_email: bool = False,
    occasion: str | None = None,
) -> Invitation:
    """Make an invitation (and e-mail its link if asked): one unit of work."""
    with transaction():
        return invite_within(
            survey_key=survey_key,
            participant_id=participant_id,
            actor=actor,
            pair_id=pair_id,
            valid_days=valid_days,
            send_email=send_email,
            occasion=occasion,
        )


def invite_within(
    *,
    survey_key: str,
    participant_id: int,
    actor: Actor,
    pair_id: int | None = None,
    valid_days: int | None = None,
    send_email: bool = False,
    occasion: str | None = None,
) -> Invitation:
    """`invite`, inside the caller's transaction. `occasion`: what an outcome survey is sent
    for (baseline, month_6, closure), which the outcomes report pairs answers by."""
    participant = db.session.get(Participant, participant_id)
    if participant is None:
        raise Invalid("participant_id", f"no participant with id {participant_id}")
    program = participant.program
    version = current_version(survey_key=survey_key, program_id=program.id)
    definition = definition_of(version)
    if participant.role not in definition.audience:
        raise Invalid(
            "participant_id",
            f"{survey_key} is answered by {' or '.join(definition.audience)}, "
            f"not by a {participant.role}",
        )
    if occasion is not None and definition.purpose != "outcome_measure":
        raise Invalid("occasion", f"{survey_key} is not an outcome survey: it has no occasion")
    if pair_id is None and definition.purpose in PAIR_PURPOSES:
        raise Invalid("pair_id", f"{survey_key} is about a pair; give the pair's id")
    if pair_id is not None:
        pair = db.session.get(Pair, pair_id)
        if pair is None or _pair_member_role(pair, participant) is None:
            raise Invalid("pair_id", f"participant {participant.id} is not part of pair {pair_id}")
    days = valid_days or program.invitation_valid_days
    invitation = Invitation(
        nonce=secrets.token_urlsafe(16),
        survey_version_id=version.id,
        participant_id=participant.id,
        pair_id=pair_id,
        expires_at=now() + timedelta(days=days),
        occasion=occasion,
        created_by=actor.ref,
    )
    db.session.add(invitation)
    db.session.flush()
    if send_email:
        template = invitation_template(definition, respondent_role(invitation, participant))
        email_link(invitation, participant, definition, program, template)
    return invitation


@dataclass(frozen=True)
class Invite:
    """One invitation of many made at once, with the rows the caller already holds."""

    survey_key: str
    participant: Participant
    program: Program
    pair: Pair
    # What an outcome survey is sent for (baseline, month_6, closure); None otherwise.
    occasion: str | None = None


def invite_many_within(invites: Sequence[Invite], *, actor: Actor) -> list[int]:
    """`invite_within` for many pair invitations, each e-mailed, in the caller's transaction:
    the invitations in one INSERT, their e-mails in another (the survey versions are looked
    up once per survey and program). Returns the invitations' ids, in the order given."""
    if not invites:
        return []
    rows: list[dict[str, Any]] = []
    checked: list[SurveyDefinition] = []
    # Held here: the session keeps only weak references, and a version dropped between two
    # invitations would be read again for the next.
    versions: dict[tuple[str, int], tuple[SurveyVersion, SurveyDefinition]] = {}
    for invite in invites:
        key = (invite.survey_key, invite.program.id)
        if key not in versions:
            version = current_version(survey_key=key[0], program_id=key[1])
            versions[key] = version, definition_of(version)
        version, definition = versions[key]
        participant = invite.participant
        if participant.role not in definition.audience:
            raise Invalid(
                "participant_id",
                f"{invite.survey_key} is answered by {' or '.join(definition.audience)}, "
                f"not by a {participant.role}",
            )
        if _pair_member_role(invite.pair, participant) is None:
            raise Invalid(
                "pair_id", f"participant {participant.id} is not part of pair {invite.pair.id}"
            )
        rows.append(
            {
                "nonce": secrets.token_urlsafe(16),
                "survey_version_id": version.id,
                "participant_id": participant.id,
                "pair_id": invite.pair.id,
                "expires_at": now() + timedelta(days=invite.program.invitation_valid_days),
                "occasion": invite.occasion,
                "created_by_kind": actor.ref.kind,
                "created_by_id": actor.ref.id,
                "created_by_label": actor.ref.label,
                "created_at": now(),
            }
        )
        checked.append(definition)
    table = table_of(Invitation)
    ids: dict[str, int] = {
        row.nonce: row.id for row in insert_rows(table, rows, returning=["nonce", "id"])
    }
    serializer = _serializer()  # one for the batch: building it derives its signing key
    notifications.queue_emails(
        [
            notifications.participant_email(
                invite.participant,
                invite.program,
                template=invitation_template(
                    definition, _pair_member_role(invite.pair, invite.participant)
                ),
                pair_id=invite.pair.id,
                survey_title=definition.title,
                link=_link(ids[row["nonce"]], row["nonce"], serializer),
                expires_on=row["expires_at"].date().isoformat(),
            )
            for invite, definition, row in zip(invites, checked, rows, strict=True)
        ]
    )
    return [ids[row["nonce"]] for row in rows]


def email_links_many(items: Sequence[tuple[int, Program]], template: str) -> None:
    """`email_link` for many invitations (by id, with the program each belongs to), in the
    caller's transaction: three reads and one INSERT however many there are."""
    if not items:
        return
    found = {
        invitation.id: invitation
        for invitation in db.session.scalars(
            sa.select(Invitation).where(Invitation.id.in_({i for i, _ in items}))
        )
    }
    people = {
        person.id: person
        for person in db.session.scalars(
            sa.select(Participant).where(
                Participant.id.in_({i.participant_id for i in found.values()})
            )
        )
    }
    definitions = {
        version.id: definition_of(version)
        for version in db.session.scalars(
            sa.select(SurveyVersion).where(
                SurveyVersion.id.in_({i.survey_version_id for i in found.values()})
            )
        )
    }
    emails = []
    for invitation_id, program in items:
        invitation = found[invitation_id]
        emails.append(
            notifications.participant_email(
                people[invitation.participant_id],
                program,
                template=template,
                pair_id=invitation.pair_id,
                survey_title=definitions[invitation.survey_version_id].title,
                link=link_for(invitation),
                expires_on=invitation.expires_at.date().isoformat(),
            )
        )
    notifications.queue_emails(emails)


def email_link(
    invitation: Invitation,
    participant: Participant,
    definition: SurveyDefinition,
    program: Program,
    template: str = "survey_invitation",
) -> None:
    notifications.email_participant(
        participant,
        program,
        template=template,
        pair_id=invitation.pair_id,
        survey_title=definition.title,
        link=link_for(invitation),
        expires_on=invitation.expires_at.date().isoformat(),
    )


def reissue(*, invitation_id: int) -> tuple[Invitation, bool]:
    """A fresh link for an expired one, e-mailed to the address on file.

    Returns the new invitation, and whether an e-mail went out now (not when a fresh link
    was sent moments ago, so the button cannot flood an inbox).
    """
    with transaction():
        old = db.session.get(Invitation, invitation_id)
        if old is None:
            raise NotFound.of("invitation", invitation_id)
        recent = db.session.scalar(
            sa.select(Invitation)
            .where(
                Invitation.reissued_from_id == old.id,
                Invitation.created_at > now() - REISSUE_QUIET_PERIOD,
            )
            .order_by(Invitation.id.desc())
            .limit(1)
        )
        if recent is not None:
            return recent, False
        participant = old.participant
        program = participant.program
        version = old.survey_version
        fresh = Invitation(
            nonce=secrets.token_urlsafe(16),
            survey_version_id=version.id,
            participant_id=participant.id,
            pair_id=old.pair_id,
            expires_at=now() + timedelta(days=program.invitation_valid_days),
            reissued_from_id=old.id,
            occasion=old.occasion,
            created_by=Actor(ActorKind.SYSTEM, None, "expired link").ref,
        )
        db.session.add(fresh)
        db.session.flush()
        email_link(fresh, participant, definition_of(version), program, "survey_link_reissued")
    return fresh, True


def get_invitation(*, invitation_id: int) -> Invitation:
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None:
        raise NotFound.of("invitation", invitation_id)
    return invitation
