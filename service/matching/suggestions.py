"""Mentors for a mentee, ranked with their reasons, and a cohort's best assignment, read from
the database and scored by `workflows.matching` (the one engine: the pair page, the
re-match page, the profile, the cohort page and the API all rank with it).

Read-only: committing a cohort is `matching.cohort`.
"""

from __future__ import annotations

import dataclasses
import json
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from service.clock import now
from service.database import db, is_postgresql
from service.errors import Invalid, NotFound
from service.pairs.models import Pair
from service.participants.models import Participant, Role
from service.programs.models import Program
from workflows import matching
from workflows.intake import IntakeState
from workflows.matching import Explanation, People, Person, Scores
from workflows.pairing import TERMINAL_STATES, State

_TERMINAL = [s.value for s in TERMINAL_STATES]

_COLUMNS = (
    Participant.id,
    Participant.full_name,
    Participant.goals,
    Participant.skills,
    Participant.availability,
    Participant.language,
    Participant.languages,
    Participant.location,
    Participant.timezone,
    Participant.gender,
    Participant.gender_preference,
    Participant.household,
    Participant.conflicts,
    Participant.capacity,
)


@lru_cache(maxsize=512)
def _offset(timezone: str, day: date) -> float | None:
    try:
        offset = now().astimezone(ZoneInfo(timezone)).utcoffset()
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return offset.total_seconds() / 3600 if offset is not None else None


def _person(
    row: Any, *, open_places: int = 0, previous: Iterable[int] = (), today: date | None = None
) -> Person:
    today = today or now().date()
    return Person(
        id=row.id,
        name=row.full_name,
        goals=tuple(row.goals or ()),
        skills=tuple(row.skills or ()),
        availability=row.availability or "",
        languages=(row.language or "en", *(row.languages or ())),
        location=row.location or "",
        utc_offset=_offset(row.timezone, today) if row.timezone else None,
        timezone=row.timezone,
        gender=row.gender,
        gender_preference=row.gender_preference,
        household=row.household,
        conflicts=frozenset(row.conflicts or ()),
        previous_mentors=frozenset(previous),
        open_places=open_places,
    )


def person_of(participant: Participant, **kwargs: Any) -> Person:
    return _person(participant, **kwargs)


def _taken(program_id: int, mentor_id: int | None = None) -> dict[int, int]:
    """Each mentor's open pairs in the program (or only this mentor's): the places they
    fill."""
    query = (
        sa.select(Pair.mentor_id, sa.func.count())
        .where(
            Pair.program_id == program_id,
            Pair.state.not_in(_TERMINAL),
            Pair.mentor_id.is_not(None),
        )
        .group_by(Pair.mentor_id)
    )
    if mentor_id is not None:
        query = query.where(Pair.mentor_id == mentor_id)
    return dict(db.session.execute(query).all())  # type: ignore[arg-type]


def previous_mentors(mentee_ids: Iterable[int]) -> dict[int, set[int]]:
    ids = list(mentee_ids)
    found: dict[int, set[int]] = {i: set() for i in ids}
    if not ids:
        return found
    for mentee_id, mentor_id in db.session.execute(
        sa.select(Pair.mentee_id, Pair.mentor_id).where(
            Pair.mentee_id.in_(ids), Pair.mentor_id.is_not(None)
        )
    ):
        if mentor_id is not None:
            found[mentee_id].add(mentor_id)
    return found


# A mentor's row as scoring reads it: lists stored as JSON come as their text (cast in SQL, so
# that neither SQLAlchemy nor the driver decodes them), each distinct text decoded once.
_MENTOR_COLUMNS = (
    Participant.id,
    Participant.full_name,
    sa.cast(Participant.goals, sa.Text),
    sa.cast(Participant.skills, sa.Text),
    Participant.availability,
    Participant.language,
    sa.cast(Participant.languages, sa.Text),
    Participant.location,
    Participant.timezone,
    Participant.gender,
    Participant.household,
    sa.cast(Participant.conflicts, sa.Text),
    Participant.capacity,
)


@lru_cache(maxsize=65536)
def _words_of(text: str | None) -> tuple[str, ...]:
    return tuple(json.loads(text)) if text else ()


@lru_cache(maxsize=65536)
def _ids_of(text: str | None) -> frozenset[int]:
    return frozenset(json.loads(text)) if text else frozenset()


@lru_cache(maxsize=4096)
def _spoken(language: str | None, others: str | None) -> tuple[str, ...]:
    return (language or "en", *_words_of(others))


def mentors(program_id: int, *, leave_out: Iterable[int] = ()) -> People:
    """The program's active mentors, each with their open places, in name order: their
    places taken read each call, the rest kept between calls while their rows are unchanged
    (`_kept`)."""
    taken = _taken(program_id)
    people, capacity, position = _kept(program_id)
    places = capacity.copy()
    for mentor_id, count in taken.items():
        if (j := position.get(mentor_id)) is not None:
            places[j] -= count
    people = dataclasses.replace(people, open_places=places.tolist())
    out = set(leave_out)
    if out:
        people = people.take(j for j, pid in enumerate(people.ids) if pid not in out)
    return people if len(people) else People.of([])


# A program's mentors as columns, kept in this process between calls: reading and decoding
# 10,000 rows costs more than scoring them. Each call first asks the database, in one
# aggregate over the program's mentor rows, whether they are as they were: how many, the
# latest change time and the sum of the change times (every write to a participant sets
# `updated_at`: ORM flushes and Core updates by its `onupdate`, the import's bulk update
# explicitly), so an edit, an import, an approval or a new mentor in any process is seen by the
# very next call, whatever order concurrent transactions commit in. Writes made in this
# process count too (`_changes`), so that a clock standing still cannot hide one.
_KEPT_PROGRAMS = 32
_kept_lock = threading.Lock()
_Kept = tuple[People, np.ndarray, dict[int, int]]  # the mentors, their capacities, by id
_kept_mentors: OrderedDict[int, tuple[tuple[Any, ...], _Kept]] = OrderedDict()
_changes = [0]


@sa.event.listens_for(Session, "after_flush")
def _flushed(session: Session, flush_context: Any) -> None:
    if any(isinstance(o, Participant) for o in (*session.new, *session.dirty, *session.deleted)):
        _changes[0] += 1


@sa.event.listens_for(Session, "do_orm_execute")
def _executed(state: Any) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        if getattr(table, "name", None) == Participant.__tablename__:
            _changes[0] += 1


def _stamp() -> tuple[Any, ...]:
    """What tells whether a program's mentor rows changed, read in one cheap query."""
    total: sa.ColumnElement[Any]
    if is_postgresql():
        total = sa.func.sum(sa.extract("epoch", Participant.updated_at))
    else:
        # SQLite keeps the time as text: summed as milliseconds since a recent day (a double
        # holds 10,000 of them to well under a millisecond).
        total = sa.func.total((sa.func.julianday(Participant.updated_at) - 2460000) * 86400000)
    return (sa.func.count(), sa.func.max(Participant.updated_at), total)


def _kept(program_id: int) -> _Kept:
    """The program's active, approved mentors in name order, their capacities, and the
    position of each mentor's id; their open places left at 0 for the caller to fill."""
    today = now().date()
    changes = _changes[0]
    row = db.session.execute(
        sa.select(*_stamp()).where(
            Participant.program_id == program_id, Participant.role == Role.MENTOR
        )
    ).one()
    key = (db.engine.url, today, changes, *row)
    with _kept_lock:
        found = _kept_mentors.get(program_id)
        if found is not None and found[0] == key:
            _kept_mentors.move_to_end(program_id)
            return found[1]
    people, capacity = _read_mentors(program_id, today)
    kept = (people, np.asarray(capacity, np.int64), {pid: j for j, pid in enumerate(people.ids)})
    with _kept_lock:
        _kept_mentors[program_id] = (key, kept)
        _kept_mentors.move_to_end(program_id)
        while len(_kept_mentors) > _KEPT_PROGRAMS:
            _kept_mentors.popitem(last=False)
    return kept


def _read_mentors(program_id: int, today: date) -> tuple[People, tuple[int, ...]]:
    """One query for the mentors, read as columns (no object per mentor)."""
    result = db.session.connection().execute(
        sa.select(*_MENTOR_COLUMNS)
        .where(
            Participant.program_id == program_id,
            Participant.role == Role.MENTOR,
            Participant.active.is_(True),
            # Only screened and approved mentors are offered (workflows/intake.py).
            Participant.intake_state == IntakeState.APPROVED,
        )
        .order_by(Participant.full_name, Participant.id)
    )
    try:
        # The driver's own tuples: no column here needs SQLAlchemy's processing, and a
        # `Row` per mentor, taken apart into columns, costs more than the query itself.
        rows: Sequence[Any] = result.cursor.fetchall()
    finally:
        result.close()
    if not rows:
        return People.of([]), ()
    (ids, names, goals, skills, availability, language, languages, location, timezone, gender,
     household, conflicts, capacity) = zip(*rows, strict=True)  # fmt: skip
    zones = {zone: _offset(zone, today) if zone else None for zone in set(timezone)}
    people = People(
        ids=ids,
        names=names,
        goals=tuple(map(_words_of, goals)),
        skills=tuple(map(_words_of, skills)),
        availability=tuple(text or "" for text in availability),
        languages=tuple(map(_spoken, language, languages)),
        location=tuple(place or "" for place in location),
        utc_offset=tuple(map(zones.__getitem__, timezone)),
        timezone=timezone,
        gender=gender,
        gender_preference=(None,) * len(ids),
        household=household,
        conflicts=tuple(map(_ids_of, conflicts)),
        previous_mentors=(frozenset(),) * len(ids),
        open_places=(0,) * len(ids),
        kept={},
    )
    return people, capacity


def settings_of(program: Program) -> dict[str, matching.Rule]:
    return matching.settings_from(program.matching)


# ------------------------------------------------------------------------------ one mentee


@dataclass
class Candidate:
    """A mentor for a mentee: their score, the reasons for it, or why they cannot be chosen."""

    mentor: Participant
    open_places: int
    score: float = 0.0
    reasons: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


@dataclass
class Ranking:
    candidates: list[Candidate]  # those who may be chosen, best first
    excluded: list[Candidate]  # those who may not, with why (at most `limit`)
    considered: int  # every active mentor of the program


def _mentee(mentee_id: int) -> Participant:
    mentee = db.session.get(Participant, mentee_id)
    if mentee is None:
        raise NotFound.of("participant", mentee_id)
    if mentee.role != Role.MENTEE:
        raise Invalid("participant_id", f"participant {mentee_id} is a {mentee.role}, not a mentee")
    return mentee


def rank(*, mentee_id: int, limit: int | None = None) -> Ranking:
    """The program's mentors for this mentee: those who may be chosen, best first, with the
    reasons for each rank; and those a hard constraint rules out, with why."""
    mentee = _mentee(mentee_id)
    program = db.session.get(Program, mentee.program_id)
    assert program is not None
    people = mentors(mentee.program_id)
    previous = previous_mentors([mentee.id])[mentee.id]
    scores = matching.score([person_of(mentee, previous=previous)], people, settings_of(program))
    # Best first, ties in name order; reasons only for those shown.
    order = np.lexsort((np.arange(len(people)), -scores.score[0]))
    fits = scores.allowed[0][order]
    allowed, refused = order[fits][:limit].tolist(), order[~fits][:limit].tolist()
    shown = _participants([people.ids[j] for j in allowed + refused])
    return Ranking(
        candidates=_candidates(scores, allowed, shown),
        excluded=_candidates(scores, refused, shown),
        considered=len(people),
    )


def _participants(ids: list[int]) -> dict[int, Participant]:
    """The mentors shown, in one query."""
    if not ids:
        return {}
    return {
        p.id: p for p in db.session.scalars(sa.select(Participant).where(Participant.id.in_(ids)))
    }


def _candidates(
    scores: Scores, columns: list[int], rows: Mapping[int, Participant]
) -> list[Candidate]:
    found = []
    for j in columns:
        why = matching.explain(scores, 0, j)
        mentor = scores.mentors[j]
        found.append(
            Candidate(rows[mentor.id], mentor.open_places, why.score, why.reasons, why.failures)
        )
    return found


def rank_mentors(mentee: Participant, *, program_id: int) -> list[Candidate]:
    """The mentors who may be chosen for this mentee, best first (the pair and re-match
    pages' choice)."""
    return rank(mentee_id=mentee.id).candidates


def explain_couple(*, mentee_id: int, mentor_id: int) -> Explanation:
    """Score, reasons and hard failures of one mentee with one mentor, as things stand."""
    mentee = _mentee(mentee_id)
    program = db.session.get(Program, mentee.program_id)
    assert program is not None
    mentor = db.session.get(Participant, mentor_id)
    if mentor is None or mentor.role != Role.MENTOR or mentor.program_id != mentee.program_id:
        raise Invalid("mentor_id", f"participant {mentor_id} is not a mentor of this program")
    taken = _taken(program.id, mentor.id).get(mentor.id, 0)
    previous = previous_mentors([mentee.id])[mentee.id]
    scores = matching.score(
        [person_of(mentee, previous=previous)],
        [person_of(mentor, open_places=mentor.capacity - taken)],
        settings_of(program),
    )
    why = matching.explain(scores, 0, 0)
    if not mentor.active:
        why.failures.append("The mentor is inactive")
    return why


# --------------------------------------------------------------------------------- a cohort


@dataclass
class Proposed:
    pair_id: int
    mentee_id: int
    mentee_name: str
    mentor_id: int
    mentor_name: str
    score: float
    reasons: list[str]
    pinned: bool = False


@dataclass
class Unmatched:
    pair_id: int
    mentee_id: int
    mentee_name: str
    why: str


@dataclass
class LeftOut:
    participant_id: int
    full_name: str


@dataclass
class Proposal:
    program_id: int
    matches: list[Proposed]
    unmatched: list[Unmatched]
    excluded: list[LeftOut]  # participants left out by the coordinator
    refused_pins: list[str]  # pins that could not be kept, and why
    mentors_considered: int

    @property
    def total_score(self) -> float:
        return round(sum(m.score for m in self.matches), 2)


def waiting_pairs(program_id: int) -> list[tuple[int, Any]]:
    """The program's mentees waiting for a mentor: their `recruited` pairs, oldest first,
    each with the mentee's row."""
    rows = db.session.execute(
        sa.select(Pair.id.label("pair_id"), *_COLUMNS)
        .join(Participant, Participant.id == Pair.mentee_id)
        .where(
            Pair.program_id == program_id,
            Pair.state == State.RECRUITED,
            Pair.mentor_id.is_(None),
            Participant.active.is_(True),
        )
        .order_by(Pair.created_at, Pair.id)
    ).all()
    return [(row.pair_id, row) for row in rows]


def propose(
    *,
    program_id: int,
    pins: Mapping[int, int] | None = None,
    exclude: Iterable[int] = (),
) -> Proposal:
    """The best assignment of the program's waiting mentees to its mentors' open places:
    as many mentees as the hard constraints and places allow, then the highest total score.
    `pins` (pair id → mentor id) are kept as they are when they fit; `exclude` leaves
    participants (mentees or mentors) out."""
    program = db.session.get(Program, program_id)
    if program is None:
        raise NotFound.of("program", program_id)
    pins = dict(pins or {})
    left_out = set(exclude)
    waiting = waiting_pairs(program_id)
    excluded = [LeftOut(row.id, row.full_name) for _, row in waiting if row.id in left_out]
    waiting = [(pid, row) for pid, row in waiting if row.id not in left_out]
    people = mentors(program_id)
    excluded += [
        LeftOut(pid, name)
        for pid, name in zip(people.ids, people.names, strict=True)
        if pid in left_out
    ]
    people = people.take(j for j, pid in enumerate(people.ids) if pid not in left_out)
    previous = previous_mentors(row.id for _, row in waiting)
    today = now().date()
    mentees = [_person(row, previous=previous[row.id], today=today) for _, row in waiting]
    scores = matching.score(mentees, people, settings_of(program))
    column = dict(zip(people.ids, range(len(people)), strict=True))
    places = np.maximum(np.asarray(people.open_places, np.int64).reshape(len(people)), 0)

    matches: list[Proposed] = []
    refused: list[str] = []
    pinned_rows: set[int] = set()
    for i, (pair_id, row) in enumerate(waiting):
        if pair_id not in pins:
            continue
        j = column.get(pins[pair_id])
        if j is None:
            refused.append(f"{row.full_name}: the pinned mentor is not available.")
            continue
        why = matching.explain(scores, i, j)
        if why.failures or places[j] <= 0:
            because = "; ".join(why.failures) or "no open place is left"
            refused.append(f"{row.full_name} with {people.names[j]}: {because}.")
            continue
        places[j] -= 1
        pinned_rows.add(i)
        matches.append(_proposed(scores, waiting, i, j, pinned=True))
    free = [i for i in range(len(waiting)) if i not in pinned_rows]
    assigned = matching.assign(scores.score[free], scores.allowed[free], places)
    placed: set[int] = set()
    for r, j in assigned:
        i = free[r]
        placed.add(i)
        matches.append(_proposed(scores, waiting, i, j))
    unmatched = [
        Unmatched(pid, row.id, row.full_name, matching.why_unmatched(scores, i))
        for i, (pid, row) in enumerate(waiting)
        if i not in placed and i not in pinned_rows
    ]
    matches.sort(key=lambda m: (m.mentee_name, m.pair_id))
    return Proposal(program_id, matches, unmatched, excluded, refused, len(people))


def _proposed(scores: Scores, waiting: list[tuple[int, Any]], i: int, j: int, *, pinned=False):
    why = matching.explain(scores, i, j)
    pair_id, row = waiting[i]
    mentor = scores.mentors[j]
    return Proposed(
        pair_id, row.id, row.full_name, mentor.id, mentor.name, why.score, why.reasons, pinned
    )
