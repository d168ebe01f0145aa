"""Choosing a mentor: candidates ranked by what they share with the mentee.

Never a previous mentor of this mentee, never one without an open place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import sqlalchemy as sa

from service.database import db
from service.pairs.models import Pair
from service.participants.models import Participant, Role
from workflows.pairing import TERMINAL_STATES

_WORDS = re.compile(r"[a-z]+")
_TIMES = {
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "weekday",
    "weekdays",
    "weekend",
    "weekends",
    "morning",
    "mornings",
    "afternoon",
    "afternoons",
    "evening",
    "evenings",
    "lunch",
    "online",
}


@dataclass
class Candidate:
    mentor: Participant
    open_places: int
    score: float = 0.0
    reasons: list[str] = field(default_factory=list)


def _words(text: str) -> set[str]:
    return set(_WORDS.findall(text.lower()))


def rank_mentors(mentee: Participant, *, program_id: int) -> list[Candidate]:
    previous = set(
        db.session.scalars(
            sa.select(Pair.mentor_id).where(
                Pair.mentee_id == mentee.id, Pair.mentor_id.is_not(None)
            )
        )
    )
    taken = dict(
        db.session.execute(
            sa.select(Pair.mentor_id, sa.func.count())
            .where(
                Pair.program_id == program_id,
                Pair.state.not_in(TERMINAL_STATES),
                Pair.mentor_id.is_not(None),
            )
            .group_by(Pair.mentor_id)
        ).all()
    )
    mentors = db.session.scalars(
        sa.select(Participant).where(
            Participant.program_id == program_id,
            Participant.role == Role.MENTOR,
            Participant.active.is_(True),
        )
    ).all()
    goals = {g.lower() for g in mentee.goals}
    wanted_words = set().union(*(_words(g) for g in mentee.goals)) if mentee.goals else set()
    when = _words(mentee.availability) & _TIMES
    ranked: list[Candidate] = []
    for mentor in mentors:
        open_places = mentor.capacity - taken.get(mentor.id, 0)
        if mentor.id in previous or open_places <= 0:
            continue
        candidate = Candidate(mentor, open_places)
        shared = sorted(goals & {g.lower() for g in mentor.goals})
        if shared:
            candidate.score += 3 * len(shared)
            candidate.reasons.append("shared goals: " + ", ".join(shared))
        skills = (
            wanted_words & set().union(*(_words(s) for s in mentor.skills))
            if mentor.skills
            else set()
        )
        if skills:
            candidate.score += 2 * len(skills)
            candidate.reasons.append("skills: " + ", ".join(sorted(skills)))
        common = when & _words(mentor.availability)
        if common:
            candidate.score += len(common)
            candidate.reasons.append("both free: " + ", ".join(sorted(common)))
        candidate.score += 0.5 * open_places
        candidate.reasons.append(f"{open_places} open place{'s' if open_places > 1 else ''}")
        ranked.append(candidate)
    return sorted(ranked, key=lambda c: (-c.score, c.mentor.full_name))
