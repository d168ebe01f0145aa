"""`pairwise demo`: a youth program with a pair in every state, built through the
same service functions the API uses, so every history and event is real."""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from werkzeug.security import check_password_hash

from service.accounts import service as accounts
from service.actors import Actor, ActorKind
from service.clock import now, today_in
from service.database import db
from service.meetings import service as meetings
from service.pairs import agreement, lifecycle
from service.pairs import service as pairs
from service.pairs.facts import TransitionRequest
from service.pairs.models import Pair
from service.participants import service as participants
from service.programs import service as programs
from service.programs.models import Program
from service.tokens import service as tokens
from service.training import service as training
from workflows.pairing import ClosureReason, Trigger

DEMO_SLUG = "riverside-demo"

# A coordinator acting directly: the demo walks pairs past the approval steps.
DEMO_COORDINATOR = Actor(ActorKind.SYSTEM, None, "demo data", is_admin=True, decides_directly=True)

_MENTORS = [
    ("Amara Okafor", ["careers", "confidence"], ["engineering", "public speaking"]),
    ("Jonas Berg", ["study skills"], ["mathematics", "chess"]),
    ("Priya Nair", ["careers"], ["medicine", "volunteering"]),
    ("Tomás Silva", ["confidence", "sport"], ["football", "coaching"]),
    ("Grace Lee", ["creativity"], ["design", "illustration"]),
    ("Samuel Mensah", ["study skills", "careers"], ["accounting"]),
    ("Ingrid Dahl", ["wellbeing"], ["psychology", "running"]),
]
_MENTEES = [
    ("Leo Martins", ["careers"]),
    ("Noor Haddad", ["study skills"]),
    ("Maya Johansen", ["confidence"]),
    ("Kofi Asante", ["careers", "confidence"]),
    ("Sofia Rossi", ["creativity"]),
    ("Aiden Walsh", ["sport"]),
    ("Lina Nguyen", ["study skills"]),
    ("Omar Farouk", ["wellbeing"]),
]


def demo_exists() -> bool:
    return db.session.scalar(sa.select(Program.id).where(Program.slug == DEMO_SLUG)) is not None


def load() -> Program:
    """Create the demo program; call only when `demo_exists()` is False."""
    program = programs.create(
        name="Riverside Youth Mentoring (demo)",
        slug=DEMO_SLUG,
        description="Demo data: one pair in every state of the lifecycle.",
        youth=True,
        timezone="Europe/London",
    )
    mentors = [
        participants.create(
            program_id=program.id,
            role="mentor",
            full_name=name,
            email=_email(name),
            goals=goals,
            skills=skills,
            capacity=2 if index == 0 else 1,
        )
        for index, (name, goals, skills) in enumerate(_MENTORS)
    ]
    mentees = [
        participants.create(
            program_id=program.id, role="mentee", full_name=name, email=_email(name), goals=goals
        )
        for name, goals in _MENTEES
    ]
    for mentee in mentees:
        participants.create(
            program_id=program.id,
            role="guardian",
            full_name=f"Parent of {mentee.full_name}",
            email=_email("parent " + mentee.full_name),
            guardian_of_id=mentee.id,
        )
    today = today_in(program.timezone)
    covered = {
        "mentor_orientation": ["the mentor's role", "boundaries", "safety"],
        "mentee_orientation": ["what to expect", "setting goals", "safety"],
        "joint_workshop": ["the mentoring agreement", "goals", "a first meeting"],
    }
    for person in mentors:
        for session in ("mentor_orientation", "joint_workshop"):
            training.record(
                participant_id=person.id,
                session=session,
                completed_on=today,
                topics=covered[session],
            )
    for person in mentees:
        for session in ("mentee_orientation", "joint_workshop"):
            training.record(
                participant_id=person.id,
                session=session,
                completed_on=today,
                topics=covered[session],
            )

    def walk(mentee_index: int, mentor_index: int | None, *steps: TransitionRequest) -> int:
        pair = pairs.create(
            program_id=program.id, mentee_id=mentees[mentee_index].id, actor=DEMO_COORDINATOR
        )
        for step in steps:
            if step.trigger == Trigger.START_TRAINING:
                for role in ("mentor", "mentee"):
                    pairs.accept_introduction(pair_id=pair.id, role=role, actor=DEMO_COORDINATOR)
            if step.trigger == Trigger.RESOLVE:
                pairs.record_intervention(
                    pair_id=pair.id,
                    actor=DEMO_COORDINATOR,
                    approach="individual",
                    signal="too_busy_to_schedule",
                    description="Called both; agreed a fixed fortnightly slot.",
                )
            if step.trigger == Trigger.CLOSE:
                _log_meeting(pair.id, final=True)
            lifecycle.request_transition(pair_id=pair.id, request=step, actor=DEMO_COORDINATOR)
            if step.trigger == Trigger.ACTIVATE:
                _log_meeting(pair.id)
        return pair.id

    def match(index: int) -> TransitionRequest:
        return TransitionRequest(Trigger.MATCH, mentor_id=mentors[index].id)

    start = TransitionRequest(Trigger.START_TRAINING)
    activate = TransitionRequest(Trigger.ACTIVATE)
    flag = TransitionRequest(
        Trigger.FLAG_RISK,
        signals=("missed_meetings", "too_busy_to_schedule"),
        reason="Two meetings cancelled this month.",
    )
    closure = TransitionRequest(
        Trigger.BEGIN_CLOSURE,
        final_session_on=today + timedelta(days=14),
        reason="The program year ends.",
    )

    walk(0, None)  # recruited
    walk(1, 1, match(1))  # matched
    walk(2, 2, match(2), start)  # training
    active = walk(3, 0, match(0), start, activate)
    agreement.record(
        pair_id=active,
        agreed_on=today,
        meeting_frequency="Every week, Thursdays after school",
        meeting_format="At the library; online during the holidays",
        ground_rules="We tell each other a day ahead if we cannot come. What we talk about "
        "stays between us, unless someone is at risk.",
        chemistry_plan="If it does not feel right, we tell the coordinator; a re-match is "
        "nobody's fault.",
        goals=["Choose a course for next year", "Speak up more in class"],
        actor=DEMO_COORDINATOR,
    )
    at_risk = walk(4, 4, match(4), start, activate, flag)
    walk(5, 3, match(3), start, activate, closure)  # closing
    walk(6, 5, match(5), start, activate, closure, TransitionRequest(Trigger.CLOSE))  # closed
    rematched = walk(7, 6, match(6), start, activate, flag)
    lifecycle.request_transition(
        pair_id=rematched,
        request=TransitionRequest(
            Trigger.REMATCH,
            mentor_id=mentors[0].id,
            reason="No chemistry after two months.",
            buffer_override_reason="Demo data: both asked to change at once.",
        ),
        actor=DEMO_COORDINATOR,
    )  # rematched, and its successor matched with mentor 0's second place
    # A proposal waiting for a coordinator, as automation would file it.
    lifecycle.request_transition(
        pair_id=at_risk,
        request=TransitionRequest(
            Trigger.WITHDRAW,
            closure_reason=ClosureReason.WITHDRAWN,
            reason="The mentee's family is moving away.",
        ),
        actor=Actor(ActorKind.SYSTEM, None, "demo automation"),
    )
    return program


def _log_meeting(pair_id: int, *, final: bool = False) -> None:
    meetings.log(
        pair_id=pair_id,
        occurred_at=now() - timedelta(hours=2),
        status="held",
        duration_minutes=60,
        attendees=["mentor", "mentee"],
        location="Riverside library",
        activities="Celebrated the year and looked ahead." if final else "Set goals for the term.",
        is_final_session=final,
        actor=DEMO_COORDINATOR,
    )


def _email(name: str) -> str:
    local = "".join(ch for ch in name.lower().replace(" ", ".") if ch.isalnum() or ch == ".")
    return f"{local}@example.org"


DEMO_ADMIN_EMAIL = "coordinator@demo.pairwise.test"
DEMO_TOKEN_PREFIX = "demo-"


def _keep(path: Path, text: str) -> None:
    """Write a credential readable by its owner only (written first, then filled)."""
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_text(text)


def api_token(kept: Path) -> str:
    """The demo's API token: the one kept in `kept` while it still works.

    Only a token's digest is stored, so a lost token cannot be shown again. Then a fresh one
    is issued and kept, and every older demo token is revoked: one demo token at a time.
    """
    if kept.exists():
        raw = kept.read_text().strip()
        if raw and tokens.authenticate(raw) is not None:
            return raw
    token, raw = tokens.create(
        name=f"{DEMO_TOKEN_PREFIX}{secrets.token_hex(3)}", scopes=tokens.SCOPES
    )
    _keep(kept, raw + "\n")
    for old in tokens.list_all():
        if old.name.startswith(DEMO_TOKEN_PREFIX) and old.id != token.id and not old.revoked_at:
            tokens.revoke(name=old.name)
    return raw


def console_sign_in(kept: Path) -> tuple[str, str]:
    """The demo admin's e-mail and password: those kept in `kept` while they still sign in;
    otherwise the account is made (or its password set) again and kept."""
    user = accounts.by_email(DEMO_ADMIN_EMAIL)
    if user is not None and kept.exists():
        email, _, password = kept.read_text().strip().partition(" ")
        if email == user.email and check_password_hash(user.password_hash or "", password):
            return email, password
    if user is None:
        password = add_coordinator(DEMO_ADMIN_EMAIL)
    else:
        password = secrets.token_urlsafe(12)
        accounts.set_password(user_id=user.id, password=password)
    _keep(kept, f"{DEMO_ADMIN_EMAIL} {password}\n")
    return DEMO_ADMIN_EMAIL, password


def add_coordinator(email: str) -> str:
    """A demo admin who coordinates every demo pair; returns the generated password."""
    password = secrets.token_urlsafe(12)
    user = accounts.create(
        email=email, full_name="Dana Demo (coordinator)", role="admin", password=password
    )
    program = db.session.scalars(sa.select(Program).where(Program.slug == DEMO_SLUG)).one()
    db.session.execute(
        sa.update(Pair).where(Pair.program_id == program.id).values(coordinator_id=user.id)
    )
    db.session.commit()
    return password
