"""Acting on several pairs at once from the pairs list: hand them over to a coordinator, or
send their members a survey. Each pair is acted on in its own transaction, so that one
refused (not yours to hand over, no mentor to ask yet) leaves the others done, and the
report says so, pair by pair."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache

from service.accounts.models import User
from service.actors import Actor
from service.database import transaction
from service.errors import DomainError, Invalid
from service.pairs import service as pairs
from service.problems import Problem
from service.surveys import invitations, versions
from workflows.pairing import TERMINAL_STATES, State

# A cohort is a few hundred pairs; a bulk action is read back before it is confirmed.
MAX_AT_ONCE = 500
# What a coordinator sends a pair's members from the list: the surveys about the
# relationship, not applications, training or the coordinator's own notes.
SENDABLE_PURPOSES = ("periodic_checkin", "six_month_update", "event_followup", "first_meeting")
PAIR_ROLES = ("mentee", "mentor")


@dataclass(frozen=True)
class Done:
    pair_id: int
    done: bool
    detail: str


@cache
def sendable_surveys() -> dict[str, str]:
    """The surveys a coordinator may send from the list, by key: their titles, with whom
    they ask. The standard set ships with the code, so this is worked out once."""
    found = {}
    for key in versions.standard_keys():
        definition = versions.standard_definition(key)
        audience = [role for role in definition.audience if role in PAIR_ROLES]
        if definition.purpose in SENDABLE_PURPOSES and audience:
            found[key] = f"{definition.title} ({' and '.join(f'{r}s' for r in audience)})"
    return found


def hand_over(*, pair_ids: Iterable[int], coordinator: User, actor: Actor) -> list[Done]:
    """Make `coordinator` the coordinator of each pair, under the rule of who may."""
    return _each(
        pair_ids,
        lambda pair_id: _hand_over_one(pair_id, coordinator, actor),
    )


def _hand_over_one(pair_id: int, coordinator: User, actor: Actor) -> str:
    pairs.update(pair_id=pair_id, actor=actor, coordinator_id=coordinator.id)
    return f"Now looked after by {coordinator.full_name}."


def send_survey(*, pair_ids: Iterable[int], survey_key: str, actor: Actor) -> list[Done]:
    """Invite each pair's members in the survey's audience, each by e-mail."""
    if survey_key not in sendable_surveys():
        raise Invalid("survey", f"{survey_key} is not sent from the pairs list")
    audience = versions.standard_definition(survey_key).audience
    return _each(pair_ids, lambda pair_id: _send_one(pair_id, survey_key, audience, actor))


def _send_one(pair_id: int, survey_key: str, audience: Iterable[str], actor: Actor) -> str:
    with transaction():
        pair = pairs.get(pair_id=pair_id)
        if State(pair.state) in TERMINAL_STATES:
            raise Invalid("pair", f"Pair #{pair.id} is {pair.state.replace('_', ' ')}.")
        members = {"mentee": pair.mentee_id, "mentor": pair.mentor_id}
        invited = []
        for role in audience:
            participant_id = members.get(role)
            if participant_id is None:
                continue
            invitations.invite_within(
                survey_key=survey_key,
                participant_id=participant_id,
                actor=actor,
                pair_id=pair.id,
                send_email=True,
            )
            invited.append(role)
        if not invited:
            raise Invalid("pair", f"Pair #{pair.id} has no {' or '.join(audience)} to ask yet.")
    return f"Sent to the {' and '.join(invited)} by e-mail."


def _each(pair_ids: Iterable[int], act: Callable[[int], str]) -> list[Done]:
    report = []
    for pair_id in dict.fromkeys(pair_ids):
        try:
            report.append(Done(pair_id, True, act(pair_id)))
        except (DomainError, Problem) as refusal:  # its transaction is rolled back
            report.append(Done(pair_id, False, refusal.detail or ""))
    return report
