"""Drawing each pair's calendar: which contacts and checks it has, and when each is next due.

The plans come from `workflows.cadence` (the program's policy); this module keeps one
`Schedule` row per pair and kind with its next due moment. It only draws: the sweep
(`calendar.sweep`) acts on what falls due, and `calendar.reactions` redraws when the pair,
its program or its meetings change.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import defer

from service.calendar.compliance import last_meeting_day, local_date
from service.calendar.models import Compliance, Contact, ContactStatus, Schedule
from service.clock import today_in
from service.database import db, transaction
from service.notifications import service as notifications
from service.pairs.models import Intervention, Pair
from service.participants.models import Participant, Role
from service.programs.models import Program
from service.training import service as training
from workflows import cadence
from workflows.cadence import Anchor, ContactPlan, MeetingRequirement, Monitor
from workflows.pairing import State

FINAL_SESSION_REMINDERS = (timedelta(days=7), timedelta(days=1))
REMATCH_BRIEFING_WITHIN = timedelta(days=7)


def cadence_today(program: Program) -> date:
    return today_in(program.timezone)


def policy_of(program: Program) -> cadence.CadencePolicy:
    policy = (
        cadence.POLICIES.get(program.cadence_policy) or cadence.POLICIES[cadence.DEFAULT_POLICY]
    )
    if program.outcome_measures:
        return cadence.with_outcomes(policy, tuple(program.outcome_months or ()))
    return policy


def plan_for(program: Program, kind: str) -> ContactPlan | None:
    return next((p for p in policy_of(program).contacts if p.kind == kind), None)


def _anchor(pair: Pair, program: Program, anchor: Anchor) -> date | None:
    tz = program.timezone
    if anchor == Anchor.MATCHED:
        return local_date(pair.matched_at or pair.created_at, tz)
    if anchor == Anchor.ACTIVATED:
        return local_date(pair.activated_at, tz)
    if anchor == Anchor.EVENT:
        return program.event_on or local_date(pair.matched_at or pair.created_at, tz)
    return local_date(pair.closed_at, tz)


def _next_contact(
    plan: ContactPlan, pair: Pair, program: Program, after: date | None, today: date
) -> date | None:
    spacing = program.checkin_spacing_days
    day = _next_unspaced(plan, pair, program, plan.spaced_after(after, spacing), today)
    if day is None or plan.for_staff or not plan.tightens_at_risk or spacing <= 1:
        return day
    # Nobody gets two check-ins closer than the program's spacing: the relationship's one-off
    # contacts (the first-meeting check-in) count as the last contact too.
    for other in policy_of(program).contacts:
        if other.once_after is None or other.for_staff or other.anchor != plan.anchor:
            continue
        anchor = _anchor(pair, program, other.anchor)
        once = other.once_after.after(anchor) if anchor else None
        if once is not None and once <= day < once + timedelta(days=spacing):
            day = _next_unspaced(plan, pair, program, plan.spaced_after(once, spacing), today)
            if day is None:
                return None
    return day


def _next_unspaced(
    plan: ContactPlan, pair: Pair, program: Program, after: date | None, today: date
) -> date | None:
    resumed = pair.paused_until
    if (
        plan.phases
        and not plan.for_staff
        and resumed is not None
        and resumed <= today < resumed + timedelta(days=max(program.checkin_spacing_days, 1))
        and (after is None or after < resumed)
    ):
        return today  # the pair resumes after a pause with a check-in
    if plan.tightens_at_risk and pair.state == State.AT_RISK:
        since = local_date(pair.state_changed_at, program.timezone)
        return cadence.next_at_risk(
            since=since,
            after=after,
            today=today,
            every=policy_of(program).at_risk_every,
            call_first=plan.for_staff,
        )
    anchor = _anchor(pair, program, plan.anchor)
    return plan.next_on(anchor, after=after, today=today) if anchor else None


def _next_check(
    monitor: Monitor, pair: Pair, program: Program, after: date | None, today: date
) -> date | None:
    if monitor == Monitor.MEETING_REQUIREMENT:
        if not program.meeting_requirement:
            return None
        requirement = MeetingRequirement(**program.meeting_requirement)
        # Judged the day after a period ends, for the period just ended.
        return requirement.period_of(max(today, after or today))[1]
    if monitor == Monitor.NO_MEETING:
        if not program.no_meeting_alert_days:
            return None
        quiet = timedelta(days=program.no_meeting_alert_days)
        resumed = pair.paused_until if pair.paused_until and pair.paused_until <= today else None
        known = [
            last_meeting_day(pair, program),
            local_date(pair.activated_at, program.timezone),
            after,
            resumed,  # quiet time counts from the end of a pause
        ]
        since = max((d for d in known if d is not None), default=today)
        return max(since + quiet, today)
    if monitor == Monitor.END_OF_MATCH:
        if pair.planned_end_on is None or after is not None:
            return None
        return max(pair.planned_end_on - timedelta(days=program.closure_notice_days), today)
    if monitor == Monitor.FINAL_SESSION_REMINDER:
        if pair.final_session_on is None:
            return None
        days = [pair.final_session_on - ahead for ahead in FINAL_SESSION_REMINDERS]
        return next((d for d in days if d >= today and (after is None or d > after)), None)
    if monitor == Monitor.CLOSURE_REFLECTION:
        if pair.final_session_on is None or after is not None:
            return None
        # The reflection follows the session: sent when the final session is logged
        # (`reactions.reflect_after_final_session`), or else the morning after the date.
        return max(pair.final_session_on + timedelta(days=1), today)
    if monitor == Monitor.REMATCH_BRIEFING:
        if pair.predecessor_id is None or after is not None or briefed(pair):
            return None
        matched = local_date(pair.matched_at or pair.created_at, program.timezone)
        return max(matched + REMATCH_BRIEFING_WITHIN, today)
    if monitor == Monitor.PAUSE_END:
        if pair.paused_until is None or after is not None:
            return None
        return max(pair.paused_until, today)
    if monitor == Monitor.INTERVENTION_FOLLOW_UP:
        query = sa.select(sa.func.min(Intervention.follow_up_on)).where(
            Intervention.pair_id == pair.id, Intervention.follow_up_on >= today
        )
        if after is not None:
            query = query.where(Intervention.follow_up_on > after)
        return db.session.scalar(query)
    if monitor == Monitor.REMATCH_PROMPT:
        first = first_intervention_at_risk(pair)
        if first is None or after is not None:
            return None
        day = cadence.REMATCH_PROMPT_AFTER.after(local_date(first, program.timezone))
        return day if day >= today else None
    raise ValueError(f"unknown monitor {monitor!r}")


def first_intervention_at_risk(pair: Pair) -> datetime | None:
    """When the first intervention since the pair went at risk was recorded, if any."""
    return db.session.scalar(
        sa.select(sa.func.min(Intervention.created_at)).where(
            Intervention.pair_id == pair.id, Intervention.created_at >= pair.state_changed_at
        )
    )


def briefed(pair: Pair) -> bool:
    """Has the pair's re-matched mentor attended the extra briefing for this pair?"""
    return pair.mentor_id is not None and training.completed_rematch_briefing(
        mentor_id=pair.mentor_id, pair_id=pair.id
    )


def next_day(kind: str, pair: Pair, program: Program, after: date | None, today: date):
    """The day `kind` is next due for the pair, after the occurrence done on `after`."""
    plan = plan_for(program, kind)
    if plan is not None:
        return _next_contact(plan, pair, program, after, today)
    return _next_check(Monitor(kind), pair, program, after, today)


def wanted_kinds(pair: Pair, program: Program) -> list[str]:
    plans = cadence.plans_for(policy_of(program), pair.state, pair.closure_reason)
    monitors = sorted(cadence.MONITORS_BY_STATE.get(State(pair.state), ()))
    if not paused(pair, program):
        return [p.kind for p in plans] + monitors
    # A pause holds the participants' contacts and the meeting requirement until it ends.
    # Its end is only a wake-up: on that day the pair is no longer paused, the sweep finds
    # PAUSE_END no longer wanted and redraws the calendar, which resumes the check-ins.
    return [
        *(p.kind for p in plans if not cadence.suspended_by_pause(p, p.kind)),
        *(m for m in monitors if not cadence.suspended_by_pause(None, m)),
        Monitor.PAUSE_END,
    ]


def paused(pair: Pair, program: Program) -> bool:
    return State(pair.state) in cadence.PAUSABLE_STATES and cadence.paused_on(
        cadence_today(program), pair.paused_from, pair.paused_until
    )


def reschedule(pair: Pair, program: Program) -> None:
    """Bring the pair's schedules in line with its state, in the caller's transaction (the
    calendar is no longer stale)."""
    today = cadence_today(program)
    existing = {
        s.kind: s
        for s in db.session.scalars(sa.select(Schedule).where(Schedule.pair_id == pair.id))
    }
    keep: set[str] = set()
    for kind in wanted_kinds(pair, program):
        schedule = existing.get(kind)
        if kind in cadence.DRAWN_BY_INTERVENTIONS:
            if schedule is not None:
                keep.add(kind)  # drawn when an intervention was recorded (`draw`)
            continue
        day = next_day(kind, pair, program, schedule.last_done_on if schedule else None, today)
        if day is None:
            continue
        keep.add(kind)
        due = cadence.due_at(day, program.timezone)
        if schedule is None:
            db.session.add(Schedule(pair_id=pair.id, kind=kind, next_due_at=due, next_due_on=day))
        else:
            schedule.next_due_at, schedule.next_due_on = due, day
    for kind, schedule in existing.items():
        if kind not in keep:
            db.session.delete(schedule)
    _stop_reminders_outside(pair, keep)
    if pair.calendar_stale:
        pair.calendar_stale = False


def bring_up_to_date(pair_id: int) -> None:
    """Redraw the pair's calendar now if it moved since it was drawn, in a transaction of its
    own: what the calendar shows is what the sweep would act on. Costs nothing when the pair
    is in the session already (the page or API that shows the calendar read it) and current."""
    pair = db.session.get(Pair, pair_id)
    if pair is None or not pair.calendar_stale:
        return
    with transaction():
        locked = db.session.scalar(
            sa.select(Pair)
            .where(Pair.id == pair_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if locked is not None and locked.calendar_stale:
            reschedule(locked, locked.program)


def draw(pair: Pair, program: Program, kinds: frozenset[str]) -> None:
    """Draw `kinds` the pair's state wants, afresh, in the caller's transaction (what
    `reschedule` only keeps: the follow-ups an intervention asks for)."""
    today = cadence_today(program)
    wanted = set(wanted_kinds(pair, program))
    for kind in sorted(kinds & wanted):
        schedule = db.session.scalar(
            sa.select(Schedule).where(Schedule.pair_id == pair.id, Schedule.kind == kind)
        )
        day = next_day(kind, pair, program, schedule.last_done_on if schedule else None, today)
        if day is None:
            if schedule is not None and kind == Monitor.INTERVENTION_FOLLOW_UP:
                db.session.delete(schedule)
            continue
        if schedule is not None and kind == Monitor.REMATCH_PROMPT:
            continue  # counted from the first intervention: a later one does not move it
        due = cadence.due_at(day, program.timezone)
        if schedule is None:
            db.session.add(Schedule(pair_id=pair.id, kind=kind, next_due_at=due, next_due_on=day))
        else:
            schedule.next_due_at, schedule.next_due_on = due, day


def _stop_reminders_outside(pair: Pair, kinds: set[str]) -> None:
    """Contacts of kinds the pair no longer has (a closed pair's check-ins) stop reminding.
    A participant may still answer; a coordinator's check-in no longer owed is cancelled.

    A calendar redrawn after a transition keeps the contacts made since the pair moved: the
    transition made them for its new state (the closure reflection sent when the final
    session closes the pair)."""
    outdated = [
        Contact.pair_id == pair.id,
        Contact.kind.not_in(kinds),
        Contact.status.in_([ContactStatus.INVITED, ContactStatus.DUE]),
    ]
    if pair.calendar_stale:
        outdated.append(Contact.created_at < pair.state_changed_at)
    # One statement for both.
    db.session.execute(
        sa.update(Contact)
        .where(*outdated)
        .values(
            status=sa.case(
                (Contact.status == ContactStatus.DUE, ContactStatus.CANCELLED.value),
                else_=Contact.status,
            ),
            next_reminder_at=None,
        )
        .execution_options(synchronize_session=False)
    )


def people(pair: Pair, program: Program, roles: tuple[str, ...]) -> list[Participant]:
    """The pair's active participants in these roles (guardians only in youth programs)."""
    found: list[Participant] = []
    for role in roles:
        if role == Role.MENTEE:
            found.append(pair.mentee)
        elif role == Role.MENTOR and pair.mentor is not None:
            found.append(pair.mentor)
        elif role == Role.GUARDIAN and program.youth:
            found += db.session.scalars(
                sa.select(Participant).where(
                    Participant.guardian_of_id == pair.mentee_id, Participant.active.is_(True)
                )
            )
    return [p for p in found if p is not None and p.active]


def people_by_pair(
    pairs: Sequence[tuple[Pair, Program]], roles: tuple[str, ...]
) -> dict[int, list[Participant]]:
    """`people` for many pairs, in one query: each pair's active participants in `roles`,
    in the same order."""
    members = {pair.mentee_id for pair, _ in pairs} | {
        pair.mentor_id for pair, _ in pairs if pair.mentor_id
    }
    condition: sa.ColumnElement[bool] = Participant.id.in_(members)
    youth = {pair.mentee_id for pair, program in pairs if program.youth}
    if Role.GUARDIAN in roles and youth:
        condition = sa.or_(
            condition,
            sa.and_(Participant.guardian_of_id.in_(youth), Participant.active.is_(True)),
        )
    # Only what a contact needs: the lists matching reads (JSON) are left unread.
    found = list(
        db.session.scalars(
            sa.select(Participant)
            .where(condition)
            .order_by(Participant.id)
            .options(
                defer(Participant.goals), defer(Participant.skills), defer(Participant.languages)
            )
        )
    )
    by_id = {person.id: person for person in found}
    guardians: dict[int, list[Participant]] = {}
    for person in found:
        if person.guardian_of_id is not None and person.id not in members:
            guardians.setdefault(person.guardian_of_id, []).append(person)
    people_of: dict[int, list[Participant]] = {}
    for pair, program in pairs:
        chosen: list[Participant | None] = []
        for role in roles:
            if role == Role.MENTEE:
                chosen.append(by_id.get(pair.mentee_id))
            elif role == Role.MENTOR and pair.mentor_id:
                chosen.append(by_id.get(pair.mentor_id))
            elif role == Role.GUARDIAN and program.youth:
                chosen += guardians.get(pair.mentee_id, [])
        people_of[pair.id] = [p for p in chosen if p is not None and p.active]
    return people_of


def email_final_session(
    pair: Pair, program: Program, template: str, roles: tuple[str, ...]
) -> None:
    if pair.final_session_on is None:
        return  # no final session planned: nothing to tell
    for person in people(pair, program, roles):
        notifications.email_participant(
            person,
            program,
            template=template,
            pair_id=pair.id,
            final_session_on=pair.final_session_on.isoformat(),
        )


# -- what the calendar shows ---------------------------------------------------------------


def upcoming(*, pair_id: int) -> list[Schedule]:
    bring_up_to_date(pair_id)
    return list(
        db.session.scalars(
            sa.select(Schedule).where(Schedule.pair_id == pair_id).order_by(Schedule.next_due_at)
        )
    )


def contacts_for(*, pair_id: int) -> list[Contact]:
    bring_up_to_date(pair_id)
    return list(
        db.session.scalars(
            sa.select(Contact)
            .where(Contact.pair_id == pair_id)
            .order_by(Contact.due_at, Contact.id)
        )
    )


def compliance_for(*, pair_id: int) -> list[Compliance]:
    return list(
        db.session.scalars(
            sa.select(Compliance)
            .where(Compliance.pair_id == pair_id)
            .order_by(Compliance.period_start.desc())
        )
    )
