"""Intake and screening: applications, what screening records, and moving an applicant along
the machine in `workflows/intake.py` (applied → screening → approved, declined or withdrawn).

Every transition writes an `IntakeRecord` (who, when, why) and a `participant.transitioned`
event in the same transaction. An approved mentee gets a `recruited` pair, ready to match;
an approved mentor is offered by matching from then on.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa

from service.actors import Actor
from service.clock import now, today_in
from service.database import db, rowcount, transaction, unit_of_work
from service.errors import ConcurrentUpdate, GuardFailed, Invalid, TriggerNotAllowed
from service.events import payloads
from service.events import service as events
from service.inbox import service as inbox
from service.pairs import service as pairs
from service.participants import service as participants
from service.participants.models import IntakeRecord, Participant, Role, Screening
from service.programs import service as programs
from service.programs.models import Program
from workflows import intake
from workflows.intake import CheckResult, IntakeState, IntakeTrigger
from workflows.pairing import OPEN_STATES

# Who may apply: mentors and mentees (a guardian is added with their mentee).
APPLICANT_ROLES = (Role.MENTOR, Role.MENTEE)
# A background check this close to its expiry reminds the coordinator.
EXPIRY_WARNING_DAYS = 30
# What `record` may change.
SCREENING_FIELDS = (
    "applied_on",
    "application",
    "interview_on",
    "interview_notes",
    "references_on",
    "references_notes",
    "background_check",
    "background_check_expires_on",
    "guardian_consent_on",
    "guardian_consent_by",
)


@dataclass(frozen=True)
class ScreeningFacts:
    """`IntakeFacts` read from a participant, their program and their screening record."""

    today: date
    role: str
    youth_program: bool
    requires_interview: bool
    requires_references: bool
    interview_recorded: bool
    references_recorded: bool
    background_check: CheckResult | None
    background_check_expires_on: date | None
    guardian_consent_recorded: bool
    reason: str | None = None


def facts_of(
    participant: Participant, program: Program, screening: Screening | None, reason: str | None
) -> ScreeningFacts:
    record = screening or Screening()
    return ScreeningFacts(
        today=today_in(program.timezone),
        role=participant.role,
        youth_program=program.youth,
        requires_interview=program.screening_interview,
        requires_references=program.screening_references,
        interview_recorded=record.interview_on is not None,
        references_recorded=record.references_on is not None,
        background_check=CheckResult(record.background_check) if record.background_check else None,
        background_check_expires_on=record.background_check_expires_on,
        guardian_consent_recorded=record.guardian_consent_on is not None,
        reason=reason,
    )


def screening_of(participant_id: int) -> Screening | None:
    return db.session.get(Screening, participant_id)


def screenings_of(participant_ids: Iterable[int]) -> dict[int, Screening | None]:
    """`screening_of` many participants, in one statement (a queue's page, its download)."""
    wanted = list(participant_ids)
    found = (
        {
            screening.participant_id: screening
            for screening in db.session.scalars(
                sa.select(Screening).where(Screening.participant_id.in_(wanted))
            )
        }
        if wanted
        else {}
    )
    return {participant_id: found.get(participant_id) for participant_id in wanted}


def history(*, participant_id: int) -> list[IntakeRecord]:
    participants.get(participant_id=participant_id)
    return list(
        db.session.scalars(
            sa.select(IntakeRecord)
            .where(IntakeRecord.participant_id == participant_id)
            .order_by(IntakeRecord.created_at, IntakeRecord.id)
        )
    )


def unmet(participant: Participant) -> list[str]:
    """What approving this applicant still needs, in words."""
    facts = facts_of(participant, participant.program, screening_of(participant.id), None)
    return intake.unmet_requirements(facts)


def _record(
    participant: Participant,
    trigger: str,
    from_state: str | None,
    to_state: str,
    actor: Actor,
    reason: str | None,
) -> IntakeRecord:
    record = IntakeRecord(
        participant_id=participant.id,
        trigger=trigger,
        from_state=from_state,
        to_state=to_state,
        actor=actor.ref,
        reason=reason,
    )
    db.session.add(record)
    db.session.flush()
    return record


def apply(
    *,
    program_id: int,
    role: str,
    email: str,
    actor: Actor,
    application: str = "",
    **fields: Any,
) -> Participant:
    """An application: the person joins the program `applied`, in the coordinator's queue."""
    if role not in APPLICANT_ROLES:
        raise Invalid("role", "only a mentor or a mentee applies; add a guardian with their mentee")
    # One unit: the participant (whose service commits on its own), the screening record,
    # the history and the event land together or not at all.
    with unit_of_work():
        participant = participants.create(
            program_id=program_id,
            role=role,
            email=email,
            intake_state=IntakeState.APPLIED,
            **fields,
        )
        db.session.flush()
        program = programs.get(program_id=program_id)
        db.session.add(
            Screening(
                participant_id=participant.id,
                applied_on=today_in(program.timezone),
                application=application,
            )
        )
        _record(participant, "apply", None, IntakeState.APPLIED, actor, None)
        events.emit("participant.applied", {"participant": payloads.participant(participant)})
    return participant


def record(*, participant_id: int, **changes: Any) -> Screening:
    """Record what screening found (any of SCREENING_FIELDS). A new background check expiry
    will be reminded of again."""
    unknown = set(changes) - set(SCREENING_FIELDS)
    if unknown:
        raise Invalid(sorted(unknown)[0], "not something screening records")
    if changes.get("background_check") not in (None, *CheckResult):
        raise Invalid("background_check", "use passed or failed")
    with transaction():
        participant = participants.get(participant_id=participant_id)
        screening = screening_of(participant.id)
        if screening is None:
            screening = Screening(participant_id=participant.id)
            db.session.add(screening)
        if (
            "background_check_expires_on" in changes
            and changes["background_check_expires_on"] != screening.background_check_expires_on
        ):
            screening.expiry_reminded_for = None
        for name, value in changes.items():
            setattr(screening, name, "" if value is None and name in _TEXT else value)
        result = screening.background_check
        if result == CheckResult.PASSED and screening.background_check_expires_on is None:
            raise Invalid(
                "background_check_expires_on", "a passed background check needs its expiry date"
            )
    return screening


_TEXT = ("application", "interview_notes", "references_notes", "guardian_consent_by")


def transition(
    *, participant_id: int, trigger: str, actor: Actor, reason: str | None = None
) -> Participant:
    """Move an applicant on, or say why not (the guards' requirements, in words)."""
    with unit_of_work():
        participant = db.session.scalar(
            sa.select(Participant)
            .where(Participant.id == participant_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if participant is None:
            participants.get(participant_id=participant_id)  # raises NotFound
            raise AssertionError  # pragma: no cover
        program = programs.get(program_id=participant.program_id)
        facts = facts_of(participant, program, screening_of(participant.id), reason)
        try:
            to_state = intake.decide(participant.intake_state, trigger, facts)
        except intake.IntakeRefused as refusal:
            raise _refusal(refusal) from None
        from_state = participant.intake_state
        # Compare-and-set: a concurrent decision on the same applicant wins once.
        moved = rowcount(
            db.session.execute(
                sa.update(Participant)
                .where(Participant.id == participant.id, Participant.intake_state == from_state)
                .values(intake_state=to_state)
                .execution_options(synchronize_session=False)
            )
        )
        if moved != 1:
            raise ConcurrentUpdate(f"Participant {participant.id} was changed meanwhile.")
        participant.intake_state = to_state
        record = _record(participant, trigger, from_state, to_state, actor, reason)
        events.emit(
            "participant.transitioned",
            {
                "participant": payloads.participant(participant),
                "transition": payloads.intake_transition(record),
            },
        )
        approved_mentee = to_state == IntakeState.APPROVED and participant.role == Role.MENTEE
        if approved_mentee and pairs.open_pair_of(participant.id) is None:
            pairs.create(program_id=program.id, mentee_id=participant.id, actor=actor)
    return participant


def _refusal(refusal: intake.IntakeRefused) -> Exception:
    if isinstance(refusal, intake.UnknownTrigger):
        return Invalid("trigger", str(refusal))
    if isinstance(refusal, intake.TriggerNotAllowed):
        return TriggerNotAllowed(
            str(refusal),
            state=refusal.state,
            trigger=refusal.trigger,
            allowed_triggers=[str(t) for t in refusal.allowed],
        )
    assert isinstance(refusal, intake.GuardFailed)
    return GuardFailed(
        str(refusal),
        state=refusal.state,
        trigger=refusal.trigger,
        requirements=[
            {"guard": check.__name__, "requirement": check.requirement}  # type: ignore[attr-defined]
            for check in refusal.failed
        ],
    )


def queue_query(*, program_id: int | None = None, role: str | None = None) -> sa.Select:
    """The coordinator's queue: applicants still to decide, oldest application first."""
    query = (
        sa.select(Participant)
        .where(Participant.intake_state.in_([s.value for s in intake.PENDING_STATES]))
        .order_by(Participant.created_at, Participant.id)
    )
    if program_id is not None:
        query = query.where(Participant.program_id == program_id)
    if role:
        query = query.where(Participant.role == role)
    return query


# The queue's columns, as the page shows them (and its download holds them).
QUEUE_HEADER = ("Name", "Role", "Program", "Step", "Applied")


def applied_on(applicant: Participant, screening: Screening | None) -> date:
    """The day recorded as the application's, else the day the applicant was added."""
    if screening is not None and screening.applied_on is not None:
        return screening.applied_on
    return applicant.created_at.date()


def queue_rows(
    applicants: list[Participant],
    screenings: dict[int, Screening | None],
    program_names: dict[int, str],
) -> list[tuple[str, str, str, str, date]]:
    """The queue's rows as the page lists them: name, role, program, step, applied on."""
    return [
        (
            person.full_name,
            person.role,
            program_names.get(person.program_id, ""),
            person.intake_state,
            applied_on(person, screenings.get(person.id)),
        )
        for person in applicants
    ]


def checks_expiring(today: date, *, within_days: int = EXPIRY_WARNING_DAYS) -> list[Screening]:
    """Approved, active mentors whose background check expires within `within_days` (or has
    expired), not yet reminded of this expiry date."""
    return list(
        db.session.scalars(
            sa.select(Screening)
            .join(Participant, Participant.id == Screening.participant_id)
            .where(
                Screening.background_check_expires_on <= today + timedelta(days=within_days),
                sa.or_(
                    Screening.expiry_reminded_for.is_(None),
                    Screening.expiry_reminded_for != Screening.background_check_expires_on,
                ),
                Participant.role == Role.MENTOR,
                Participant.active.is_(True),
                Participant.intake_state == IntakeState.APPROVED,
            )
            .order_by(Screening.background_check_expires_on)
        )
    )


def allowed(participant: Participant) -> list[IntakeTrigger]:
    return intake.allowed_triggers(participant.intake_state)


def remind_expiring_checks(*, within_days: int = EXPIRY_WARNING_DAYS) -> int:
    """Tell the coordinator, through the inbox, of each approved mentor's background check
    that expires within `within_days` (or has expired): once per expiry date. A new check
    recorded with a new date is watched afresh. Returns how many were reminded of."""
    reminded = 0
    with transaction():
        today = now().date()
        for screening in checks_expiring(today, within_days=within_days):
            # Compare-and-set: two sweeps running at once remind once.
            claimed = rowcount(
                db.session.execute(
                    sa.update(Screening)
                    .where(
                        Screening.participant_id == screening.participant_id,
                        sa.or_(
                            Screening.expiry_reminded_for.is_(None),
                            Screening.expiry_reminded_for != Screening.background_check_expires_on,
                        ),
                    )
                    .values(expiry_reminded_for=Screening.background_check_expires_on)
                    .execution_options(synchronize_session=False)
                )
            )
            if claimed != 1:
                continue
            mentor = participants.get(participant_id=screening.participant_id)
            expires = screening.background_check_expires_on
            assert expires is not None
            open_pair = db.session.scalar(
                pairs.list_query(mentor_id=mentor.id, states=list(OPEN_STATES)).limit(1)
            )
            when = "expired" if expires < today else "expires"
            inbox.notify(
                users=inbox.staff_for(open_pair),
                kind="background_check_expiring",
                title=f"{mentor.full_name}'s background check {when} on {expires.isoformat()}",
                body="Ask for a new check, and record its result and expiry on their screening "
                "record.",
                path=f"/console/applications/{mentor.id}",
            )
            reminded += 1
    return reminded
