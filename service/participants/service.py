"""Participants: mentors, mentees and, in youth programs, their parents or guardians."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from service.database import db, transaction
from service.errors import Conflict, Invalid, NotFound
from service.participants.models import Participant, Role
from service.programs import service as programs


def get(*, participant_id: int) -> Participant:
    participant = db.session.get(Participant, participant_id)
    if participant is None:
        raise NotFound.of("participant", participant_id)
    return participant


def get_in_program(*, participant_id: int, program_id: int, role: Role, field: str) -> Participant:
    """A participant named in a request body: a clear 422 when it is the wrong one."""
    participant = db.session.get(Participant, participant_id)
    problem = None
    if participant is None:
        problem = f"no participant with id {participant_id}"
    elif participant.program_id != program_id:
        problem = f"participant {participant_id} belongs to another program"
    elif participant.role != role:
        problem = f"participant {participant_id} is a {participant.role}, not a {role}"
    elif not participant.active:
        problem = f"participant {participant_id} is inactive"
    if problem:
        raise Invalid(field, problem)
    return participant  # type: ignore[return-value]


def list_query(
    *, program_id: int | None = None, role: str | None = None, active: bool | None = None
) -> sa.Select:
    query = sa.select(Participant).order_by(Participant.id)
    if program_id is not None:
        query = query.where(Participant.program_id == program_id)
    if role:
        query = query.where(Participant.role == role)
    if active is not None:
        query = query.where(Participant.active == active)
    return query


def _check_unique_email(program_id: int, role: str, email: str, except_id: int | None) -> None:
    clash = db.session.scalar(
        sa.select(Participant.id).where(
            Participant.program_id == program_id,
            Participant.role == role,
            sa.func.lower(Participant.email) == email.lower(),
        )
    )
    if clash is not None and clash != except_id:
        raise Conflict(
            f"A {role} with e-mail {email} is already in this program (participant {clash}).",
        )


def _check_guardian_link(role: str, program_id: int, guardian_of_id: int | None) -> None:
    if guardian_of_id is None:
        return
    if role != Role.GUARDIAN:
        raise Invalid("guardian_of_id", "only a guardian can be the guardian of a mentee")
    get_in_program(
        participant_id=guardian_of_id,
        program_id=program_id,
        role=Role.MENTEE,
        field="guardian_of_id",
    )


def create(*, program_id: int, role: str, email: str, **fields: Any) -> Participant:
    with transaction():
        program = programs.get(program_id=program_id)
        _check_guardian_link(role, program.id, fields.get("guardian_of_id"))
        _check_unique_email(program.id, role, email, None)
        participant = Participant(program_id=program.id, role=role, email=email, **fields)
        db.session.add(participant)
    return participant


def update(*, participant_id: int, **changes: Any) -> Participant:
    with transaction():
        participant = get(participant_id=participant_id)
        if "guardian_of_id" in changes:
            _check_guardian_link(
                participant.role, participant.program_id, changes["guardian_of_id"]
            )
        if "email" in changes:
            _check_unique_email(
                participant.program_id, participant.role, changes["email"], participant.id
            )
        for field, value in changes.items():
            setattr(participant, field, value)
    return participant


def lock_for_placement(mentor: Participant) -> None:
    """Serialise concurrent placements with this mentor until the transaction ends."""
    db.session.execute(
        sa.update(Participant)
        .where(Participant.id == mentor.id)
        .values(placement_version=Participant.placement_version + 1)
        .execution_options(synchronize_session=False)
    )
