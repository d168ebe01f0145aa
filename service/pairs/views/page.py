"""The pair page: everything about one pair on one screen, built as a `PairPage`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import g, render_template
from flask_login import current_user
from markupsafe import Markup

from service.accounts import service as accounts
from service.accounts.models import StaffRole, User
from service.actors import Actor
from service.approvals import decisions
from service.approvals.models import Proposal, ProposalStatus
from service.calendar import schedule
from service.calendar.models import Compliance, Contact, Schedule
from service.choice import service as choice
from service.choice.models import ChoiceOffer
from service.clock import now
from service.closure import service as closure
from service.confidentiality import may_read_safety
from service.console.queries import last_flag_record, names
from service.database import db
from service.matching import suggestions as matching
from service.matching.suggestions import Candidate
from service.meetings import service as meetings
from service.meetings.models import Meeting
from service.notes.models import Confidentiality, Note
from service.pairs import agreement as agreements
from service.pairs import staffing
from service.pairs.bounds import GOAL_PROGRESS
from service.pairs.facts import DatabaseFacts, TransitionRequest
from service.pairs.models import Pair
from service.pairs.timeline import Entry, timeline
from service.pairs.views import glance
from service.pairs.views.common import People, blueprint, people_of
from service.participants import service as participants
from service.problems import html_error
from service.programs.models import Program
from service.signals.models import Signal
from service.surveys import answers, responses, versions
from service.surveys.models import SurveyResponse
from service.training import service as training
from service.training.models import TrainingRecord
from service.web.staff import (
    assigned_support,
    log_safety_read,
    pair_or_404,
    staff_required,
)
from surveys.definition import SurveyDefinition
from surveys.forms import form_class
from workflows import cadence, pairing
from workflows.pairing import ClosureReason, State, Trigger
from workflows.playbook import approach_for, revisits_agreement
from workflows.signals import SIGNALS, SignalType, is_safety


def _signals_with_playbook(pair, program: Program, readable: bool) -> list[dict]:
    """The pair's signals since it last became at risk (or its latest), each with the
    program's recommended approach."""
    rows = db.session.scalars(
        sa.select(Signal)
        .where(Signal.pair_id == pair.id)
        .order_by(Signal.raised_at.desc())
        .limit(20)
    ).all()
    # Signals named when the pair was flagged (by a coordinator or the API) come first.
    flagged = last_flag_record(pair)
    raised = (
        [(code, flagged.created_at, flagged.actor.label) for code in flagged.signals]
        if (flagged and pair.state == State.AT_RISK)
        else []
    )
    raised += [(s.code, s.raised_at, s.source) for s in rows]
    seen: dict[str, dict] = {}
    for code, raised_at, source in raised:
        code = code if readable or not is_safety(code) else "safety_concern"
        if code in SIGNALS and code not in seen:
            seen[code] = {
                "code": code,
                "label": SIGNALS[code].label,
                "raised_at": raised_at,
                "source": source,
                "approach": approach_for(code, program.playbook),
                "revisits_agreement": revisits_agreement(code),
            }
    return list(seen.values())


@dataclass(frozen=True)
class PairPage:
    """What the pair page shows, gathered in one place (the template's variables)."""

    pair: Pair
    program: Program
    people: People
    title: str
    allowed: list[Trigger]
    facts: DatabaseFacts
    timeline: list[Entry]
    signals: list[dict[str, Any]]
    all_signals: list[SignalType]
    upcoming: list[Schedule]
    contacts: list[Contact]
    compliance: list[Compliance]
    meetings: list[Meeting]
    responses: list[SurveyResponse]
    notes: list[Note]
    # A pause runs today; the reasons a coordinator may give for one.
    paused: bool
    pause_reasons: dict[str, str]
    readable: bool
    proposals: list[Proposal]
    # The pending proposals this user filed and so may not approve themselves (four eyes).
    own_proposals: set[int]
    checkin: SurveyDefinition
    checkin_form: Any
    closure_steps: list[closure.Step]
    candidates: list[Candidate]
    # The mentee's choice offers, newest first (only while the pair waits or was just matched).
    choice_offers: list[ChoiceOffer]
    # The full names of the mentors the latest offer named, for staff.
    offered_names: dict[int, str]
    coordinators: list[User]
    support_staff: list[User]
    assigned_support: set[int]
    may_change_staff: bool
    coordinator_name: str | None
    support_names: list[str]
    confidentiality: list[Confidentiality]
    closure_reasons: list[ClosureReason]
    required_training: dict[str, list[str]]
    missing: dict[str, tuple[str, ...]]
    agreement: agreements.Agreement | None
    guardians_missing: dict[int, tuple[str, ...]]
    # What each of the pair's people attended, and what it covered, by participant id.
    training: dict[int, list[TrainingRecord]]
    goal_progress: dict[int, str]
    # The header: the pair at a glance.
    signals_now: list[dict[str, Any]]
    days_in_state: int
    last_meeting: Meeting | None
    next_due: str | None
    pulse: glance.Pulse
    pulse_chart: Markup
    actions: list[glance.Action]

    def context(self) -> dict[str, Any]:
        """The template's variables (not `asdict`, which would copy every row)."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def _full_name(user_id: int | None) -> str | None:
    user = db.session.get(User, user_id) if user_id is not None else None
    return user.full_name if user is not None else None


def pair_page(pair: Pair, user: User, actor: Actor) -> PairPage:
    """Everything the pair page shows `user`, read once."""
    program = pair.program
    readable = may_read_safety(actor, pair)
    people = people_of(pair)
    facts = DatabaseFacts(pair, program, TransitionRequest(Trigger.ACTIVATE), actor)
    notes = db.session.scalars(
        sa.select(Note).where(Note.pair_id == pair.id).order_by(Note.created_at.desc())
    ).all()
    support = assigned_support(pair)
    allowed = [
        t
        for t in pairing.allowed_triggers(pair.state)
        if t != Trigger.REOPEN or user.role == StaffRole.ADMIN
    ]
    signals = _signals_with_playbook(pair, program, readable)
    offers = (
        choice.offers_for(pair_id=pair.id) if pair.state in (State.RECRUITED, State.MATCHED) else []
    )
    upcoming = schedule.upcoming(pair_id=pair.id)
    held = meetings.list_for(pair_id=pair.id)
    answered = responses.responses_for_pair(pair_id=pair.id)
    pulse = glance.pulse(answered)
    proposals = list(
        db.session.scalars(
            sa.select(Proposal).where(
                Proposal.pair_id == pair.id, Proposal.status == ProposalStatus.PENDING
            )
        )
    )
    checkin = agreements.with_goal_questions(
        versions.definition_of(
            versions.current_version(survey_key="coordinator_checkin", program_id=program.id)
        ),
        pair,
        "coordinator",
    )
    return PairPage(
        pair=pair,
        program=program,
        people=people,
        title=names([pair])[pair.id],
        allowed=allowed,
        facts=facts,
        timeline=timeline(pair, show_safety_kinds=readable),
        signals=signals,
        all_signals=[s for s in SIGNALS.values() if s.flags_risk],
        upcoming=upcoming,
        contacts=schedule.contacts_for(pair_id=pair.id)[-10:],
        compliance=schedule.compliance_for(pair_id=pair.id)[:6],
        meetings=held,
        responses=answered,
        notes=[
            n
            for n in notes
            if n.confidentiality != Confidentiality.COORDINATORS or user.role != StaffRole.SUPPORT
        ],
        paused=schedule.paused(pair, program),
        pause_reasons={str(k): v for k, v in cadence.PAUSE_REASON_LABELS.items()},
        readable=readable,
        proposals=proposals,
        own_proposals=decisions.approved_by_others(proposals, actor),
        checkin=checkin,
        checkin_form=form_class(checkin)(prefix="checkin", meta={"csrf": False}),
        closure_steps=closure.steps(pair) if pair.state in (State.CLOSING, State.CLOSED) else [],
        candidates=matching.rank_mentors(people["mentee"], program_id=program.id)
        if pair.state == State.RECRUITED
        else [],
        choice_offers=offers,
        offered_names=participants.names(o["mentor_id"] for o in offers[0].options)
        if offers
        else {},
        coordinators=accounts.coordinators(),
        support_staff=list(
            db.session.scalars(
                sa.select(User).where(User.role == StaffRole.SUPPORT, User.active.is_(True))
            )
        ),
        assigned_support=support,
        may_change_staff=staffing.may_change_staff(actor, pair),
        coordinator_name=_full_name(pair.coordinator_id),
        support_names=sorted(name for u in support if (name := _full_name(u)) is not None),
        confidentiality=list(Confidentiality),
        closure_reasons=[ClosureReason.WITHDRAWN, ClosureReason.ENDED_EARLY, ClosureReason.SAFETY],
        required_training=program.required_training,
        missing={
            "mentor": facts.mentor_missing_training if pair.mentor_id else (),
            "mentee": facts.mentee_missing_training,
            "guardian": facts.guardians_missing_training,
        },
        guardians_missing={
            guardian.id: training.missing_sessions(
                guardian, list(program.required_training.get("guardian", []))
            )
            for guardian in people["guardians"]
        },
        training=training.records_for(
            [p.id for p in (people["mentor"], people["mentee"], *people["guardians"]) if p]
        ),
        agreement=agreements.get(pair_id=pair.id),
        goal_progress=GOAL_PROGRESS,
        signals_now=[
            signal
            for signal in signals
            if pair.state == State.AT_RISK or signal["raised_at"] >= pair.state_changed_at
        ],
        days_in_state=glance.days_in_state(pair, now()),
        last_meeting=glance.last_meeting(held),
        next_due=glance.next_due(upcoming),
        pulse=pulse,
        pulse_chart=glance.pulse_svg(pulse),
        actions=glance.actions(pair.state, allowed, facts),
    )


@blueprint.get("/<id:pair_id>")
@staff_required()
def show(pair_id: int):
    page = pair_page(pair_or_404(pair_id), current_user, g.actor)
    return render_template("console/pair.html", **page.context())


@blueprint.get("/<id:pair_id>/responses/<id:response_id>")
@staff_required()
def read_response(pair_id: int, response_id: int):
    """Answers as asked in their version. Safety answers show only to those who may read
    them, and showing them is logged."""
    pair = pair_or_404(pair_id)
    response = db.session.get(SurveyResponse, response_id)
    if response is None or response.pair_id != pair.id:
        return html_error(404, "Not found", "No such response.")
    shown = answers.readable_answers(response)
    readable = may_read_safety(g.actor, pair)
    if readable and any(a.safety for a in shown):
        log_safety_read(current_user, pair, f"response:{response.id}")
        db.session.commit()
    return render_template(
        "console/response.html", pair=pair, response=response, answers=shown, readable=readable
    )
